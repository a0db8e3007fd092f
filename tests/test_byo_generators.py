"""Generator kinds in the real workflow (small Snakemake DAGs on the demo corpus): bring-your-own
``kind: samples`` and ``kind: command``, and the Jukebox rules (a tiny untrained model; missing
pretrained weights; the opt-in weight fetch against a local server)."""

from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from helpers import REPO, run_config

from augeval.digest import sha256_file
from augeval.errors import DataError, GeneratorError
from augeval.generators.external import check_clip, draw_samples

TOY = REPO / "tests" / "data" / "byo" / "toy_generator.py"
QUADRANTS = (
    "activated_pleasant", "deactivated_pleasant", "activated_unpleasant", "deactivated_unpleasant",
)  # fmt: skip
TOY_CMD = (
    f"{sys.executable} {TOY} --primes {{prime_list}} --out {{out_dir}} "
    "--seconds {seconds} --sample-rate {sample_rate}"
)


def write_pool(root: Path, sr: int = 22050, per_class: int = 6, seconds: float = 3.0) -> None:
    """One sub-folder per class of real audio files (tones at 22.05 kHz: resampled later)."""
    t = np.arange(int(seconds * sr)) / sr
    for c, name in enumerate(QUADRANTS):
        (root / name).mkdir(parents=True)
        for k in range(per_class):
            y = 0.3 * np.sin(2 * np.pi * (200 + 100 * c + 13 * k) * t)
            sf.write(root / name / f"{name}_{k}.wav", y, sr)


def config(tmp: Path, generators: dict) -> dict:
    return {
        "seed": 3,
        "trials": 1,
        "labelsets": ["emotion"],
        "data": {"source": "demo", "split": "split-0",
                 "demo": {"n_tracks": 24, "clip_seconds": [3, 4]}},
        "labels": {
            "tags": ["happy", "uplifting", "calm", "relaxing", "dark", "dramatic",
                     "melancholic", "sad"],
            "emotion_mapping": str(REPO / "config" / "emotion_mapping.tsv"),
        },
        "features": {"sample_rate": 12000, "n_fft": 512, "hop_length": 256, "n_mels": 32,
                     "f_min": 0, "f_max": 6000, "max_frames": 96, "shards": 1},
        "classifier": {"pretrained": "none", "width_mult": 0.25, "input_frames": 64,
                       "chunk_frames": 64, "batch_size": 8, "crop": "random",
                       "selection_metric": "pr_auc_macro",
                       "schedule": [{"optimizer": "adam", "lr": 0.001, "epochs": 1}]},
        "augment": {"fraction": 0.5},
        "generators": generators,
        "tables": {"n_bootstrap": 0},
    }  # fmt: skip


# run(workdir, cfg, *targets, check=True): snakemake --cores 1 on cfg (written to workdir/cfg.yaml)
run = functools.partial(run_config, name="cfg.yaml", cores=1, timeout=900)


