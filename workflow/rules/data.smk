rule demo_corpus:
    output:
        audio=directory(f"{DEMO_DIR}/audio"),
        metadata=f"{DEMO_DIR}/autotagging_moodtheme.tsv",
        splits=expand(
            f"{DEMO_DIR}/splits/{{name}}/autotagging_moodtheme-{{split}}.tsv",
            name=DEMO_SPLIT,
            split=SPLITS,
        ),
    log:
        "logs/data/demo_corpus.log",
    benchmark:
        "benchmarks/data/demo_corpus.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        demo=config["data"].get("demo", {}),
        tags=config["labels"]["tags"],
        seed=config["seed"],
    script:
        "../scripts/make_demo_corpus.py"


rule check_audio:
    input:
        unpack(get_all_split_metadata),
        emotion_mapping=config["labels"]["emotion_mapping"],
    output:
        "results/data/audio_check/{split}.tsv",
    log:
        "logs/data/check_audio/{split}.log",
    benchmark:
        "benchmarks/data/check_audio/{split}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        labelsets=LABELSETS,
        labels=config["labels"],
        audio_root=get_audio_root(),
        sample_rate=config["features"]["sample_rate"],
        read_seconds=get_audio_check_seconds(),
        min_seconds=config["data"].get("min_seconds", 1.0),
        policy=config["data"].get("on_bad_audio", "error"),
        check_duration=config["data"].get("check_duration", True),
    script:
        "../scripts/check_audio.py"


rule make_manifest:
    input:
        metadata=get_split_metadata,
        emotion_mapping=config["labels"]["emotion_mapping"],
        audit="results/data/audio_check/{split}.tsv",
    output:
        "results/data/{labelset}/{split}.tsv",
    log:
        "logs/data/make_manifest/{labelset}_{split}.log",
    benchmark:
        "benchmarks/data/make_manifest/{labelset}_{split}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tags=config["labels"]["tags"],
        multi_quadrant=config["labels"].get("multi_quadrant", "first_tag"),
        audio_root=get_audio_root(),
    script:
        "../scripts/make_manifest.py"


rule list_rejected:
    input:
        expand("results/data/audio_check/{split}.tsv", split=SPLITS),
    output:
        report(
            "results/data/{labelset}/rejected.tsv",
            caption="../report/rejected.rst",
            category="Data",
            labels={"label set": "{labelset}", "table": "rejected audio"},
        ),
    log:
        "logs/data/list_rejected/{labelset}.log",
    benchmark:
        "benchmarks/data/list_rejected/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        splits=SPLITS,
    script:
        "../scripts/list_rejected.py"


rule carve_oracle_holdout:
    input:
        train=get_original_split_metadata("train"),
    output:
        train=f"{HOLDOUT_DIR}/train.tsv",
        pool=f"{HOLDOUT_DIR}/pool.tsv",
    log:
        "logs/data/carve_oracle_holdout.log",
    benchmark:
        "benchmarks/data/carve_oracle_holdout.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        fraction=ORACLE_HOLDOUT,
        tags=config["labels"]["tags"],
        seed=config["seed"],
    script:
        "../scripts/carve_oracle_holdout.py"


rule make_pool_manifest:
    input:
        metadata=f"{HOLDOUT_DIR}/pool.tsv",
        emotion_mapping=config["labels"]["emotion_mapping"],
        audit="results/data/audio_check/train.tsv",  # the pool's tracks come from train
    output:
        "results/data/{labelset}/oracle_pool.tsv",
    log:
        "logs/data/make_manifest/{labelset}_oracle_pool.log",
    benchmark:
        "benchmarks/data/make_manifest/{labelset}_oracle_pool.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tags=config["labels"]["tags"],
        multi_quadrant=config["labels"].get("multi_quadrant", "first_tag"),
        audio_root=get_audio_root(),
        allow_empty_classes=True,
    script:
        "../scripts/make_manifest.py"
