rule plan_augmentation:
    input:
        unpack(get_plan_inputs),
    output:
        sources="results/augment/{generator}/{labelset}/{run}/sources.tsv",
        budget="results/augment/{generator}/{labelset}/{run}/budget.tsv",
    log:
        "logs/augment/plan/{generator}_{labelset}_{run}.log",
    benchmark:
        "benchmarks/augment/plan/{generator}_{labelset}_{run}.tsv"
    wildcard_constraints:
        run=one_of(CLIP_RUNS),
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        augment=get_plan_policy,
        take_all=is_score_run,
        generator=get_generator_config,
        kind=get_generator_kind,
        labels=config["labels"],
        samples_dir=get_samples_dir_param,
        visible_seconds=get_visible_seconds(),
        seed=config["seed"],
    script:
        "../scripts/plan_augmentation.py"


# The train manifest of a run's classifier: real train + the run's clips, or, for the CAS run,
# the clips alone (real train is read to check that none of its rows is among them).
rule make_train_manifest:
    input:
        unpack(get_train_manifest_inputs),
    output:
        "results/augment/{generator}/{labelset}/{run}/train.tsv",
    log:
        "logs/augment/train/{generator}_{labelset}_{run}.log",
    benchmark:
        "benchmarks/augment/train/{generator}_{labelset}_{run}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        generated_only=is_cas_run,
    script:
        "../scripts/make_train_manifest.py"