@pytest.mark.workflow
def test_samples_and_command_generators_in_the_workflow(tmp_path):
    write_pool(tmp_path / "pool")
    gens = {
        "mine": {"kind": "samples", "dir": str(tmp_path / "pool"), "display_name": "my clips"},
        "ext": {"kind": "command", "command": TOY_CMD, "clip_seconds": 2,
                "source_seconds": 1, "batch_size": 3},
        # the demo's stand-in for an outside generator: a rule makes its folder
        "lofi": {"kind": "samples", "sample_rate": 16000,
                 "demo_clips": {"clips_per_class": 4, "seconds": 2, "sample_rate": 8000}},
    }  # fmt: skip
    cfg = config(tmp_path, gens)
    # Both kinds are variants like any generator: Table III and Fig. 2/3 ask for them (dry run;
    # the classifier path itself is tests/test_workflow.py's).
    plan = run(tmp_path, cfg, "-n", "results/tables/table3_emotion.md",
               "results/figures/confusion_emotion_mine.pdf",
               "results/figures/confusion_emotion_ext.pdf").stdout  # fmt: skip
    needed = [
        "results/metrics/emotion/mine/main/trial-0.tsv",
        "results/predictions/emotion/baseline/main/trial-0/generated_ext.tsv",
        "rule generate_clips:",
        "rule make_table3",
        "rule plot_confusion",
    ]
    assert all(n in plan for n in needed), plan[-3000:]
    assert "rule generate_clips_gpu" not in plan and "rule train_generator" not in plan
    trains = [f"results/augment/{g}/emotion/main/train.tsv" for g in ("mine", "ext", "lofi")]
    run(tmp_path, cfg, *trains)
    budget = pd.read_csv(tmp_path / "results/augment/mine/emotion/main/budget.tsv", sep="\t")
    sources = pd.read_csv(tmp_path / "results/augment/mine/emotion/main/sources.tsv", sep="\t")
    per_class = sources.groupby("drawn_class")["source_seconds"].sum()
    for c, need in zip(budget["class"], budget["budget_seconds_class"], strict=True):
        # whole clips up to the budget: reached, by less than one extra clip
        assert need <= per_class[c] < need + 3.0 + 1e-6
    assert sources["path"].is_unique  # without replacement
    mine = pd.read_csv(tmp_path / "results/generated/mine/emotion/main/manifest.tsv", sep="\t")
    assert len(mine) == len(sources) and (mine["source"] == "mine").all()
    # resampled from 22.05 kHz
    assert all(sf.info(tmp_path / p).samplerate == 16000 for p in mine["path"])
    # make_demo_samples wrote a folder per class at 8 kHz; the policy drew from it
    lofi_dir = tmp_path / "results/demo/samples/lofi/emotion"
    assert sorted(d.name for d in lofi_dir.iterdir() if d.is_dir()) == sorted(QUADRANTS)
    lofi_sources = pd.read_csv(tmp_path / "results/augment/lofi/emotion/main/sources.tsv", sep="\t")
    drawn = [tmp_path / p for p in lofi_sources["path"]]  # relative to the working directory
    assert all(p.parent.parent == lofi_dir for p in drawn)
    assert [p.parent.name for p in drawn] == list(lofi_sources["drawn_class"])
    assert {sf.info(p).samplerate for p in drawn} == {8000}
    lofi = pd.read_csv(tmp_path / "results/generated/lofi/emotion/main/manifest.tsv", sep="\t")
    assert {sf.info(tmp_path / p).samplerate for p in lofi["path"]} == {16000}
    # The score view scores every clip the folder provides (run score, no budget) while the
    # training run above keeps its budget: 6 files per class in the pool, all 24 scored.
    plan = run(tmp_path, cfg, "-n", "results/score/emotion/mine/summary.tsv").stdout
    assert "results/predictions/emotion/baseline/main/trial-0/provided_mine.tsv" in plan
    assert "results/embeddings/emotion/baseline/trial-0/provided_mine.npz" in plan
    trained = re.findall(r"rule train_classifier:.*?wildcards: ([^\n]*)", plan, re.S)
    assert len(trained) == 1 and "variant=baseline" in trained[0], trained  # the baseline only
    run(tmp_path, cfg, "results/score/emotion/mine/summary.tsv")
    every = pd.read_csv(tmp_path / "results/augment/mine/emotion/score/sources.tsv", sep="\t")
    files = sorted(str(p) for p in (tmp_path / "pool").rglob("*.wav"))
    assert sorted(every["path"]) == files and len(every) == 24 > len(mine)
    assert [Path(p).parent.name for p in every["path"]] == list(every["drawn_class"])
    assert list(every["drawn_class"]) == [c for c in QUADRANTS for _ in range(6)]
    summary = pd.read_csv(tmp_path / "results/score/emotion/mine/summary.tsv", sep="\t")
    assert (summary["clips_scored"] == "all provided").all()
    per_class = summary.set_index("class")
    assert per_class["n_clips"].to_dict() == dict.fromkeys(QUADRANTS, 6) | {"all": 24}
    assert per_class["n_provided"].to_dict() == per_class["n_clips"].to_dict()
    clips = pd.read_csv(tmp_path / "results/score/emotion/mine/clips.tsv", sep="\t")
    assert sorted(clips["source_path"]) == files
    assert list(clips["drawn_class"]) == list(every["drawn_class"])
    # The folder is an input of the plan: a clip added to it makes the plan (and what follows)
    # out of date; nothing else is.
    sf.write(tmp_path / "pool" / QUADRANTS[0] / "new.wav", np.zeros(22050) + 0.1, 22050)
    again = run(tmp_path, cfg, "-n", "results/augment/mine/emotion/main/train.tsv",
                "results/augment/lofi/emotion/main/train.tsv").stdout  # fmt: skip
    assert "rule plan_augmentation" in again and "wildcards: generator=mine" in again
    assert "generator=lofi" not in again, again[-3000:]
    # A missing folder stops the DAG before any job runs, naming it.
    gone = {"gone": {"kind": "samples", "dir": str(tmp_path / "nowhere" / "{labelset}")}}
    proc = run(tmp_path, config(tmp_path, gone), "results/augment/gone/emotion/main/train.tsv",
               check=False)  # fmt: skip
    assert proc.returncode != 0
    assert str(tmp_path / "nowhere" / "emotion") in proc.stdout + proc.stderr

    ext = pd.read_csv(tmp_path / "results/generated/ext/emotion/main/manifest.tsv", sep="\t")
    ext_sources = pd.read_csv(tmp_path / "results/augment/ext/emotion/main/sources.tsv", sep="\t")
    assert list(ext["track_id"]) == list(ext_sources["clip_id"])
    assert list(ext["labels"]) == list(ext_sources["labels"])
    for p in ext["path"]:
        info = sf.info(tmp_path / p)
        assert info.samplerate == 16000 and abs(info.duration - 2.0) < 1e-3
    augmented = pd.read_csv(tmp_path / "results/augment/ext/emotion/main/train.tsv", sep="\t")
    assert set(ext["track_id"]) <= set(augmented["track_id"])

    # The command's failures: a crash, then outputs at the wrong sample rate. Both stop the job
    # with a message naming the problem, and leave no manifest behind.
    for name, command, expect in [
        ("crash", TOY_CMD + " --exit-code 3", "generator command failed (exit 3)"),
        ("rate", TOY_CMD.replace("{sample_rate}", "8000"), "sample rate 8000 Hz; expected 16000"),
    ]:
        gens = {name: {"kind": "command", "command": command, "clip_seconds": 2,
                       "source_seconds": 1, "batch_size": 3}}  # fmt: skip
        target = f"results/generated/{name}/emotion/main/manifest.tsv"
        proc = run(tmp_path, config(tmp_path, gens), target, check=False)
        assert proc.returncode != 0
        log = (tmp_path / f"logs/generators/generate/{name}_emotion_main.log").read_text()
        assert expect in log, log[-2000:]
        assert not (tmp_path / target).exists()


