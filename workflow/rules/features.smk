rule mel_shard:
    input:
        manifests=expand("results/data/{labelset}/{{split}}.tsv", labelset=LABELSETS),
    output:
        npy="results/features/real/{split}/shard-{shard}.npy",
        index="results/features/real/{split}/shard-{shard}.tsv",
    log:
        "logs/features/mel_shard/{split}_{shard}.log",
    benchmark:
        "benchmarks/features/mel_shard/{split}_{shard}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        mel=config["features"],
        n_shards=config["features"]["shards"],
    script:
        "../scripts/mel_shard.py"


rule mel_generated:
    input:
        manifest="results/generated/{generator}/{labelset}/{run}/manifest.tsv",
    output:
        npy="results/features/{generator}/{labelset}/{run}/shard-0.npy",
        index="results/features/{generator}/{labelset}/{run}/shard-0.tsv",
    log:
        "logs/features/mel_generated/{generator}_{labelset}_{run}.log",
    benchmark:
        "benchmarks/features/mel_generated/{generator}_{labelset}_{run}.tsv"
    wildcard_constraints:
        run=one_of(CLIP_RUNS),
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        mel=config["features"],
    script:
        "../scripts/mel_generated.py"
