# Fréchet distance between real and generated clips on the baseline classifier's embeddings,
# against the augmentation gain, and the "which generator for which class" table (beyond the
# paper). Nothing here trains: the baseline checkpoints of Table III embed the clips.


rule embed_clips:
    input:
        unpack(get_embedding_inputs),
    output:
        "results/embeddings/{labelset}/baseline/trial-{trial}.npz",
    log:
        "logs/distance/embed/{labelset}_{trial}.log",
    benchmark:
        "benchmarks/distance/embed/{labelset}_{trial}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=(config.get("distance") or {}).get("embed_runtime", 60),  # resumes per batch
    params:
        sets=get_embedding_sets(),
        batch_size=config["classifier"]["batch_size"],
    script:
        "../scripts/embed_clips.py"


rule frechet_distances:
    input:
        unpack(get_distance_inputs),
    output:
        report(
            "results/tables/distance_{labelset}.tsv",
            caption="../report/distance.rst",
            category="Beyond the paper",
            subcategory="Distance",
            labels={"table": "Fréchet distance", "label set": "{labelset}"},
        ),
    log:
        "logs/distance/frechet/{labelset}.log",
    benchmark:
        "benchmarks/distance/frechet/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        reference=get_distance_reference_splits(),
        labels=config["labels"],
        generators=DISTANCE_GENERATORS,
        clips_per_class=config.get("distance", {}).get("clips_per_class"),
        draws=config.get("distance", {}).get("draws", 20),
        seed=config["seed"],
    script:
        "../scripts/frechet_distances.py"


rule make_which_generator:
    input:
        unpack(get_which_generator_inputs),
    output:
        table=report(
            "results/tables/which_generator_{labelset}.tsv",
            caption="../report/which_generator.rst",
            category="Beyond the paper",
            subcategory="Which generator for which class",
            labels={
                "table": "which generator for which class",
                "label set": "{labelset}",
            },
        ),
        correlations=report(
            "results/tables/which_generator_{labelset}_correlations.tsv",
            caption="../report/which_generator.rst",
            category="Beyond the paper",
            subcategory="Which generator for which class",
            labels={"table": "rank correlations", "label set": "{labelset}"},
        ),
    log:
        "logs/distance/which_generator/{labelset}.log",
    benchmark:
        "benchmarks/distance/which_generator/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        generators=DISTANCE_GENERATORS,
        gain=config.get("distance", {}).get("gain_metric", "pr_auc"),
    script:
        "../scripts/make_which_generator.py"


rule plot_distance_gain:
    input:
        table="results/tables/which_generator_{labelset}.tsv",
        correlations=report(
            "results/tables/which_generator_{labelset}_correlations.tsv",
            caption="../report/which_generator.rst",
            category="Beyond the paper",
            subcategory="Which generator for which class",
            labels={"table": "rank correlations", "label set": "{labelset}"},
        ),
    output:
        report(
            "results/figures/distance_gain_{labelset}.pdf",
            caption="../report/distance_gain.rst",
            category="Beyond the paper",
            subcategory="Distance",
            labels={"figure": "distance vs gain", "label set": "{labelset}"},
        ),
    log:
        "logs/distance/plot/{labelset}.log",
    benchmark:
        "benchmarks/distance/plot/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        gain=config.get("distance", {}).get("gain_metric", "pr_auc"),
        labelset=lambda wc: wc.labelset,
    script:
        "../scripts/plot_distance_gain.py"
