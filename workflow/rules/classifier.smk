rule train_classifier:
    input:
        unpack(get_classifier_features),
        train=get_train_manifest,
        validation="results/data/{labelset}/validation.tsv",
    output:
        "results/classifier/{labelset}/{variant}/{run}/trial-{trial}/checkpoint.pt",
    log:
        "logs/classifier/train/{labelset}_{variant}_{run}_{trial}.log",
    benchmark:
        "benchmarks/classifier/train/{labelset}_{variant}_{run}_{trial}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: config["classifier"].get("threads", 1)
    resources:
        mem_mb=config["classifier"].get("resources", {}).get("mem_mb", 8000),
        runtime=config["classifier"].get("resources", {}).get("runtime", 720),
        gpu=config["classifier"].get("resources", {}).get("gpu", 1),
    params:
        classifier=get_classifier_config,
        labels=config["labels"],
        mel=config["features"],
        seed=config["seed"],
    script:
        "../scripts/train_classifier.py"


rule predict_classifier:
    input:
        checkpoints=get_classifier_checkpoints,
        manifests=expand("results/data/{{labelset}}/{split}.tsv", split=EVAL_SPLITS),
        features=get_feature_indexes(EVAL_SPLITS),
        shards=get_feature_shards(EVAL_SPLITS),
    output:
        expand(
            "results/predictions/{{labelset}}/{{variant}}/{{run}}/trial-{trial}/{split}.tsv",
            trial=TRIALS,
            split=EVAL_SPLITS,
        ),
    log:
        "logs/classifier/predict/{labelset}_{variant}_{run}.log",
    benchmark:
        "benchmarks/classifier/predict/{labelset}_{variant}_{run}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=config["classifier"].get("predict_runtime", 60),  # resumes per batch
    params:
        batch_size=config["classifier"]["batch_size"],
    script:
        "../scripts/predict_classifier.py"


rule predict_generated:
    input:
        unpack(get_generated_prediction_inputs),
    output:
        expand(
            "results/predictions/{{labelset}}/baseline/main/trial-{trial}/generated_{{generator}}.tsv",
            trial=TRIALS,
        ),
    log:
        "logs/classifier/predict_generated/{labelset}_{generator}.log",
    benchmark:
        "benchmarks/classifier/predict_generated/{labelset}_{generator}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=config["classifier"].get("predict_runtime", 60),  # resumes per batch
    params:
        batch_size=config["classifier"]["batch_size"],
    script:
        "../scripts/predict_classifier.py"


# A samples generator's score-run clips (every clip it provides), by the baseline of every trial.
use rule predict_generated as predict_provided with:
    input:
        unpack(get_provided_prediction_inputs),
    output:
        expand(
            "results/predictions/{{labelset}}/baseline/main/trial-{trial}/provided_{{generator}}.tsv",
            trial=TRIALS,
        ),
    log:
        "logs/classifier/predict_provided/{labelset}_{generator}.log",
    benchmark:
        "benchmarks/classifier/predict_provided/{labelset}_{generator}.tsv"
