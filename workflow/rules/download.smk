# Opt-in: `snakemake download_audio --configfile config/mtg_jamendo.yaml` fetches the dataset's
# audio archives into data.audio_root. Nothing else depends on it, so an existing audio folder
# is used as it is.
rule download_audio:
    input:
        get_download_receipts,


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
