# Train on generated, test on real (Classification Accuracy Score, Ravuri & Vinyals 2019; beyond
# the paper): per selected generator, a classifier trained on that generator's clips only
# (results/augment/{generator}/{labelset}/cas_train.tsv, which is checked to hold no real train
# row), selected on the real validation split and scored on the real test split.


rule cas_train_manifest:
    input:
        train="results/data/{labelset}/train.tsv",
        generated="results/generated/{generator}/{labelset}/manifest.tsv",
    output:
        "results/augment/{generator}/{labelset}/cas_train.tsv",
    log:
        "logs/cas/manifest/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/cas/manifest/{generator}_{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/cas_train_manifest.py"


use rule train_classifier as train_classifier_cas with:
    input:
        train="results/augment/{variant}/{labelset}/cas_train.tsv",
        validation="results/data/{labelset}/validation.tsv",
        features=get_cas_classifier_features,
        shards=get_cas_classifier_shards,
    output:
        "results/classifier/{labelset}/{variant}/cas/trial-{trial}/checkpoint.pt",
    log:
        "logs/classifier/train/{labelset}_{variant}_cas_{trial}.log",
    benchmark:
        "benchmarks/classifier/train/{labelset}_{variant}_cas_{trial}.tsv"


use rule predict_classifier as predict_classifier_cas with:
    input:
        checkpoint="results/classifier/{labelset}/{variant}/cas/trial-{trial}/checkpoint.pt",
        manifests=expand("results/data/{{labelset}}/{split}.tsv", split=EVAL_SPLITS),
        features=get_feature_indexes(EVAL_SPLITS),
        shards=get_feature_shards(EVAL_SPLITS),
    output:
        expand(
            "results/predictions/{{labelset}}/{{variant}}/cas/trial-{{trial}}/{split}.tsv",
            split=EVAL_SPLITS,
        ),
    log:
        "logs/classifier/predict/{labelset}_{variant}_cas_{trial}.log",
    benchmark:
        "benchmarks/classifier/predict/{labelset}_{variant}_cas_{trial}.tsv"


use rule compute_metrics as compute_metrics_cas with:
    input:
        test="results/predictions/{labelset}/{variant}/cas/trial-{trial}/test.tsv",
        validation="results/predictions/{labelset}/{variant}/cas/trial-{trial}/validation.tsv",
        test_manifest="results/data/{labelset}/test.tsv",
        validation_manifest="results/data/{labelset}/validation.tsv",
    output:
        "results/metrics/{labelset}/{variant}/cas/trial-{trial}.tsv",
    log:
        "logs/evaluate/metrics/{labelset}_{variant}_cas_{trial}.log",
    benchmark:
        "benchmarks/evaluate/metrics/{labelset}_{variant}_cas_{trial}.tsv"


rule make_cas_table:
    input:
        unpack(get_cas_table_inputs),
    output:
        table=report(
            "results/tables/cas_{labelset}.tsv",
            caption="../report/cas.rst",
            category="Beyond the paper",
            subcategory="Train on generated",
            labels={"table": "CAS", "label set": "{labelset}"},
        ),
        per_class=report(
            "results/tables/cas_{labelset}_per_class.tsv",
            caption="../report/cas.rst",
            category="Beyond the paper",
            subcategory="Train on generated",
            labels={"table": "CAS per class", "label set": "{labelset}"},
        ),
    log:
        "logs/cas/table/{labelset}.log",
    benchmark:
        "benchmarks/cas/table/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        generators=CAS_GENERATORS,
        trials=len(TRIALS),
        thresholds=config.get("tables", {}).get("f1_thresholds", "test"),
    script:
        "../scripts/make_cas_table.py"
