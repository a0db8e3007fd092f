"""SampleRNN: shapes, quantisation, learning a periodic signal, primed generation, resume, class
conditioning, the prime inside the clip, the paper's lookback warm-up and the budget."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from augeval.audio import read_audio
from augeval.errors import CheckpointError, ConfigError, DataError
from augeval.generators.base import SOURCE_COLUMNS, FitJob, GenerateJob
from augeval.generators.registry import written_seconds
from augeval.generators.samplernn import (
    SampleRNN,
    SampleRNNGenerator,
    class_list,
    dequantize,
    draw_classes,
    load_checkpoint,
    quantize,
    resolve_config,
)
from augeval.generators.samplernn_model import RowNoise
from augeval.policy import plan_run

SR = 16000
FREQ = 441.0  # a period of 36.28 samples: every phase occurs, nothing repeats exactly
TINY = {
    "sample_rate": SR,
    "frame_sizes": [4, 4],
    "dim": 48,
    "n_rnn": 1,
    "seq_len": 64,
    "chunk_seconds": 0.064,  # 16 segments of 64 samples per example
    "batch_size": 16,
    "lr": 1e-3,
    "steps": 400,
    "val_every": 100,
    "val_chunks": 4,
    "loader_workers": 1,
    "prime_seconds": 0.0505,  # 808 samples → rounded down to 800 (a multiple of 16)
    "clip_seconds": 0.1,
    "gen_batch_size": 8,
    "device": "cpu",
}


def fit(gen, train, validation, cfg, checkpoint, seed, **hooks) -> dict:
    """Train through ``gen.fit`` and return the checkpoint it wrote."""
    job = FitJob("samplernn", "emotion", cfg, train, validation, checkpoint, seed, hooks=hooks)
    gen.fit(job)
    return load_checkpoint(checkpoint)


def gen_job(checkpoint, sources, cfg, out_dir, seed) -> GenerateJob:
    return GenerateJob("samplernn", "emotion", cfg, sources, out_dir, seed, checkpoint=checkpoint)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def sine_manifest(root, n, seconds=2.0, seed=0, noise=0.01):
    """Noisy sines of random phase as real 16 kHz WAV files, and their manifest."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        t = np.arange(int(seconds * SR)) / SR
        y = 0.6 * np.sin(2 * np.pi * FREQ * t + rng.uniform(0, 2 * np.pi))
        y += rng.normal(0, noise, len(t))
        path = root / f"sine{seed}_{i}.wav"
        sf.write(path, y, SR, subtype="PCM_16")
        rows.append((f"sine{seed}_{i}", str(path), seconds, "happy---calm", "real"))
    return pd.DataFrame(rows, columns=["track_id", "path", "duration_s", "labels", "source"])


def sources_for(df, offsets, clip_prefix="clip"):
    rows = [
        (f"{clip_prefix}{i}", r.track_id, r.path, off, 0.05, "happy", r.labels)
        for i, (r, off) in enumerate(zip(df.head(len(offsets)).itertuples(), offsets, strict=True))
    ]
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("samplernn")
    train = sine_manifest(root / "train", 4, seed=0)
    validation = sine_manifest(root / "val", 2, seed=1)
    ckpt = root / "model" / "checkpoint.pt"
    result = fit(SampleRNNGenerator(), train, validation, TINY, ckpt, 0)
    return root, ckpt, result, validation


# ------------------------------------------------------------------------------------ model


