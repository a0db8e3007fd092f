rule compute_metrics:
    input:
        test="results/predictions/{labelset}/{variant}/trial-{trial}/test.tsv",
        validation="results/predictions/{labelset}/{variant}/trial-{trial}/validation.tsv",
        test_manifest="results/data/{labelset}/test.tsv",
        validation_manifest="results/data/{labelset}/validation.tsv",
    output:
        "results/metrics/{labelset}/{variant}/trial-{trial}.tsv",
    log:
        "logs/evaluate/metrics/{labelset}_{variant}_{trial}.log",
    benchmark:
        "benchmarks/evaluate/metrics/{labelset}_{variant}_{trial}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/compute_metrics.py"


rule summarize_metrics:
    input:
        get_trial_metrics,
    output:
        report(
            "results/metrics/{labelset}/{variant}/summary.tsv",
            caption="../report/metrics_summary.rst",
            category="Metrics",
            subcategory="{labelset}",
        ),
    log:
        "logs/evaluate/summary/{labelset}_{variant}.log",
    benchmark:
        "benchmarks/evaluate/summary/{labelset}_{variant}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/summarize_metrics.py"


rule plot_confusion:
    input:
        predictions=get_trial_predictions,
        manifest="results/data/{labelset}/test.tsv",
    output:
        report(
            "results/figures/confusion_{labelset}_{variant}.pdf",
            caption="../report/confusion.rst",
            category="Figures",
            subcategory="{labelset}",
        ),
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
        title=lambda wc: f"{wc.labelset}: test split classified by the {wc.variant} classifier",
    script:
        "../scripts/plot_confusion.py"
