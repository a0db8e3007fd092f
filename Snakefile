from snakemake.utils import min_version

min_version("9.0")


# The demo config is the default; a --configfile (e.g. config/mtg_jamendo.yaml) replaces it
# rather than being merged into it, so no demo setting leaks into another configuration.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/augment.smk"
include: "workflow/rules/generators.smk"
include: "workflow/rules/classifier.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/distance.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/cas.smk"
include: "workflow/rules/report.smk"
# Last: it reads the resources every rule above declares.
include: "workflow/rules/forecast.smk"


rule all:
    default_target: True
    input:
        get_final_output(),


# Opt-in: `snakemake download_audio --configfile config/mtg_jamendo.yaml` fetches the dataset's
# audio archives into data.audio_root. Nothing else depends on it, so an existing audio folder
# is used as it is.
rule download_audio:
    input:
        get_download_receipts,


# `snakemake score`: every configured generator's score tables on every label set (score.smk).
rule score:
    input:
        get_score_output(),


# `snakemake report_pages`: the report's front page (the verdict) and its listening gallery,
# from the baseline classifiers and the score view (no training); report.pages: true puts them
# in rule all.
rule report_pages:
    input:
        get_report_pages(always=True),