@pytest.mark.parametrize("frame_sizes", [[4, 4], [2, 2, 4]])
def test_shapes_and_receptive_field(frame_sizes):
    torch.manual_seed(0)
    model = SampleRNN(frame_sizes, dim=16, n_rnn=2, q_levels=256)
    lb = model.lookback
    assert lb == int(np.prod(frame_sizes))
    x = torch.randint(0, 256, (3, lb + 4 * lb))
    logits, hidden = model(x)
    assert logits.shape == (3, 4 * lb, 256)
    assert len(hidden) == len(frame_sizes) and all(h.shape == (2, 3, 16) for h in hidden)
    # causal: changing the last input sample changes no logit (it is only a target)
    y = x.clone()
    y[:, -1] = (y[:, -1] + 1) % 256
    torch.testing.assert_close(model(y)[0], logits, rtol=0, atol=0)
    # ... and changing sample t changes the prediction of t + 1 but nothing before it
    t = lb + 2 * lb + 3
    y = x.clone()
    y[:, t] = (y[:, t] + 128) % 256
    changed = (model(y)[0] - logits).abs().amax(dim=(0, 2)) > 0
    assert not changed[: t - lb + 1].any() and changed[t - lb + 1]
    with pytest.raises(ValueError, match="multiple"):
        model(x[:, : lb + lb // 2])  # targets must be a whole number of top frames
    with pytest.raises(ValueError, match="multiple"):
        model.warm_up(x[:, : lb + 1])  # model level: an invalid prime raises


def test_folded_sample_mlp_equals_embedding_then_convolution():
    torch.manual_seed(2)
    model = SampleRNN([4, 2], dim=16)
    prev = torch.randint(0, 256, (2, 40 + 3))
    cond = torch.randn(2, 40, 16)
    torch.testing.assert_close(model.mlp(prev, cond), model.mlp.direct(prev, cond))


def test_sampler_agrees_with_teacher_forced_pass():
    """Greedy samples are the argmax of the training-time logits over the same sequence."""
    torch.manual_seed(1)
    model = SampleRNN([2, 4], dim=24, n_rnn=2).eval()
    prime = torch.randint(0, 256, (2, 3 * model.lookback))
    gen = model.sample(prime, 5 * model.lookback, RowNoise(0, ["a", "b"], "cpu"), temperature=0)
    full = torch.cat([prime, gen], dim=1)
    logits, _ = model(full[:, : model.lookback + 7 * model.lookback])
    assert torch.equal(logits[:, 2 * model.lookback :].argmax(-1), gen)


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="seq_len"):
        resolve_config(TINY | {"seq_len": 40})  # not a multiple of the lookback 16
    with pytest.raises(ConfigError, match="quantization"):
        resolve_config(TINY | {"quantization": "alaw"})
    with pytest.raises(ConfigError, match="unknown"):
        resolve_config(TINY | {"dimm": 3})
    assert resolve_config(TINY)["save_every"] == TINY["val_every"]


@pytest.mark.parametrize("kind", ["mu_law"])  # linear: tests/test_quantize.py
def test_quantize_round_trip(kind):
    x = np.linspace(-1, 1, 20001, dtype=np.float32)
    q = quantize(x, 256, kind)
    assert q.min() == 0 and q.max() == 255 and q.dtype == np.int64
    err = np.abs(dequantize(q, 256, kind) - x)
    # half a step in the companded domain, mapped back through the expansion
    bound = (np.abs(x) + 1 / 255) * (256 ** (1 / 255) - 1)
    assert (err <= bound + 1e-6).all(), err.max()
    assert np.abs(dequantize(q, 256, kind)).max() <= 1.0
    if kind == "mu_law":  # finer steps near zero than linear
        assert err[np.abs(x) < 0.01].max() < 1e-3
    t = torch.from_numpy(x)
    assert torch.equal(quantize(t, 256, kind), torch.from_numpy(q))


# --------------------------------------------------------------------------------- training


def test_learns_a_periodic_signal(trained):
    _, ckpt, result, _ = trained
    bits = [h["val_bits"] for h in result["history"]]
    assert [h["step"] for h in result["history"]] == [100, 200, 300, 400]
    assert result["best_val_bits"] == min(bits) < 3.5, bits  # measured 2.1; uniform is 8
    assert bits[-1] < bits[0]
    saved = load_checkpoint(ckpt)  # weights_only=True
    assert saved["model_config"]["frame_sizes"] == [4, 4] and saved["best_val_bits"] < 3.5
    assert not (ckpt.parent / "train_state.pt").exists()


def test_linear_quantization_trains_and_generates_at_the_normalised_scale(tmp_path):
    """quantization linear (the paper code's): quiet training files (peak ~0.15) are min-max
    normalised per excerpt, so the model learns full-scale levels; the prime is quantised the
    same way and the clip is written at the normalised scale."""
    train = sine_manifest(tmp_path / "train", 4, seed=0)
    validation = sine_manifest(tmp_path / "val", 2, seed=1)
    for path in list(train.path) + list(validation.path):
        y, sr = sf.read(path, dtype="float64")
        sf.write(path, 0.25 * y, sr, subtype="PCM_16")  # quiet: peak ~0.15
    cfg = TINY | {"quantization": "linear", "steps": 150, "val_every": 50, "include_prime": True}
    ckpt = tmp_path / "model" / "checkpoint.pt"
    result = fit(SampleRNNGenerator(), train, validation, cfg, ckpt, 0)
    bits = [h["val_bits"] for h in result["history"]]
    assert result["model_config"]["quantization"] == "linear"
    assert bits[-1] < bits[0] and min(bits) < 5.0, bits  # measured 6.6 -> 3.8; uniform is 8
    sources = sources_for(validation, [0.3, 0.9])
    out = SampleRNNGenerator().generate(gen_job(ckpt, sources, cfg, tmp_path / "gen", 1))
    for path, src in zip(out.path, validation.path, strict=True):
        y = sf.read(path, dtype="float32")[0]
        assert len(y) == int(cfg["clip_seconds"] * SR)
        prime = read_audio(src, SR, offset_s=0.3 if src == validation.path[0] else 0.9)[:808]
        expected = dequantize(quantize(prime[-800:], 256, "linear"), 256, "linear")
        assert np.abs(y[:800] - expected).max() <= 1 / 32767 + 1e-7  # up to the 16-bit WAV
        assert y[:800].min() == pytest.approx(-1.0, abs=1e-4)  # the prime's minimum: level 0
        assert np.abs(prime).max() < 0.2  # the source was quiet ...
        # ... its continuation is at the normalised (full) scale: measured std 0.69 (a full-scale
        # sine's is 0.71; the source's own is ~0.1)
        assert y[800:].std() > 0.5


@pytest.mark.parametrize("conditional", [False, True])
def test_resume_after_kill_matches_uninterrupted_run(tmp_path, conditional):
    train = sine_manifest(tmp_path / "train", 2, seconds=1.0, seed=0)
    validation = sine_manifest(tmp_path / "val", 1, seconds=1.0, seed=1)
    cfg = TINY | {"dim": 16, "steps": 48, "val_every": 20, "save_every": 10, "batch_size": 4}
    if conditional:  # the examples' classes (drawn for the multi-label track) resume too
        train["labels"], validation["labels"] = ["low", "high;low"], ["high"]
        cfg |= {"class_conditioning": True}
    gen = SampleRNNGenerator()
    full = fit(gen, train, validation, cfg, tmp_path / "full/checkpoint.pt", 5)

    class Killed(Exception):
        pass

    def kill(step):
        if step == 25:  # last save at step 20: mid-example, so the hidden state must resume too
            raise Killed

    cut = tmp_path / "cut/checkpoint.pt"
    with pytest.raises(Killed):
        fit(gen, train, validation, cfg, cut, 5, on_step=kill)
    assert (cut.parent / "train_state.pt").exists()
    assert not cut.exists()  # nothing that looks complete
    steps_seen = []
    resumed = fit(gen, train, validation, cfg, cut, 5, on_step=steps_seen.append)
    assert steps_seen[0] == 21 and steps_seen[-1] == 48
    assert not (cut.parent / "train_state.pt").exists()
    assert [h["step"] for h in resumed["history"]] == [20, 40, 48]
    for a, b in zip(full["history"], resumed["history"], strict=True):
        assert a["train_bits"] == b["train_bits"] and a["val_bits"] == b["val_bits"]
    assert resumed["best_step"] == full["best_step"]
    for key, value in full["model"].items():
        torch.testing.assert_close(resumed["model"][key], value, rtol=0, atol=0)
    assert resumed["classes"] == (["high", "low"] if conditional else [])


def test_truncated_checkpoint_is_a_clear_error(trained, tmp_path):
    _, ckpt, _, validation = trained
    bad = tmp_path / "checkpoint.pt"
    bad.write_bytes(ckpt.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="re-run"):
        load_checkpoint(bad)
    job = gen_job(bad, sources_for(validation, [0.5]), TINY, tmp_path, 0)
    with pytest.raises(CheckpointError, match="re-run"):
        SampleRNNGenerator().generate(job)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


# ------------------------------------------------------------------------------- generation


def test_primed_generation_writes_clips_that_continue_the_prime(trained, tmp_path):
    _, ckpt, _, validation = trained
    primes = pd.concat([validation] * 3, ignore_index=True)  # 2 files x 3 offsets
    offsets = [0.3, 0.71, 0.5, 1.1, 0.05, 1.6]
    sources = sources_for(primes, offsets)
    rows = SampleRNNGenerator().generate(gen_job(ckpt, sources, TINY, tmp_path / "gen", 7))
    n = int(TINY["clip_seconds"] * SR)
    assert list(rows["track_id"]) == [f"clip{i}" for i in range(6)]
    assert list(rows["source_track_id"]) == list(primes["track_id"])
    assert list(rows["source_offset_s"]) == offsets
    assert (rows["labels"] == "happy---calm").all() and (rows["source"] == "samplernn").all()
    assert np.allclose(rows["duration_s"], n / SR)
    period = int(round(SR / FREQ))
    in_phase, anti_phase = [], []
    for row, path, off in zip(rows.itertuples(), primes["path"], offsets, strict=True):
        assert row.path == str(tmp_path / "gen" / "wav" / f"{row.track_id}.wav")
        y, sr = sf.read(row.path, dtype="float32")
        assert sr == SR and len(y) == n and np.abs(y).max() <= 1.0
        # the prime is the last 800 of the 808 samples read at the offset; the ideal continuation
        # starts where the excerpt ends
        ideal = read_audio(path, SR, offset_s=off + 808 / SR)
        in_phase.append(np.corrcoef(y[:period], ideal[:period])[0, 1])
        anti_phase.append(np.corrcoef(y[:period], ideal[period // 2 :][:period])[0, 1])
        assert 0.5 < y.std() / ideal[:n].std() < 2.0  # keeps oscillating at the same level
    # measured over seeds 0-9: median 0.97-0.995, single rows down to 0.48 (a sampled glitch)
    assert np.median(in_phase) > 0.9 and min(in_phase) > 0.2, in_phase
    assert np.median(anti_phase) < -0.5, anti_phase  # it follows the prime's phase


def test_generation_is_seeded_and_rows_are_independent(trained, tmp_path):
    _, ckpt, _, validation = trained
    cfg = TINY | {"clip_seconds": 0.05}
    gen = SampleRNNGenerator()
    pair = sources_for(validation, [0.2, 0.9])
    a = gen.generate(gen_job(ckpt, pair, cfg, tmp_path / "a", 3))
    b = gen.generate(gen_job(ckpt, pair, cfg, tmp_path / "b", 3))
    alone = gen.generate(gen_job(ckpt, pair.iloc[:1], cfg, tmp_path / "alone", 3))
    other = gen.generate(gen_job(ckpt, pair, cfg, tmp_path / "other", 4))

    def audio(rows, i):
        return sf.read(rows.path[i], dtype="float32")[0]

    assert np.array_equal(audio(a, 0), audio(b, 0)) and np.array_equal(audio(a, 1), audio(b, 1))
    assert np.array_equal(audio(a, 0), audio(alone, 0))  # batched with row 1 or alone: same
    assert not np.array_equal(audio(a, 0), audio(other, 0))


def test_include_prime_and_prime_rounding(trained, tmp_path):
    _, ckpt, _, validation = trained
    cfg = TINY | {"clip_seconds": 0.06, "include_prime": True}  # 960 samples in all
    gen = SampleRNNGenerator()
    rows = gen.generate(gen_job(ckpt, sources_for(validation, [0.4]), cfg, tmp_path, 1))
    y = sf.read(rows.path[0], dtype="float32")[0]
    # 0.0505 s = 808 samples, rounded down to 50 lookbacks of 16; then 160 of continuation
    assert len(y) == 960 and rows.duration_s[0] == pytest.approx(0.06)
    prime = read_audio(validation.path[0], SR, offset_s=0.4, max_seconds=0.0505)[8:808]
    assert np.abs(y[:800] - prime).max() < 0.02  # the prime, as quantised (mu-law) and re-read
    assert np.abs(y[800:]).max() > 0.3  # ... followed by the continuation, not silence
    empty = gen.generate(gen_job(ckpt, sources_for(validation, []), cfg, tmp_path, 1))
    assert len(empty) == 0 and list(empty.columns) == list(rows.columns)
    with pytest.raises(ConfigError, match=r"clip_seconds \(0.05\) must exceed prime_seconds"):
        resolve_config(TINY | {"clip_seconds": 0.05, "include_prime": True})  # 800 = the prime


# ------------------------------------------------------------- class conditioning, warm-up

LOW, HIGH = 300.0, 1200.0  # the two classes' pitch (Hz): class "low" and class "high"
COND = TINY | {
    "class_conditioning": True,
    "lr": 3e-3,
    "steps": 120,  # 100 steps already separated the classes on 4 of 4 seeds (measured, CPU)
    "val_every": 120,
    "prime_seconds": 0.032,  # 512 samples: 32 lookbacks of 16
    "clip_seconds": 0.2,
    "gen_batch_size": 16,
}


def tone_manifest(root, per_class, split, seconds=2.0):
    """Two classes of noisy sines that differ only in pitch, as 16 kHz WAV files."""
    rng = np.random.default_rng(len(split))
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for cls, freq in (("low", LOW), ("high", HIGH)):
        for i in range(per_class):
            t = np.arange(int(seconds * SR)) / SR
            y = 0.5 * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
            y += rng.normal(0, 0.01, len(t))
            path = root / f"{split}_{cls}{i}.wav"
            sf.write(path, y, SR, subtype="PCM_16")
            rows.append((f"{split}_{cls}{i}", str(path), seconds, cls, "real"))
    return pd.DataFrame(rows, columns=["track_id", "path", "duration_s", "labels", "source"])


def peak_hz(y):
    """The frequency of the largest (Hann-windowed) spectral peak."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / SR)[np.argmax(spectrum)])


@pytest.fixture(scope="module")
def conditional(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("conditional")
    train = tone_manifest(root / "train", 2, "train")
    validation = tone_manifest(root / "val", 1, "val")
    silence = root / "silence.wav"
    sf.write(silence, np.zeros(SR), SR, subtype="PCM_16")
    ckpt = root / "model" / "checkpoint.pt"
    fit(SampleRNNGenerator(), train, validation, COND, ckpt, 0)
    return root, ckpt, train, silence


def test_class_conditioning_sets_the_pitch_of_the_clips(conditional, tmp_path):
    """Primed with silence (the class is the only cue), clips sampled with class low vs high
    have the pitch of that class's training audio."""
    _, ckpt, train, silence = conditional
    saved = load_checkpoint(ckpt)
    assert saved["classes"] == ["high", "low"] and saved["model_config"]["n_classes"] == 2
    rows = [
        (f"{c}{k}", "silence", str(silence), 0.05 * k, 0.032, c, c)
        for k in range(8)
        for c in ("low", "high")
    ]
    sources = pd.DataFrame(rows, columns=SOURCE_COLUMNS)
    out = SampleRNNGenerator().generate(gen_job(ckpt, sources, COND, tmp_path, 1))
    pitch = {"low": [], "high": []}
    for path, c in zip(out["path"], sources["drawn_class"], strict=True):
        pitch[c].append(peak_hz(sf.read(path, dtype="float32")[0][800:]))
    low, high = np.array(pitch["low"]), np.array(pitch["high"])
    # measured (training seeds 0-3, 120 steps): medians low 277-290 Hz, high 1183-1197 Hz,
    # every clip on its class's side of 600 Hz, Cohen's d 46-80
    assert abs(np.median(low) - LOW) < 100 and abs(np.median(high) - HIGH) < 200, (low, high)
    assert (low < 600).sum() >= 7 and (high > 600).sum() >= 7, (low, high)
    pooled = np.sqrt((low.var(ddof=1) + high.var(ddof=1)) / 2)
    assert (high.mean() - low.mean()) / pooled > 3, (low, high)  # Cohen's d


def test_training_examples_carry_their_tracks_class():
    df = pd.DataFrame({"track_id": ["a", "b", "ab"], "labels": ["low", "high", "high;low"]})
    classes = class_list(df)
    assert classes == ["high", "low"]
    rows = np.array([0] * 50 + [1] * 50 + [2] * 4000)
    got = draw_classes(df, rows, classes, np.random.default_rng(0))
    assert (got[:50] == 1).all() and (got[50:100] == 0).all()
    share = (got[100:] == 0).mean()  # a multi-label track: each of its classes, uniformly
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / 4000), share
    again = draw_classes(df, rows, classes, np.random.default_rng(0))
    assert np.array_equal(got, again)  # seeded: a resumed run draws the same
    with pytest.raises(DataError, match="has no class"):
        sad = pd.DataFrame({"track_id": ["x"], "labels": ["sad"]})
        draw_classes(sad, np.array([0]), classes, np.random.default_rng(0))


def test_conditional_checkpoint_errors(conditional, tmp_path):
    _, ckpt, train, silence = conditional
    unknown = pd.DataFrame(
        [("c0", "s", str(silence), 0.0, 0.032, "sad", "sad")], columns=SOURCE_COLUMNS
    )
    with pytest.raises(DataError, match=r"class\(es\) \['sad'\].*knows only \['high', 'low'\]"):
        SampleRNNGenerator().generate(gen_job(ckpt, unknown, COND, tmp_path, 1))
    one = pd.DataFrame(
        [("c0", "s", str(silence), 0.0, 0.032, "low", "low")], columns=SOURCE_COLUMNS
    )
    with pytest.raises(CheckpointError, match="trained with class conditioning"):
        SampleRNNGenerator().generate(
            gen_job(ckpt, one, COND | {"class_conditioning": False}, tmp_path, 1)
        )


def test_the_written_clip_is_the_prime_then_its_continuation(conditional, tmp_path):
    """include_prime: clip_seconds in total, the first prime_seconds of it the prime."""
    _, ckpt, train, _ = conditional
    cfg = COND | {"include_prime": True}
    sources = pd.DataFrame(
        [("c0", "t", train.path[0], 0.3, 0.032, "low", "low")], columns=SOURCE_COLUMNS
    )
    out = SampleRNNGenerator().generate(gen_job(ckpt, sources, cfg, tmp_path, 1))
    y = sf.read(out.path[0], dtype="float32")[0]
    assert len(y) == int(0.2 * SR) and out.duration_s[0] == pytest.approx(0.2)
    prime = read_audio(train.path[0], SR, offset_s=0.3, max_seconds=0.032)
    assert len(prime) == 512
    as_quantised = dequantize(quantize(prime))
    assert np.abs(y[:512] - as_quantised).max() <= 1 / 32767 + 1e-7  # up to the 16-bit WAV
    continuation = y[512:]
    assert abs(peak_hz(continuation) - LOW) < 100  # it continues the (low) prime
    assert continuation.std() > 0.2


def test_lookback_warm_up_reads_only_the_last_lookback_of_the_prime():
    """warm_up lookback: the tiers start from their learned initial states, so what precedes
    the prime's last lookback samples changes nothing; full: the states depend on it. Greedy
    lookback samples are the teacher-forced argmax from the initial states over the last
    lookback and the samples drawn."""
    torch.manual_seed(3)
    model = SampleRNN([2, 4], dim=24, n_rnn=2, n_classes=2).eval()
    lb = model.lookback
    a = torch.randint(0, 256, (2, 4 * lb))
    b = a.clone()
    b[:, : 3 * lb] = torch.randint(0, 256, (2, 3 * lb))  # same last lookback, other start
    cls = torch.tensor([0, 1])
    for h, h0 in zip(model.warm_up(a, cls, "lookback"), model.initial_hidden(2), strict=True):
        assert torch.equal(h, h0)
    full_a, full_b = model.warm_up(a, cls, "full"), model.warm_up(b, cls, "full")
    assert all((x - y).abs().max() > 0.05 for x, y in zip(full_a, full_b, strict=True))

    def run(prime, mode, temperature=1.0, classes=cls):
        noise = RowNoise(0, ["x", "y"], "cpu")
        return model.sample(prime, 3 * lb, noise, temperature, classes=classes, warm_up=mode)

    for temperature in (1.0, 0):
        assert torch.equal(run(a, "lookback", temperature), run(b, "lookback", temperature))
    gen = run(a, "lookback", temperature=0)
    seq = torch.cat([a[:, -lb:], gen], dim=1)
    logits, _ = model(seq[:, : lb + 3 * lb], classes=cls)
    assert torch.equal(logits.argmax(-1), gen)
    swapped, _ = model(seq[:, : lb + 3 * lb], classes=cls.flip(0))
    assert (swapped - logits).abs().max() > 1e-3  # the class embedding reaches the logits
    with pytest.raises(ValueError, match="one class index per row"):
        model.sample(a, lb, RowNoise(0, ["x", "y"], "cpu"), 0)
    with pytest.raises(ValueError, match="warm_up 'half'"):
        model.warm_up(a, cls, "half")
    with pytest.raises(ConfigError, match="warm_up"):
        resolve_config(TINY | {"warm_up": "half"})


def test_lookback_warm_up_generates_and_differs_from_full(conditional, tmp_path):
    _, ckpt, train, _ = conditional
    sources = pd.DataFrame(
        [("c0", "t", train.path[2], 0.5, 0.032, "high", "high")], columns=SOURCE_COLUMNS
    )
    clips = {}
    for mode in ("full", "lookback"):
        cfg = COND | {"warm_up": mode, "clip_seconds": 0.05}
        out = SampleRNNGenerator().generate(gen_job(ckpt, sources, cfg, tmp_path / mode, 1))
        clips[mode] = sf.read(out.path[0], dtype="float32")[0]
        assert len(clips[mode]) == 800 and np.abs(clips[mode]).max() > 0.3
    assert not np.array_equal(clips["full"], clips["lookback"])


# ---------------------------------------------------------------------------------- budget


@pytest.mark.parametrize("include_prime", [False, True])
def test_budget_counts_the_written_clip(conditional, tmp_path, include_prime):
    """The seconds a class's clips hold as written equal its budget within one clip, with the
    prime inside the clip or not (budget = fraction × train seconds / classes, computed here)."""
    _, ckpt, train, _ = conditional
    cfg = COND | {"include_prime": include_prime, "clip_seconds": 0.1}
    section = cfg | {"kind": "samplernn", "source_seconds": 0.032}  # as the workflow passes it
    policy = {"fraction": 0.1, "duration": "full", "inherit_other_labels": False}
    budget, sources = plan_run(
        train, ["low", "high"], policy, section, sources_mode="excerpts",
        seed=0, clip_prefix="srnn", visible_seconds=float("inf"),
    )  # fmt: skip
    per_class = 0.1 * train["duration_s"].sum() / 2  # 0.4 s per class: 4 clips of 0.1 s
    assert written_seconds("samplernn", section) == 0.1
    out = SampleRNNGenerator().generate(gen_job(ckpt, sources, cfg, tmp_path, 2))
    for c in ("low", "high"):
        mine = out["labels"] == c
        seconds = sum(len(sf.read(p)[0]) for p in out.path[mine]) / SR
        assert mine.sum() == 4 and per_class <= seconds < per_class + 0.1, (c, seconds)
        assert budget.set_index("class").generated_seconds_class[c] == pytest.approx(seconds)
    assert written_seconds("samplernn", {"clip_seconds": 10, "include_prime": True}) == 10.0


def test_budget_every_fixed_length_kind_declares_its_written_clip(conditional, tmp_path):
    """Each kind's declared written length is its clip_seconds (Jukebox: prime included; DDSP:
    the reconstruction); for the copy and noise controls the clips they write sum to the
    budget within one clip."""
    from augeval.generators import make_generator
    from augeval.generators.registry import KINDS

    for kind in KINDS:
        if kind == "samples":
            with pytest.raises(ValueError, match="no fixed clip length"):
                written_seconds(kind, {})
        else:
            assert written_seconds(kind, {"clip_seconds": 3.5}) == 3.5, kind
    assert written_seconds("jukebox", {"clip_seconds": 24, "prime_seconds": 8}) == 24.0
    assert written_seconds("ddsp", {"clip_seconds": 4, "source_seconds": 3}) == 3.0  # its input
    _, _, train, _ = conditional
    policy = {"fraction": 0.1, "duration": "full", "inherit_other_labels": False}
    for kind in ("copy", "noise"):
        cfg = {"clip_seconds": 0.15, "sample_rate": SR}
        budget, sources = plan_run(
            train, ["low", "high"], policy, cfg | {"kind": kind}, sources_mode="excerpts",
            seed=0, clip_prefix=kind, visible_seconds=float("inf"),
        )  # fmt: skip
        job = GenerateJob(kind, "x", cfg, sources, tmp_path / kind, 0)
        out = make_generator(kind).generate(job)
        for c in ("low", "high"):
            seconds = sum(sf.info(p).frames for p in out.path[out["labels"] == c]) / SR
            assert 0.4 <= seconds < 0.4 + 0.15, (kind, c, seconds)  # 0.1 × 8 s / 2 classes
