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


rule make_manifest:
    input:
        metadata=get_split_metadata,
        emotion_mapping=config["labels"]["emotion_mapping"],
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
