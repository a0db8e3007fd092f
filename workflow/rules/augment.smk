rule plan_augmentation:
    input:
        unpack(get_plan_inputs),
    output:
        sources="results/augment/{generator}/{labelset}/sources.tsv",
        budget="results/augment/{generator}/{labelset}/budget.tsv",
    log:
        "logs/augment/plan/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/augment/plan/{generator}_{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        augment=config.get("augment", {}),
        generator=get_generator_config,
        kind=get_generator_kind,
        samples_dir=get_samples_dir_param,
        visible_seconds=get_visible_seconds(),
        seed=config["seed"],
    script:
        "../scripts/plan_augmentation.py"


rule augment_train:
    input:
        train="results/data/{labelset}/train.tsv",
        generated="results/generated/{generator}/{labelset}/manifest.tsv",
    output:
        "results/augment/{generator}/{labelset}/train.tsv",
    log:
        "logs/augment/train/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/augment/train/{generator}_{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/augment_train.py"
