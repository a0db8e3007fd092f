# Cost forecast: per rule, how many jobs, on which device, how long (longest job and all jobs)
# against the rule's runtime limit, from the config, the split metadata (durations; no audio)
# and the measured unit costs in resources/costs.yaml (augeval.forecast).
rule cost_forecast:
    input:
        unpack(get_all_split_metadata),
        emotion_mapping=config["labels"]["emotion_mapping"],
        costs="resources/costs.yaml",
    output:
        rules=report(
            "results/plan/cost_forecast.tsv",
            caption="../report/cost_forecast.rst",
            category="Plan",
            labels={"table": "cost forecast per rule"},
        ),
        generators="results/plan/cost_forecast_by_generator.tsv",
        # the same jobs if the GPU rules ran on a CPU (the demo on a laptop or on this VM)
        cpu_only="results/plan/cost_forecast_cpu_only.tsv",
    log:
        "logs/plan/cost_forecast.log",
    benchmark:
        "benchmarks/plan/cost_forecast.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        config=config,
        plan=get_forecast_plan(),
    script:
        "../scripts/cost_forecast.py"