def test_draw_samples_budget_seeded_without_replacement():
    pool = pd.DataFrame({
        "path": [f"/p/{k}.wav" for k in range(10)],
        "duration_s": [2.0] * 10,
        "labels": ["a"] * 4 + ["b"] * 4 + ["a;b"] * 2,
    })  # fmt: skip
    one = draw_samples(pool, ["a", "b"], 5.0, seed=1, clip_prefix="x")
    assert one.equals(draw_samples(pool, ["a", "b"], 5.0, seed=1, clip_prefix="x"))
    assert one["path"].is_unique
    assert list(one.groupby("drawn_class").size()) == [3, 3]  # 3 × 2 s reaches 5 s
    assert list(one["clip_id"]) == [f"x_{k:05d}" for k in range(6)]
    with pytest.raises(DataError, match="class 'b' .* has 8.0 s .* budget is 11.0 s"):
        draw_samples(pool, ["a", "b"], 11.0, seed=1, clip_prefix="x")


def test_draw_samples_without_budget_takes_every_file_once():
    pool = pd.DataFrame({
        "path": [f"/p/{k}.wav" for k in range(10)],
        "duration_s": [2.0] * 10,
        "labels": ["a"] * 4 + ["b"] * 4 + ["a;b"] * 2,
    })  # fmt: skip
    every = draw_samples(pool, ["a", "b"], None, seed=1, clip_prefix="x")
    assert sorted(every["path"]) == sorted(pool["path"])  # each file once, none left out
    # a and b hold 6 files each: the tie goes to a (config order), so a takes both a;b files
    drawn = dict(zip(every["path"], every["drawn_class"], strict=True))
    assert [drawn[f"/p/{k}.wav"] for k in range(10)] == ["a"] * 4 + ["b"] * 4 + ["a"] * 2
    assert (every["labels"] == every["drawn_class"]).all()  # inherit_other_labels off
    assert list(every["clip_id"]) == [f"x_{k:05d}" for k in range(10)]
    assert (every["offset_s"] == 0).all() and (every["source_seconds"] == 2.0).all()
    # seeded and stable: the same seed repeats it; another reorders within a class only
    assert every.equals(draw_samples(pool, ["a", "b"], None, seed=1, clip_prefix="x"))
    other = draw_samples(pool, ["a", "b"], None, seed=7, clip_prefix="x")
    assert list(other["drawn_class"]) == list(every["drawn_class"])
    assert set(other["path"]) == set(every["path"])
    assert list(other["path"]) != list(every["path"])
    # the budgeted draw takes a prefix-sized subset of the same files
    budgeted = draw_samples(pool, ["a", "b"], 5.0, seed=1, clip_prefix="x")
    assert len(budgeted) == 6 and set(budgeted["path"]) < set(every["path"])


