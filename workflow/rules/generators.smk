rule generate_control:
    input:
        sources="results/augment/{generator}/{labelset}/sources.tsv",
    output:
        "results/generated/{generator}/{labelset}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator="|".join(CONTROLS) or "NO_CONTROL",
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        generator=lambda wc: config["generators"][wc.generator],
        labels=config["labels"],
        seed=config["seed"],
    script:
        "../scripts/generate_control.py"
