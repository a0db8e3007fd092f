"""Rule score_clips: one generator's clips judged by the baseline classifiers of every trial
(augeval.score): a per-class summary beside the copy and noise anchors, and a per-clip table."""

from augeval.atomic import write_tsv
from augeval.data.labels import labelset_from_config
from augeval.logs import run_logged
from augeval.score import score_generator
from augeval.seeding import derive_seed

sm = snakemake  # noqa: F821  (injected by Snakemake)


def per_trial(paths, trials):
    """Split a flat list ordered (group, trial) into one list of ``trials`` paths per group."""
    paths = list(paths)
    return [paths[i : i + trials] for i in range(0, len(paths), trials)]


def main():
    trials, anchors = sm.params.trials, list(sm.params.anchors)
    classes = list(labelset_from_config(sm.wildcards.labelset, sm.params.labels).classes)
    scored = (
        {key: sm.input[f"scored_{key}"] for key in ("manifest", "sources", "predictions")}
        | {"embeddings": list(sm.input.scored_embeddings)}
        | dict(sm.params.scored_set)
    )
    anchor_files = {
        name: {
            "manifest": manifest,
            "sources": sources,
            "predictions": predictions,
            "embeddings": embeddings,
        }
        for name, manifest, sources, predictions, embeddings in zip(
            anchors,
            sm.input.anchor_manifest,
            sm.input.anchor_sources,
            per_trial(sm.input.anchor_predictions, trials),
            per_trial(sm.input.anchor_embeddings, trials),
            strict=True,
        )
    }
    summary, clips = score_generator(
        generator=sm.wildcards.generator,
        classes=classes,
        scored_files=scored,
        anchor_files=anchor_files,
        reference_manifests=list(sm.input.reference_manifests),
        reference_embeddings=per_trial(sm.input.reference_embeddings, trials),
        train_manifest=sm.input.train_manifest,
        train_embeddings=list(sm.input.train_embeddings),
        settings=sm.params.settings,
        seed=derive_seed(sm.params.seed, "score", sm.wildcards.labelset, sm.wildcards.generator),
        sample_rate=sm.params.sample_rate,
        audio_seconds=sm.params.audio_seconds,
    )
    write_tsv(summary, sm.output.summary, float_format="%.6g", na_rep="nan")
    write_tsv(clips, sm.output.clips, float_format="%.6g", na_rep="nan")


run_logged(sm.log[0], main)