def test_the_score_plan_takes_every_clip_of_a_folder_with_its_label(tmp_path):
    from augeval.generators.external import read_sample_pool
    from augeval.policy import plan_run

    write_pool(tmp_path / "clips", per_class=5, seconds=3.0)
    train = pd.DataFrame({"track_id": ["r1"], "path": ["/r1.wav"], "duration_s": [40.0],
                          "labels": [QUADRANTS[0]]})  # fmt: skip
    gen = {"kind": "samples", "dir": str(tmp_path / "clips"), "clip_seconds": None}
    policy = {"fraction": 0.5, "duration": "full", "inherit_other_labels": False}

    def plan(take_all, seed=4):
        samples = read_sample_pool(gen, "emotion", list(QUADRANTS))
        return plan_run(
            train, list(QUADRANTS), policy, gen, sources_mode="samples", seed=seed,
            clip_prefix="mine_emotion", visible_seconds=float("inf"), samples=samples,
            take_all=take_all,
        )  # fmt: skip

    # the training run: 0.5 x 40 s / 4 classes = 5 s per class, two 3 s files each
    budget, main = plan(False)
    assert budget["n_clips"].tolist() == [2, 2, 2, 2]
    budget, every = plan(True)
    assert budget["n_clips"].tolist() == [5, 5, 5, 5]
    assert budget["n_files"].tolist() == [5, 5, 5, 5]
    assert budget["budget_seconds_class"].tolist() == pytest.approx([5.0] * 4)  # still said
    files = sorted(str(p) for p in (tmp_path / "clips").rglob("*.wav"))
    assert sorted(every["path"]) == files
    folder = every["path"].map(lambda p: Path(p).parent.name)
    assert (every["drawn_class"] == folder).all() and (every["labels"] == folder).all()
    assert list(every["drawn_class"]) == [c for c in QUADRANTS for _ in range(5)]  # class order
    assert set(main["path"]) < set(every["path"])
    again = plan(True)[1]
    pd.testing.assert_frame_equal(again, every)
    assert list(plan(True, seed=5)[1]["path"]) != list(every["path"])  # seeded order


