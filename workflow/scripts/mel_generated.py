"""Rule mel_generated: the mel-spectrogram cache of a generator's clips (one shard)."""

from augeval.data.manifest import read_manifest
from augeval.features import MelParams, build_shard
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)


def main():
    manifest = read_manifest(sm.input.manifest)
    build_shard(manifest, MelParams.from_config(sm.params.mel), sm.output.npy, sm.output.index)


run_logged(sm.log[0], main)
