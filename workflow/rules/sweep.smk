# Augmentation-ratio sweep (beyond the paper): test metric vs augmentation fraction. A point at
# augment.fraction IS the Table III run (run main, never trained twice); a point at any other
# fraction is the chain's run frac-<f> (see common.smk), chosen by get_sweep_inputs.


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