def test_the_score_plan_cuts_every_excerpt_of_long_files(long_pool):
    budget, sources = plan_long(long_pool, seed=1, take_all=True)
    # by hand: floor(seconds / 10) excerpts per file, a file under 10 s whole once
    per_file = sources.groupby(["drawn_class", sources["path"].map(lambda p: Path(p).name)])
    assert per_file.size().to_dict() == {("a", "short.ogg"): 2, ("a", "long.ogg"): 20,
                                         ("b", "tiny.ogg"): 1, ("b", "mid.ogg"): 2,
                                         ("b", "long.ogg"): 8}  # fmt: skip
    assert budget.set_index("class")["n_clips"].to_dict() == {"a": 22, "b": 11}
    for _, part in sources.groupby("path"):  # never overlapping within a file
        spans = sorted(zip(part["offset_s"], part["offset_s"] + part["source_seconds"],
                           strict=True))  # fmt: skip
        assert all(b0 >= a1 - 1e-3 for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False))


def test_only_samples_plans_take_every_clip():
    from augeval.errors import ConfigError
    from augeval.policy import plan_run

    train = pd.DataFrame({"track_id": ["r1"], "path": ["/r1.wav"], "duration_s": [40.0],
                          "labels": ["a"]})  # fmt: skip
    policy = {"fraction": 0.5, "duration": "full", "inherit_other_labels": False}
    with pytest.raises(ConfigError, match="kind: samples generators only"):
        plan_run(train, ["a"], policy, {"kind": "noise", "clip_seconds": 2.0},
                 sources_mode="excerpts", seed=1, clip_prefix="n", visible_seconds=10.0,
                 take_all=True)  # fmt: skip


