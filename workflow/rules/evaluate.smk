rule compute_metrics:
    input:
        unpack(get_metrics_inputs),
    output:
        trials=expand(
            "results/metrics/{{labelset}}/{{variant}}/{{run}}/trial-{trial}.tsv",
            trial=TRIALS,
        ),
        summary=report(
            "results/metrics/{labelset}/{variant}/{run}/summary.tsv",
            caption="../report/metrics_summary.rst",
            category="Metrics",
            subcategory="{labelset}",
        ),
    log:
        "logs/evaluate/metrics/{labelset}_{variant}_{run}.log",
    benchmark:
        "benchmarks/evaluate/metrics/{labelset}_{variant}_{run}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/compute_metrics.py"


rule plot_confusion:
    input:
        unpack(get_confusion_inputs),
    output:
        figure=report(
            "results/figures/confusion_{labelset}_{variant}.pdf",
            caption="../report/confusion.rst",
            category="Figures",
            subcategory="Confusion matrices",
            labels={"label set": "{labelset}", "variant": "{variant}"},
        ),
        matrix="results/figures/confusion_{labelset}_{variant}.tsv",
    log:
        "logs/evaluate/confusion/{labelset}_{variant}.log",
    benchmark:
        "benchmarks/evaluate/confusion/{labelset}_{variant}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        title=get_confusion_title,
        display_name=get_display_name,
    script:
        "../scripts/plot_confusion.py"


rule make_table3:
    input:
        unpack(get_table3_inputs),
    output:
        tsv="results/tables/table3_{labelset}.tsv",
        md=report(
            "results/tables/table3_{labelset}.md",
            caption="../report/table3.rst",
            category="Tables",
            labels={"table": "Table III", "label set": "{labelset}"},
        ),
        per_class=report(
            "results/tables/table3_{labelset}_per_class.tsv",
            caption="../report/table3_per_class.rst",
            category="Tables",
            labels={"table": "Table III per class", "label set": "{labelset}"},
        ),
    log:
        "logs/evaluate/table3/{labelset}.log",
    benchmark:
        "benchmarks/evaluate/table3/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        # the paper config's bootstrap: 1000 rounds x 11 arms (6 variants + the equal-steps
        # block's 5) x 2 trials, ~3.5 h forecast (results/plan/cost_forecast.tsv)
        runtime=360,
    params:
        variants=VARIANTS,
        equal_steps=get_equal_steps_generators,
        display_names=get_display_names(),
        trials=len(TRIALS),
        tables=config.get("tables", {}),
        controls=get_controls(),
        seed=config["seed"],
    script:
        "../scripts/make_table3.py"


rule controls_check:
    input:
        table3="results/tables/table3_{labelset}.tsv",
    output:
        report(
            "results/tables/controls_check_{labelset}.tsv",
            caption="../report/controls_check.rst",
            category="Tables",
            labels={"table": "Controls check", "label set": "{labelset}"},
        ),
    log:
        "logs/evaluate/controls_check/{labelset}.log",
    benchmark:
        "benchmarks/evaluate/controls_check/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        controls=get_controls(),
        tables=config.get("tables", {}),
    script:
        "../scripts/controls_check.py"


rule make_table1:
    input:
        manifests=expand(
            "results/data/{labelset}/{split}.tsv", labelset=LABELSETS, split=SPLITS
        ),
        rejected=expand("results/data/{labelset}/rejected.tsv", labelset=LABELSETS),
    output:
        report(
            "results/tables/table1_durations.tsv",
            caption="../report/table1.rst",
            category="Tables",
            labels={"table": "Table I", "label set": "all"},
        ),
    log:
        "logs/evaluate/table1.log",
    benchmark:
        "benchmarks/evaluate/table1.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        labelsets=LABELSETS,
        splits=SPLITS,
        visible_seconds=get_visible_seconds(),
    script:
        "../scripts/make_table1.py"


rule plot_class_durations:
    input:
        manifests=expand("results/data/{{labelset}}/{split}.tsv", split=SPLITS),
    output:
        report(
            "results/figures/class_durations_{labelset}.pdf",
            caption="../report/class_durations.rst",
            category="Figures",
            subcategory="Class durations",
            labels={"label set": "{labelset}"},
        ),
    log:
        "logs/evaluate/class_durations/{labelset}.log",
    benchmark:
        "benchmarks/evaluate/class_durations/{labelset}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        splits=SPLITS,
        labels=config["labels"],
        title=lambda wc: f"{wc.labelset}: duration per class and split",
    script:
        "../scripts/plot_class_durations.py"
