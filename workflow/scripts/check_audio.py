"""Rule check_audio: split checks and one early audio check per track of a split."""

from augeval.data.labels import labelset_from_config
from augeval.data.prepare import check_split_audio
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    metadata = {split: sm.input[split] for split in ("train", "validation", "test")}
    check_split_audio(
        metadata,
        sm.wildcards.split,
        [labelset_from_config(name, sm.params.labels) for name in sm.params.labelsets],
        sm.params.audio_root,
        sm.output[0],
        sample_rate=sm.params.sample_rate,
        read_seconds=sm.params.read_seconds,
        min_seconds=sm.params.min_seconds,
        policy=sm.params.policy,
        check_duration=sm.params.check_duration,
    )


run_logged(sm.log[0], main)
