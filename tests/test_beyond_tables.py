"""Ratio-sweep, CAS and which-generator tables; the train-on-generated manifest; embeddings."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import metrics as skm

from augeval.beyond_tables import (
    cas_table,
    rank_correlations,
    recognisability,
    sweep_table,
    which_generator_table,
)
from augeval.checkpoints import save_checkpoint
from augeval.classifier.predict import embed_manifest
from augeval.classifier.train import build_model
from augeval.errors import DataError
from augeval.policy import generated_only_train


def metric_frame(values: dict[tuple[str, str, str], float]) -> pd.DataFrame:
    rows = [(m, a, t, v) for (m, a, t), v in values.items()]
    return pd.DataFrame(rows, columns=["metric", "average", "thresholds", "value"])


def full_metrics(level: float) -> pd.DataFrame:
    values = {}
    for m in ("roc_auc", "pr_auc"):
        for a in ("macro", "micro"):
            values[(m, a, "none")] = level
    for a in ("macro", "micro"):
        values[("f1", a, "test")] = level / 2
    return metric_frame(values)


def test_sweep_table_means_from_metrics_and_bootstrap_ci_around_them():
    rng = np.random.default_rng(0)
    y = rng.random((60, 3)) < 0.4
    good = [y + rng.normal(0, 0.3, y.shape) for _ in range(2)]
    bad = [rng.random(y.shape) for _ in range(2)]

    def tables(scores):
        out = []
        for s in scores:
            ap = skm.average_precision_score(y, s, average="macro")
            out.append(metric_frame({("pr_auc", "macro", "none"): ap}))
        return out

    metrics = {("baseline", 0.0): tables(bad), ("g", 0.1): tables(good), ("g", 0.5): tables(bad)}
    scores = {("baseline", 0.0): bad, ("g", 0.1): good, ("g", 0.5): bad}
    table = sweep_table(metrics, scores, y, "pr_auc_macro", n_boot=100, seed=1).set_index(
        ["generator", "fraction"]
    )
    expected = np.mean([skm.average_precision_score(y, s, average="macro") for s in good])
    assert table.loc[("g", 0.1), "mean"] == pytest.approx(expected)
    assert (table["ci_low"] <= table["mean"] + 0.02).all()
    assert (table["mean"] <= table["ci_high"] + 0.02).all()
    assert table.loc[("g", 0.1), "ci_low"] > table.loc[("baseline", 0.0), "ci_high"]
    with pytest.raises(ValueError, match="sweep metric"):
        sweep_table(metrics, scores, y, "f1_macro", n_boot=1, seed=1)


def test_cas_table_ratio_to_real():
    table = cas_table({"g": [full_metrics(0.6), full_metrics(0.4)]}, [full_metrics(0.8)] * 2)
    row = table[(table["train_data"] == "g") & (table["metric"] == "roc_auc")].iloc[0]
    assert row["mean"] == pytest.approx(0.5) and row["ratio_to_real"] == pytest.approx(0.625)
    assert row["std"] == pytest.approx(np.std([0.6, 0.4], ddof=1))
    real = table[table["train_data"] == "real"]
    assert np.allclose(real["ratio_to_real"], 1.0)
    assert list(zip(real["metric"], real["average"], real["thresholds"], strict=True)) == [
        ("f1", "macro", "test"), ("f1", "micro", "test"), ("pr_auc", "macro", "none"),
        ("pr_auc", "micro", "none"), ("roc_auc", "macro", "none"), ("roc_auc", "micro", "none"),
    ]  # fmt: skip


def test_sweep_ci_is_the_percentile_of_a_direct_bootstrap():
    """The sweep draws one ``integers(0, n, n)`` per round, shared by every point."""
    rng = np.random.default_rng(5)
    y = rng.random((30, 3)) < 0.4
    y[:, 2] = False  # undefined class: left out of the macro average
    runs = {("baseline", 0.0): [rng.random(y.shape)], ("g", 0.5): [y + rng.random(y.shape)] * 2}
    metrics = {k: [full_metrics(0.5)] * len(v) for k, v in runs.items()}
    table = sweep_table(metrics, runs, y, "roc_auc_micro", n_boot=20, seed=6)
    draws = np.random.default_rng(6)
    boot = {k: [] for k in runs}
    for _ in range(20):
        idx = draws.integers(0, len(y), len(y))
        for k, trials in runs.items():
            flat = y[idx].ravel()
            boot[k].append(np.mean([skm.roc_auc_score(flat, s[idx].ravel()) for s in trials]))
    for k in runs:
        row = table.set_index(["generator", "fraction"]).loc[k]
        # equal to rounding (augeval's ROC-AUC is NumPy's, the reference here scikit-learn's): any
        # other resampling scheme would move the percentiles by far more than 1e-12
        expected = np.percentile(boot[k], [2.5, 97.5])
        assert [row["ci_low"], row["ci_high"]] == pytest.approx(list(expected), rel=0, abs=1e-12)
        assert row["mean"] == 0.5 and row["metric"] == "roc_auc_micro"
    macro = sweep_table(metrics, runs, y, "pr_auc_macro", n_boot=3, seed=6)
    assert np.isfinite(macro["ci_low"]).all()


def test_generated_only_train_refuses_real_rows():
    real = pd.DataFrame(
        {"track_id": ["r1", "r2"], "path": ["a.wav", "b.wav"], "source": ["real", "real"]}
    )
    gen = pd.DataFrame({"track_id": ["g1"], "path": ["g/g1.wav"], "source": ["copy"]})
    assert generated_only_train(real, gen)["track_id"].tolist() == ["g1"]
    for bad in (
        pd.concat([gen, real.iloc[:1]]),  # a real row
        gen.assign(track_id="r2"),  # a real id
        gen.assign(path="a.wav"),  # a real file
    ):
        with pytest.raises(DataError, match="real train"):
            generated_only_train(real, bad)


def test_which_generator_table_joins_and_ranks():
    classes = ["a", "b"]
    per_class = pd.DataFrame(
        [
            {"class": c, "variant": v, "n_test_positives": 5, "roc_auc": 0.5, "pr_auc": 0.5,
             "delta_roc_auc": d, "delta_pr_auc": d}
            for v, ds in (("baseline", (0, 0)), ("g1", (0.2, -0.1)), ("g2", (0.1, 0.3)))
            for c, d in zip(classes, ds, strict=True)
        ]
    )  # fmt: skip
    distance = pd.DataFrame(
        [
            {"generator": g, "class": c, "n_clips": 4, "fd": fd, "fd_floor": 1.0,
             "fd_excess": fd - 1.0}
            for g, fds in (("g1", (2.0, 5.0)), ("g2", (3.0, 1.5)))
            for c, fd in zip(classes, fds, strict=True)
        ]
    )  # fmt: skip
    confusion = {
        "g1": pd.DataFrame(
            [[4, 0.75, 0.25], [4, 0.5, 0.5]], index=classes, columns=["n", *classes]
        ),
        "g2": pd.DataFrame([[4, 1.0, 0.0], [4, 0.0, 1.0]], index=classes, columns=["n", *classes]),
    }
    assert recognisability(confusion["g1"]).to_dict() == {"a": 0.75, "b": 0.5}
    table = which_generator_table(per_class, distance, confusion)
    assert list(zip(table["class"], table["generator"], strict=True)) == [
        ("a", "g1"), ("a", "g2"), ("b", "g2"), ("b", "g1"),
    ]  # fmt: skip
    assert table["rank_gain"].tolist() == [1, 2, 1, 2]
    row = table[(table["class"] == "b") & (table["generator"] == "g1")].iloc[0]
    assert row["fd"] == 5.0 and row["recognisability"] == 0.5 and row["gain_pr_auc"] == -0.1
    assert table["cas_roc_auc"].isna().all()


def test_rank_correlations_match_scipy_free_computation():
    table = pd.DataFrame(
        {
            "generator": ["g1", "g1", "g2", "g2", "g3", "g3"],
            "class": ["a", "b"] * 3,
            "fd": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "gain": [0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
            "recognisability": [0.1, 0.3, 0.2, 0.5, 0.4, 0.6],
        }
    )
    both = rank_correlations(table, [("fd", "gain"), ("fd", "recognisability")])
    assert len(both) == 4
    other = both[(both["y"] == "recognisability") & (both["level"] == "generator×class")]
    assert other["spearman_rho"].iloc[0] == pytest.approx(1 - 6 * 4 / (6 * 35))  # 1 - 6Σd²/n(n²-1)
    out = both[both["y"] == "gain"].set_index("level")
    assert out.loc["generator×class", "spearman_rho"] == pytest.approx(-1.0)
    assert out.loc["generator×class", "n_points"] == 6
    assert out.loc["generator", "spearman_rho"] == pytest.approx(-1.0)
    assert out.loc["generator", "n_points"] == 3


def test_embeddings_are_the_chunk_features_before_the_heads(tmp_path):
    rng = np.random.default_rng(0)
    n_mels, rows, mels, start = 16, [], [], 0
    manifest = []
    for i in range(8):
        mel = rng.normal(-60, 6, size=(n_mels, 70)).astype(np.float16)
        mels.append(mel)
        rows.append((f"t{i}", "shard-0.npy", start, 70))
        start += 70
        manifest.append((f"t{i}", f"{i}.wav", 1.0, "ab"[i % 2], "real"))
    np.save(tmp_path / "shard-0.npy", np.concatenate(mels, axis=1))
    pd.DataFrame(rows, columns=["track_id", "shard", "start", "n_frames"]).to_csv(
        tmp_path / "shard-0.tsv", sep="\t", index=False
    )
    df = pd.DataFrame(manifest, columns=["track_id", "path", "duration_s", "labels", "source"])
    torch.manual_seed(0)
    cfg = {"width_mult": 0.25, "pretrained": "none", "chunk_frames": 32}
    model = build_model(2, cfg, n_mels)
    checkpoint = {
        "model": model.state_dict(),
        "classes": ["a", "b"],
        "model_config": cfg | {"n_mels": n_mels},
        "input_frames": 64,
    }
    save_checkpoint(checkpoint, tmp_path / "c.pt")
    index = [str(tmp_path / "shard-0.tsv")]
    ids, emb = embed_manifest(tmp_path / "c.pt", df, index, batch_size=3)
    assert ids == list(df["track_id"]) and emb.shape == (8, 2, 256) and emb.dtype == np.float32
    # independent path: the model's own chunk embedding of the first 64 frames, in dB / 100
    model.eval()
    x = torch.from_numpy(np.stack([m[:, :64] for m in mels]).astype(np.float32) / 100)
    with torch.no_grad():
        expected = model.embed_chunks(x).numpy()
    assert np.allclose(emb, expected, atol=1e-5)


def test_sweep_and_scatter_figures_are_written(tmp_path):
    from augeval.plots import plot_distance_gain, plot_ratio_sweep

    sweep = pd.DataFrame(
        [
            ("baseline", 0.0, 0.50, 0.45, 0.55),
            ("g", 0.1, 0.55, 0.50, 0.60),
            ("g", 0.3, 0.60, 0.54, 0.66),
        ],
        columns=["generator", "fraction", "mean", "ci_low", "ci_high"],
    ).assign(metric="pr_auc_macro")
    plot_ratio_sweep(sweep, tmp_path / "sweep.pdf", title="t")
    scatter = pd.DataFrame(
        {"generator": ["g", "g", "h"], "class": ["a", "b", "a"], "fd": [0.1, 0.2, 1.5],
         "gain_pr_auc": [0.2, 0.1, -0.05]}
    )  # fmt: skip
    plot_distance_gain(scatter, tmp_path / "scatter.pdf", title="t")
    for name in ("sweep.pdf", "scatter.pdf"):
        assert (tmp_path / name).read_bytes()[:5] == b"%PDF-"
