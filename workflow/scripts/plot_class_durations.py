"""Rule plot_class_durations (Fig. 1): hours per class and split of one label set."""

from augeval.data.labels import labelset_from_config
from augeval.data.manifest import read_manifest
from augeval.logs import run_logged
from augeval.plots import class_durations, plot_class_durations

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    labelset = labelset_from_config(sm.wildcards.labelset, sm.params.labels)
    manifests = {
        split: read_manifest(p)
        for split, p in zip(sm.params.splits, sm.input.manifests, strict=True)
    }
    hours = class_durations(manifests, labelset.classes)
    plot_class_durations(hours, sm.output[0], title=sm.params.title)


run_logged(sm.log[0], main)