def test_check_clip_rejects_bad_outputs(tmp_path):
    sr = 16000
    good = tmp_path / "good.wav"
    sf.write(good, 0.1 * np.sin(np.arange(sr) / 5), sr)
    assert check_clip(good, sr, 1.0, 0.01) == pytest.approx(1.0)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(sr), sr)
    short = tmp_path / "short.wav"
    sf.write(short, 0.1 * np.ones(sr // 2), sr)
    nan = tmp_path / "nan.wav"
    sf.write(nan, np.full(sr, np.nan), sr, subtype="FLOAT")
    for path, message in [(silent, "silent"), (short, "lasts 0.500 s"), (nan, "NaN"),
                          (tmp_path / "none.wav", "missing output")]:  # fmt: skip
        with pytest.raises(GeneratorError, match=message):
            check_clip(path, sr, 1.0, 0.01)


@pytest.mark.workflow
def test_jukebox_rules(tmp_path):
    pytest.importorskip("jukebox_infer")
    from augeval.generators.jukebox_weights import weight_files

    served = tmp_path / "served"
    for k, rel in enumerate(weight_files("5b").values()):
        (served / rel).parent.mkdir(parents=True, exist_ok=True)
        (served / rel).write_bytes(bytes([k + 1]) * 64)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    weights = tmp_path / "weights"
    gens = {
        "jb": {"kind": "jukebox", "init": "random", "tiny": True, "sample_rate": 4000,
               "prime_seconds": 0.256, "source_seconds": 0.256, "clip_seconds": 0.512,
               "tiny_n_ctx": [128, 32, 16], "gen_batch_size": 32, "device": "cpu"},
        "jbw": {"kind": "jukebox", "prime_seconds": 8, "source_seconds": 8, "clip_seconds": 24,
                "weights_dir": str(weights), "device": "cpu",
                "weights_url": f"http://127.0.0.1:{server.server_address[1]}/"},
    }  # fmt: skip
    cfg = config(tmp_path, gens)
    try:
        run(tmp_path, cfg, "results/generated/jb/emotion/main/manifest.tsv")
        generated = tmp_path / "results/generated/jb/emotion/main/manifest.tsv"
        manifest = pd.read_csv(generated, sep="\t")
        sources = pd.read_csv(tmp_path / "results/augment/jb/emotion/main/sources.tsv", sep="\t")
        assert list(manifest["track_id"]) == list(sources["clip_id"])
        assert (manifest["source"] == "jb").all()
        for p in manifest["path"]:
            info = sf.info(tmp_path / p)
            assert info.samplerate == 4000 and info.frames == 2048

        # pretrained weights absent: the job fails naming the file and the fetch rule
        target = "results/generated/jbw/emotion/main/manifest.tsv"
        proc = run(tmp_path, cfg, target, check=False)
        assert proc.returncode != 0
        log = (tmp_path / "logs/generators/generate/jbw_emotion_main.log").read_text()
        assert "5b/vqvae.pth.tar" in log and str(weights) in log
        assert "fetch_jukebox_weights" in log
        assert not (tmp_path / target).exists()

        # the opt-in fetch (only for pretrained entries): files land in weights_dir, sha256 kept
        run(tmp_path, cfg, "fetch_jukebox_weights")
        table = pd.read_csv(tmp_path / "results/generators/jukebox_weights.tsv", sep="\t")
        assert list(table["file"]) == list(weight_files("5b").values())
        assert set(table["generator"]) == {"jbw"}  # jb (init: random) has nothing to fetch
        for rel, digest in zip(table["file"], table["sha256"], strict=True):
            assert (weights / rel).read_bytes() == (served / rel).read_bytes()
            assert digest == sha256_file(served / rel)
    finally:
        server.shutdown()


def test_command_generator_resumes_at_the_next_batch(tmp_path):
    from augeval.generators import make_generator

    sr = 16000
    rows = []
    for k in range(4):
        path = tmp_path / f"t{k}.wav"
        sf.write(path, 0.2 * np.sin(np.arange(2 * sr) * (0.05 + 0.01 * k)), sr)
        rows.append(dict(clip_id=f"c{k}", track_id=f"t{k}", path=str(path), offset_s=0.5,
                         source_seconds=1.0, drawn_class="a", labels="a"))  # fmt: skip
    sources = pd.DataFrame(rows)
    cfg = {"command": TOY_CMD, "clip_seconds": 2, "source_seconds": 1, "batch_size": 2}
    gen = make_generator("command", "ext")
    out = tmp_path / "gen"
    from augeval.generators.base import GenerateJob

    job = GenerateJob("ext", "emotion", cfg, sources, out, 0, source_seconds=1.0)
    first = gen.generate(job)
    assert list(first["track_id"]) == ["c0", "c1", "c2", "c3"] and (first["source"] == "ext").all()
    assert not (out / "work").exists() or not any((out / "work").iterdir())
    kept = Path(first["path"][0]).stat().st_mtime_ns
    (out / "batches" / "batch-00001.done").unlink()  # killed during batch 1
    again = gen.generate(job)
    pd.testing.assert_frame_equal(again, first)
    assert Path(first["path"][0]).stat().st_mtime_ns == kept  # batch 0 was not re-run


@pytest.mark.workflow
def test_a_samples_table_is_an_input_of_the_plan(tmp_path):
    """With table:, the table is an input of the plan: a missing one stops the DAG, naming it."""
    write_pool(tmp_path / "pool", per_class=2)
    gens = {"mine": {"kind": "samples", "dir": str(tmp_path / "pool"), "table": "clips.tsv"}}
    target = "results/augment/mine/emotion/main/sources.tsv"
    missing = run(tmp_path, config(tmp_path, gens), "-n", target, check=False)
    assert missing.returncode != 0
    assert str(tmp_path / "pool" / "clips.tsv") in missing.stdout + missing.stderr
    rows = [f"{c}/{c}_{k}.wav\t{c}" for c in QUADRANTS for k in range(2)]
    (tmp_path / "pool" / "clips.tsv").write_text("path\tlabels\n" + "\n".join(rows) + "\n")
    plan = run(tmp_path, config(tmp_path, gens), "-n", target).stdout
    assert "rule plan_augmentation" in plan and "clips.tsv" in plan


# ----------------------------------------------------------- full-length tracks cut into excerpts

OGG_SR = 44100
LONG_TRACKS = {"a": {"short.ogg": 27, "long.ogg": 200}, "b": {"tiny.ogg": 7, "mid.ogg": 27,
                                                           "long.ogg": 80}}  # fmt: skip


def chirp(seconds: float, sr: int) -> np.ndarray:
    """A quiet sweep whose frequency tells the time: 200 + 10 t Hz at t seconds."""
    t = np.arange(int(seconds * sr)) / sr
    return 0.05 * np.sin(2 * np.pi * (200 * t + 5 * t * t))


@pytest.fixture(scope="module")
def long_pool(tmp_path_factory):
    """Full-length 44.1 kHz stereo OGG Vorbis tracks, one folder per class (written in 1 s
    blocks: one large Vorbis write crashes libsndfile)."""
    root = tmp_path_factory.mktemp("long") / "clips"
    for c, files in LONG_TRACKS.items():
        (root / c).mkdir(parents=True)
        for name, seconds in files.items():
            y = chirp(seconds, OGG_SR)
            with sf.SoundFile(root / c / name, "w", OGG_SR, 2, format="OGG",
                              subtype="VORBIS") as f:  # fmt: skip
                for k in range(0, len(y), OGG_SR):
                    f.write(np.stack([y[k : k + OGG_SR], 0.5 * y[k : k + OGG_SR]], axis=1))
    return root


def plan_long(
    pool_root: Path, seed: int, clip_seconds: float | None = 10.0, take_all: bool = False
):
    from augeval.generators.external import read_sample_pool
    from augeval.policy import plan_run

    # two 188 s train tracks at fraction 0.5: 188 s of clips, 94 s per class (the case)
    train = pd.DataFrame({"track_id": ["r1", "r2"], "path": ["/r1.wav", "/r2.wav"],
                          "duration_s": [188.0, 188.0], "labels": ["a", "b"]})  # fmt: skip
    gen = {"kind": "samples", "dir": str(pool_root), "clip_seconds": clip_seconds}
    samples = read_sample_pool(gen, "emotion", ["a", "b"])
    policy = {"fraction": 0.5, "duration": "full", "inherit_other_labels": False}
    return plan_run(
        train, ["a", "b"], policy, gen, sources_mode="samples", seed=seed,
        clip_prefix="mine_emotion", visible_seconds=float("inf"), samples=samples,
        take_all=take_all,
    )  # fmt: skip


def test_long_samples_are_cut_into_excerpts_up_to_the_budget(long_pool):
    budget, sources = plan_long(long_pool, seed=1)
    assert budget["budget_seconds_class"].tolist() == pytest.approx([94.0, 94.0])
    seconds = sources.groupby("drawn_class")["source_seconds"].sum()
    # each class reaches its budget within one excerpt
    assert all(94.0 <= seconds[c] < 94.0 + 10.0 for c in ("a", "b"))
    # worked by hand: one excerpt per file per round until 94 s. a: 27 s gives 2, 200 s gives 8
    # (100 s); b: 7 s whole, 27 s gives 2, 80 s gives 7 (97 s)
    per_file = sources.groupby(["drawn_class", sources["path"].map(lambda p: Path(p).name)])
    counts = per_file.size().to_dict()
    assert counts == {("a", "short.ogg"): 2, ("a", "long.ogg"): 8, ("b", "tiny.ogg"): 1,
                      ("b", "mid.ogg"): 2, ("b", "long.ogg"): 7}  # fmt: skip
    assert seconds.to_dict() == pytest.approx({"a": 100.0, "b": 97.0}, abs=1e-3)
    tiny = sources[sources["path"].str.endswith("b/tiny.ogg")]
    assert tiny[["offset_s", "source_seconds"]].values.tolist() == [[0.0, pytest.approx(7.0)]]
    for path, part in sources.groupby("path"):  # within the file, never overlapping
        length = sf.info(path).duration
        spans = sorted(zip(part["offset_s"], part["offset_s"] + part["source_seconds"],
                           strict=True))  # fmt: skip
        assert spans[0][0] >= 0 and spans[-1][1] <= length + 1e-3
        assert all(b0 >= a1 - 1e-3 for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False))
    # the budget table says what was taken from which file
    row = budget.set_index("class")
    assert row.loc["a", "n_clips"] == 10 and row.loc["b", "n_clips"] == 10
    assert row.loc["a", "generated_seconds_class"] == pytest.approx(100.0)
    assert row.loc["b", "n_files"] == 3
    assert set(row.loc["b", "taken_from"].split("; ")) == {
        "b/tiny.ogg: 1 x 7 s (whole)", "b/mid.ogg: 2 x 10 s", "b/long.ogg: 7 x 10 s"}  # fmt: skip
    # seeded: the same seed repeats the plan, another one moves the excerpts
    again_budget, again = plan_long(long_pool, seed=1)
    pd.testing.assert_frame_equal(again, sources)
    pd.testing.assert_frame_equal(again_budget, budget)
    other = plan_long(long_pool, seed=2)[1]
    assert not np.allclose(sorted(other["offset_s"]), sorted(sources["offset_s"]))


def test_whole_files_stay_selectable(long_pool):
    budget, sources = plan_long(long_pool, seed=1, clip_seconds=None)
    assert (sources["offset_s"] == 0).all()
    # a 200 s track alone exceeds 94 s: the old behaviour, kept only on request
    assert sources.groupby("drawn_class")["source_seconds"].sum()["a"] > 94.0 + 10.0


def test_the_samples_generator_writes_exactly_the_excerpt(long_pool, tmp_path):
    from augeval.generators.base import GenerateJob
    from augeval.generators.external import SamplesGenerator

    _, sources = plan_long(long_pool, seed=1)
    chosen = sources[sources["path"].str.endswith("a/long.ogg")].iloc[:3]
    job = GenerateJob("samples", "emotion", {"sample_rate": 16000}, chosen, tmp_path / "g", 0)
    out = SamplesGenerator().generate(job)
    for src, path in zip(chosen.itertuples(), out["path"], strict=True):
        y, sr = sf.read(path)
        assert sr == 16000 and abs(len(y) - 10 * sr) <= 2
        for start in (0.0, 9.0):  # the sweep's frequency in its first and last second
            part = y[int(start * sr) : int((start + 1) * sr)]
            peak = np.argmax(np.abs(np.fft.rfft(part * np.hanning(len(part))))) * sr / len(part)
            expected = 200 + 10 * (src.offset_s + start + 0.5)
            assert peak == pytest.approx(expected, abs=3), (src.offset_s, start)


def test_a_class_with_too_little_audio_names_its_folder_and_the_seconds(long_pool):
    from augeval.generators.external import read_sample_pool

    pool = read_sample_pool({"dir": str(long_pool)}, "emotion", ["a", "b"])
    # b holds 7 + 2 x 10 + 8 x 10 = 107 s in 10 s excerpts; a budget of 120 s is 13 s short
    with pytest.raises(DataError) as err:
        draw_samples(pool, ["a", "b"], 120.0, seed=1, clip_prefix="x", clip_seconds=10.0)
    message = str(err.value)
    assert str(long_pool / "b") in message
    assert "107.0 s" in message and "120.0 s" in message and "13.0 s" in message
