# The gallery's {label}: a class of a configured label set.
wildcard_constraints:
    label=one_of(GALLERY_LABELS),


# The report's front page (the verdict) and its listening gallery (issue 20): read Table III,
# the controls check where one is built, and the score view; they train nothing.


rule make_front_page:
    input:
        unpack(get_front_page_inputs),
    output:
        report(
            "results/report/front_page.html",
            caption="../report/front_page.rst",
            category="Verdict",
            labels={"page": "verdict"},
        ),
    log:
        "logs/report/front_page.log",
    benchmark:
        "benchmarks/report/front_page.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        labelsets=LABELSETS,
        generators=GENERATORS,
        controls=CONTROLS,
        display_names=get_display_names(),
        metric=config["report"]["headline_metric"],
        trials=len(TRIALS),
    script:
        "../scripts/make_front_page.py"


rule make_gallery_page:
    input:
        unpack(get_gallery_inputs),
    output:
        report(
            "results/report/gallery/{labelset}/{label}.html",
            caption="../report/gallery.rst",
            category="Listen",
            subcategory="{labelset}",
            labels={"label set": "{labelset}", "class": "{label}"},
        ),
    log:
        "logs/report/gallery/{labelset}_{label}.log",
    benchmark:
        "benchmarks/report/gallery/{labelset}_{label}.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        generators=GENERATORS,
        display_names=get_display_names(),
        labels=config["labels"],
        settings=config["report"]["gallery"],
        features=config["features"],
        trials=len(TRIALS),
        seed=config["seed"],
    script:
        "../scripts/make_gallery_page.py"
