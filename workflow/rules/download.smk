# One archive of the dataset's audio into data.audio_root; the opt-in target rule download_audio
# (in the Snakefile) asks for all of them.
rule download_archive:
    input:
        checksums=get_download_checksums,
    output:
        "results/download/{archive}.tsv",
    log:
        "logs/download/{archive}.log",
    benchmark:
        "benchmarks/download/{archive}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=600,
    params:
        download=get_download_config,
        audio_root=get_audio_root(),
    script:
        "../scripts/download_archive.py"
