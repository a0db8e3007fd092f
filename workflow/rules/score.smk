# Score a generator's clips in minutes (issue 20): what the baseline classifiers of every trial
# make of its clips (a samples generator: every clip it provides, run score; any other kind: its
# main-run clips), per class and per clip, beside the copy and noise controls. Nothing here
# trains: the DAG may generate, cache mels, train and run the *baseline*, and embed.


rule embed_score_clips:
    input:
        unpack(get_score_embedding_inputs),
    output:
        "results/embeddings/{labelset}/baseline/trial-{trial}/{clipset}.npz",
    log:
        "logs/score/embed/{labelset}_{trial}_{clipset}.log",
    benchmark:
        "benchmarks/score/embed/{labelset}_{trial}_{clipset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        sets=get_score_embedding_set,
        batch_size=config["classifier"]["batch_size"],
    script:
        "../scripts/embed_clips.py"


rule score_clips:
    input:
        unpack(get_score_inputs),
    output:
        summary=report(
            "results/score/{labelset}/{generator}/summary.tsv",
            caption="../report/score_summary.rst",
            category="Score",
            labels={
                "table": "score summary",
                "label set": "{labelset}",
                "generator": "{generator}",
            },
        ),
        clips=report(
            "results/score/{labelset}/{generator}/clips.tsv",
            caption="../report/score_clips.rst",
            category="Score",
            labels={
                "table": "score per clip",
                "label set": "{labelset}",
                "generator": "{generator}",
            },
        ),
    log:
        "logs/score/score/{labelset}_{generator}.log",
    benchmark:
        "benchmarks/score/score/{labelset}_{generator}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        anchors=get_score_anchors,
        scored_set=get_score_scored_set,
        trials=len(TRIALS),
        labels=config["labels"],
        settings=config["score"],
        seed=config["seed"],
        sample_rate=config["features"]["sample_rate"],
        audio_seconds=get_audio_check_seconds(),
    script:
        "../scripts/score_clips.py"
