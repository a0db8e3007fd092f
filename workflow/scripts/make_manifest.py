"""Rule make_manifest: metadata split TSV → manifest of one label set."""

from augeval.data.prepare import prepare_manifest
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    prepare_manifest(
        sm.input.metadata,
        sm.wildcards.labelset,
        list(sm.params.tags),
        sm.input.emotion_mapping,
        sm.params.audio_root,
        sm.output[0],
        multi_quadrant=sm.params.multi_quadrant,
        audit=sm.input.audit,
        allow_empty_classes=sm.params.get("allow_empty_classes", False),
    )


run_logged(sm.log[0], main)
