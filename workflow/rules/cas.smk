# Train on generated, test on real (Classification Accuracy Score, Ravuri & Vinyals 2019; beyond
# the paper): per selected generator, the chain's run cas trains a classifier on that generator's
# main-run clips only (results/augment/{generator}/{labelset}/cas/train.tsv, checked to hold no
# real train row), selected on the real validation split and scored on the real test split.


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
