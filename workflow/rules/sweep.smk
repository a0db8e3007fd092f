# Augmentation-ratio sweep (beyond the paper). A sweep point at the default fraction
# (augment.fraction) IS the Table III run: get_sweep_inputs maps it to that run's files, so it is
# never trained twice. The rules below build the other fractions (wildcard `frac`, constrained to
# them) by reusing the Table III rules with frac-{f} paths. (`use rule ... with: input:` replaces
# the whole input list, so each twin names all of its inputs.)


use rule plan_augmentation as plan_augmentation_sweep with:
    output:
        sources="results/augment/{generator}/{labelset}/frac-{frac}/sources.tsv",
        budget="results/augment/{generator}/{labelset}/frac-{frac}/budget.tsv",
    log:
        "logs/augment/plan/{generator}_{labelset}_frac-{frac}.log",
    benchmark:
        "benchmarks/augment/plan/{generator}_{labelset}_frac-{frac}.tsv"
    params:
        augment=get_sweep_policy,


use rule generate_control as generate_control_sweep with:
    input:
        sources="results/augment/{generator}/{labelset}/frac-{frac}/sources.tsv",
    output:
        "results/generated/{generator}/{labelset}/frac-{frac}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}_frac-{frac}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}_frac-{frac}.tsv"


use rule ddsp_features as ddsp_features_sweep with:
    input:
        table="results/augment/ddsp/{labelset}/frac-{frac}/sources.tsv",
    output:
        "results/generators/ddsp/{labelset}/features/frac-{frac}/sources.npz",
    log:
        "logs/generators/ddsp_features/{labelset}_sources_frac-{frac}.log",
    benchmark:
        "benchmarks/generators/ddsp_features/{labelset}_sources_frac-{frac}.tsv"


use rule generate_model as generate_model_sweep with:
    input:
        unpack(get_sweep_generation_inputs),
    output:
        "results/generated/{generator}/{labelset}/frac-{frac}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}_frac-{frac}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}_frac-{frac}.tsv"


use rule generate_jukebox as generate_jukebox_sweep with:
    input:
        sources="results/augment/{generator}/{labelset}/frac-{frac}/sources.tsv",
    output:
        "results/generated/{generator}/{labelset}/frac-{frac}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}_frac-{frac}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}_frac-{frac}.tsv"


use rule generate_external as generate_external_sweep with:
    input:
        sources="results/augment/{generator}/{labelset}/frac-{frac}/sources.tsv",
    output:
        "results/generated/{generator}/{labelset}/frac-{frac}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}_frac-{frac}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}_frac-{frac}.tsv"


use rule mel_generated as mel_generated_sweep with:
    input:
        manifest="results/generated/{generator}/{labelset}/frac-{frac}/manifest.tsv",
    output:
        npy="results/features/{generator}/{labelset}/frac-{frac}/shard-0.npy",
        index="results/features/{generator}/{labelset}/frac-{frac}/shard-0.tsv",
    log:
        "logs/features/mel_generated/{generator}_{labelset}_frac-{frac}.log",
    benchmark:
        "benchmarks/features/mel_generated/{generator}_{labelset}_frac-{frac}.tsv"


use rule augment_train as augment_train_sweep with:
    input:
        train="results/data/{labelset}/train.tsv",
        generated="results/generated/{generator}/{labelset}/frac-{frac}/manifest.tsv",
    output:
        "results/augment/{generator}/{labelset}/frac-{frac}/train.tsv",
    log:
        "logs/augment/train/{generator}_{labelset}_frac-{frac}.log",
    benchmark:
        "benchmarks/augment/train/{generator}_{labelset}_frac-{frac}.tsv"


use rule train_classifier as train_classifier_sweep with:
    input:
        train="results/augment/{variant}/{labelset}/frac-{frac}/train.tsv",
        validation="results/data/{labelset}/validation.tsv",
        features=get_sweep_classifier_features,
        shards=get_sweep_classifier_shards,
    output:
        "results/classifier/{labelset}/{variant}/frac-{frac}/trial-{trial}/checkpoint.pt",
    log:
        "logs/classifier/train/{labelset}_{variant}_frac-{frac}_{trial}.log",
    benchmark:
        "benchmarks/classifier/train/{labelset}_{variant}_frac-{frac}_{trial}.tsv"


use rule predict_classifier as predict_classifier_sweep with:
    input:
        checkpoint="results/classifier/{labelset}/{variant}/frac-{frac}/trial-{trial}/checkpoint.pt",
        manifests=expand("results/data/{{labelset}}/{split}.tsv", split=EVAL_SPLITS),
        features=get_feature_indexes(EVAL_SPLITS),
        shards=get_feature_shards(EVAL_SPLITS),
    output:
        expand(
            "results/predictions/{{labelset}}/{{variant}}/frac-{{frac}}/trial-{{trial}}/{split}.tsv",
            split=EVAL_SPLITS,
        ),
    log:
        "logs/classifier/predict/{labelset}_{variant}_frac-{frac}_{trial}.log",
    benchmark:
        "benchmarks/classifier/predict/{labelset}_{variant}_frac-{frac}_{trial}.tsv"


use rule compute_metrics as compute_metrics_sweep with:
    input:
        test="results/predictions/{labelset}/{variant}/frac-{frac}/trial-{trial}/test.tsv",
        validation="results/predictions/{labelset}/{variant}/frac-{frac}/trial-{trial}/validation.tsv",
        test_manifest="results/data/{labelset}/test.tsv",
        validation_manifest="results/data/{labelset}/validation.tsv",
    output:
        "results/metrics/{labelset}/{variant}/frac-{frac}/trial-{trial}.tsv",
    log:
        "logs/evaluate/metrics/{labelset}_{variant}_frac-{frac}_{trial}.log",
    benchmark:
        "benchmarks/evaluate/metrics/{labelset}_{variant}_frac-{frac}_{trial}.tsv"


rule summarize_ratio_sweep:
    input:
        unpack(get_sweep_inputs),
    output:
        report(
            "results/tables/ratio_sweep_{labelset}.tsv",
            caption="../report/ratio_sweep.rst",
            category="Beyond the paper",
            subcategory="Ratio sweep",
            labels={"label set": "{labelset}", "table": "ratio sweep"},
        ),
    log:
        "logs/evaluate/ratio_sweep/{labelset}.log",
    benchmark:
        "benchmarks/evaluate/ratio_sweep/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        points=get_sweep_points(),
        trials=len(TRIALS),
        metric=config.get("sweep", {}).get("metric", "pr_auc_macro"),
        n_bootstrap=config.get("sweep", {}).get(
            "n_bootstrap", config.get("tables", {}).get("n_bootstrap", 1000)
        ),
        seed=config["seed"],
    script:
        "../scripts/summarize_ratio_sweep.py"


rule plot_ratio_sweep:
    input:
        "results/tables/ratio_sweep_{labelset}.tsv",
    output:
        report(
            "results/figures/ratio_sweep_{labelset}.pdf",
            caption="../report/ratio_sweep.rst",
            category="Beyond the paper",
            subcategory="Ratio sweep",
            labels={"label set": "{labelset}"},
        ),
    log:
        "logs/evaluate/plot_ratio_sweep/{labelset}.log",
    benchmark:
        "benchmarks/evaluate/plot_ratio_sweep/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        title=lambda wc: f"{wc.labelset}: test metric vs augmentation fraction",
    script:
        "../scripts/plot_ratio_sweep.py"
