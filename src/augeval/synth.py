"""The demo music synthesiser: a seeded clip of music for a set of mood/theme tags.

Every supported tag has a :class:`TagProfile` that places it on the circumplex model of emotion.
Arousal (activated vs deactivated) drives tempo, loudness, onset density, percussion,
articulation and saturation; valence (pleasant vs unpleasant) drives mode (major vs minor),
harmonic tension (sevenths, diminished chords), register and brightness (harmonic rolloff and a
low-pass filter). A track's parameters are its primary tag's profile, blended with the second tag
for multi-label tracks, plus per-track noise; the key, exact tempo and the artist's instrument
timbre are random, so classes overlap and no classifier should separate them perfectly. Audio is
wavetable additive synthesis: a chord pad over a bass line, a melody walking the scale, and
kick/snare/hat made from swept sines and filtered noise, then low-pass, reverb, soft saturation,
fades and peak normalisation to the profile's level.

Users: the demo corpus (:mod:`augeval.data.demo`), the demo's stand-in for an outside generator
(:mod:`augeval.data.demo_samples`) and the oracle control generator.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from augeval.errors import ConfigError

# Track and artist numbers in [1, MAX_CORPUS_*] belong to corpora; :func:`synthesise_clip` uses
# numbers above them, so its clips and timbres are new.
MAX_CORPUS_TRACK = 1_400_000
MAX_CORPUS_ARTIST = 999_999

# Random streams: every track's audio and every artist's timbre has its own seeded generator, so
# a track's audio does not depend on how many other tracks are made. (Stream 0 is the corpus
# plan's, in augeval.data.demo.)
_STREAM_TRACK, _STREAM_ARTIST = 1, 2
_TABLE_SIZE = 2048
_NOISE = 1.3  # scale of the per-track parameter noise


@dataclass(frozen=True)
class TagProfile:
    """Synthesis parameters of one mood/theme tag (a point in the circumplex model)."""

    arousal: float  # -1 deactivated .. +1 activated
    valence: float  # -1 unpleasant .. +1 pleasant
    tempo_bpm: float
    level_db: float  # peak level after normalisation, dBFS
    brightness: float  # 0..1: harmonic rolloff and low-pass cutoff
    density: float  # melody notes per beat (also drives bass/pad/hat rhythm)
    percussion: float  # 0..1: probability and level of the drum parts
    register: float  # melody centre, MIDI note number
    legato: float  # 0..1: sounding length / inter-onset interval
    minor: float  # probability that the track is in a minor key
    tension: float  # 0..1: sevenths, diminished chords, chromatic notes
    reverb: float  # 0..1: wet mix and decay time


_P = TagProfile
# fmt: off
DEMO_TAG_PROFILES: dict[str, TagProfile] = {
    # activated, pleasant
    "happy":       _P(0.60, 0.90, 124, -3.0, 0.75, 2.0, 0.70, 74, 0.50, 0.08, 0.10, 0.15),
    "positive":    _P(0.50, 0.80, 116, -4.0, 0.70, 1.6, 0.65, 72, 0.60, 0.10, 0.15, 0.20),
    "uplifting":   _P(0.70, 0.75, 130, -3.0, 0.80, 1.8, 0.75, 76, 0.75, 0.12, 0.20, 0.35),
    "upbeat":      _P(0.80, 0.70, 128, -2.5, 0.80, 2.4, 0.85, 72, 0.45, 0.15, 0.15, 0.15),
    "fun":         _P(0.70, 0.85, 120, -3.0, 0.80, 2.6, 0.70, 77, 0.30, 0.08, 0.10, 0.10),
    "party":       _P(0.90, 0.60, 126, -1.5, 0.85, 2.2, 1.00, 70, 0.40, 0.25, 0.20, 0.10),
    "inspiring":   _P(0.45, 0.70, 106, -4.0, 0.65, 1.4, 0.55, 72, 0.80, 0.15, 0.25, 0.40),
    "hopeful":     _P(0.15, 0.65, 96, -6.0, 0.60, 1.2, 0.40, 72, 0.80, 0.15, 0.25, 0.35),
    # activated, unpleasant or neutral
    "energetic":   _P(0.95, 0.30, 138, -1.5, 0.85, 2.6, 1.00, 70, 0.35, 0.40, 0.20, 0.10),
    "action":      _P(0.95, -0.20, 150, -1.5, 0.75, 2.8, 1.00, 66, 0.40, 0.70, 0.45, 0.15),
    "powerful":    _P(0.85, 0.10, 118, -1.0, 0.70, 1.8, 0.90, 64, 0.60, 0.50, 0.30, 0.30),
    "epic":        _P(0.80, 0.10, 100, -1.5, 0.60, 1.4, 0.85, 62, 0.90, 0.60, 0.35, 0.60),
    "heavy":       _P(0.80, -0.60, 100, -1.0, 0.45, 1.6, 0.95, 54, 0.50, 0.85, 0.55, 0.20),
    "dramatic":    _P(0.60, -0.50, 108, -3.0, 0.50, 1.6, 0.60, 62, 0.80, 0.80, 0.60, 0.45),
    "dark":        _P(0.30, -0.80, 94, -6.0, 0.20, 1.2, 0.50, 52, 0.70, 0.90, 0.70, 0.40),
    # deactivated, unpleasant
    "deep":        _P(-0.30, -0.30, 84, -8.0, 0.25, 1.0, 0.35, 55, 0.85, 0.65, 0.45, 0.50),
    "emotional":   _P(-0.20, -0.20, 82, -8.0, 0.45, 1.0, 0.25, 68, 0.85, 0.60, 0.45, 0.45),
    "melancholic": _P(-0.50, -0.60, 76, -11.0, 0.35, 0.9, 0.10, 66, 0.85, 0.85, 0.45, 0.40),
    "sad":         _P(-0.70, -0.80, 64, -13.0, 0.25, 0.6, 0.05, 62, 0.95, 0.92, 0.40, 0.45),
    # deactivated, pleasant
    "romantic":    _P(-0.30, 0.60, 84, -10.0, 0.45, 1.0, 0.20, 70, 0.90, 0.30, 0.65, 0.35),
    "love":        _P(-0.20, 0.70, 88, -9.0, 0.50, 1.1, 0.30, 70, 0.85, 0.25, 0.55, 0.30),
    "relaxing":    _P(-0.70, 0.60, 78, -12.0, 0.35, 0.8, 0.15, 65, 0.90, 0.15, 0.25, 0.45),
    "calm":        _P(-0.80, 0.50, 70, -14.0, 0.30, 0.6, 0.05, 67, 0.95, 0.20, 0.20, 0.55),
    "soft":        _P(-0.60, 0.40, 80, -15.0, 0.25, 0.8, 0.10, 68, 0.90, 0.25, 0.20, 0.35),
    "dream":       _P(-0.60, 0.40, 72, -12.0, 0.40, 0.7, 0.10, 74, 0.95, 0.35, 0.40, 0.75),
    "meditative":  _P(-0.95, 0.30, 58, -15.0, 0.30, 0.4, 0.00, 64, 1.00, 0.30, 0.15, 0.70),
}
# fmt: on

_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10])
_HARMONIC_MINOR = np.array([0, 2, 3, 5, 7, 8, 11])
# Progressions as 0-based scale degrees of the chord roots, one chord per bar.
_MAJOR_PROGRESSIONS = ((0, 4, 5, 3), (0, 3, 4, 0), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 1, 4))
_MINOR_PROGRESSIONS = ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 4), (0, 3, 6, 2), (0, 5, 3, 4))


def synthesise_track(
    tags: tuple[str, ...], n_samples: int, *, number: int, artist: int, sample_rate: int, seed: int
) -> np.ndarray:
    """``n_samples`` of music (float32 mono, peak at the profile's level) for ``tags`` (primary
    tag first, all in :data:`DEMO_TAG_PROFILES`), as track ``number`` by ``artist``.

    The track's random stream is ``(seed, number)`` and the artist's timbre ``(seed, artist)``,
    so the audio does not depend on any other track.
    """
    sr = sample_rate
    rng = np.random.default_rng([seed, _STREAM_TRACK, number])
    p = _track_profile(tags, rng)
    timbre = _artist_timbre(artist, seed)
    n = n_samples
    beat = 60.0 / p.tempo_bpm
    n_bars = math.ceil(n / sr / (4 * beat)) + 1
    harmony = _harmony(p, n_bars, rng)

    ramp = np.arange(n, dtype=np.float64)
    mix = np.zeros(n)
    slow = 0.5 + p.legato  # legato tracks get softer attacks
    pad_env = _Envelope(timbre.pad_attack * slow, 1.5, 0.5, 0.05 + 0.4 * p.legato, 0.22)
    bass_env = _Envelope(0.008, 0.4, 0.4, 0.06, 0.45)
    lead_env = _Envelope(
        timbre.lead_attack * slow, timbre.lead_decay, 0.35 * p.legato, 0.04 + 0.15 * p.legato, 0.35
    )
    voices = (
        (_pad_notes(p, harmony, beat, rng), timbre.pad_partials, p.brightness - 0.2, pad_env),
        (_bass_notes(p, harmony, beat, rng), timbre.bass_partials, p.brightness - 0.3, bass_env),
        (
            _melody_notes(p, harmony, beat, n / sr, rng),
            timbre.lead_partials,
            p.brightness,
            lead_env,
        ),
    )
    for notes, partials, brightness, envelope in voices:
        table = _wavetable(partials, brightness, notes.midi, sr)
        _render(mix, notes, table, envelope, sr, ramp)
    mix = _lowpass(mix, p.brightness, sr)
    mix += _drums(p, beat, n, sr, rng)
    mix = _reverb(mix, p.reverb, sr, rng)
    return _master(mix, p, sr)


def synthesise_clip(
    tags: list[str] | tuple[str, ...], seconds: float, *, sample_rate: int, seed: int, number: int
) -> np.ndarray:
    """One fresh clip of music with ``tags``, outside any corpus: ``number`` (>= 0) picks the
    clip and a new artist (timbre) that no corpus (track and artist numbers up to
    :data:`MAX_CORPUS_TRACK`, :data:`MAX_CORPUS_ARTIST`) uses.

    The oracle control generator uses this for "new real music of the class".
    """
    unknown = [t for t in tags if t not in DEMO_TAG_PROFILES]
    if unknown or not tags:
        raise ConfigError(f"demo synthesiser: no profile for tag(s) {unknown or tags}")
    audio = synthesise_track(
        tuple(tags),
        int(seconds * sample_rate),
        number=MAX_CORPUS_TRACK + 1 + number,
        artist=MAX_CORPUS_ARTIST + 1 + number,
        sample_rate=sample_rate,
        seed=seed,
    )
    return audio.astype(np.float32)


# --------------------------------------------------------------------------------------------
# Track parameters
# --------------------------------------------------------------------------------------------


def _blend(a: TagProfile, b: TagProfile, w: float) -> TagProfile:
    """Weighted mix ``w * a + (1 - w) * b`` of two profiles, field by field."""
    fa, fb = dataclasses.astuple(a), dataclasses.astuple(b)
    return TagProfile(*(w * x + (1 - w) * y for x, y in zip(fa, fb, strict=True)))


def _jitter(p: TagProfile, rng: np.random.Generator) -> TagProfile:
    """Per-track parameter noise, so that tracks of different tags overlap."""
    n = _NOISE
    g = rng.normal(size=11)
    return TagProfile(
        arousal=float(np.clip(p.arousal + 0.15 * n * g[0], -1, 1)),
        valence=p.valence,
        tempo_bpm=float(np.clip(p.tempo_bpm * math.exp(0.10 * n * g[1]), 48, 184)),
        level_db=float(np.clip(p.level_db + 2.5 * n * g[2], -20, -0.5)),
        brightness=float(np.clip(p.brightness + 0.12 * n * g[3], 0, 1)),
        density=float(np.clip(p.density * math.exp(0.25 * n * g[4]), 0.3, 4)),
        percussion=float(np.clip(p.percussion + 0.15 * n * g[5], 0, 1)),
        register=float(np.clip(p.register + 3.0 * n * g[6], 50, 84)),
        legato=float(np.clip(p.legato + 0.10 * n * g[7], 0.2, 1)),
        minor=float(np.clip(p.minor + 0.10 * n * g[8], 0, 1)),
        tension=float(np.clip(p.tension + 0.10 * n * g[9], 0, 1)),
        reverb=float(np.clip(p.reverb + 0.10 * n * g[10], 0, 0.9)),
    )


def _track_profile(tags: tuple[str, ...], rng: np.random.Generator) -> TagProfile:
    profile = DEMO_TAG_PROFILES[tags[0]]
    if len(tags) > 1:
        profile = _blend(profile, DEMO_TAG_PROFILES[tags[1]], float(rng.uniform(0.4, 0.6)))
    return _jitter(profile, rng)


@dataclass(frozen=True)
class _Timbre:
    """An artist's instruments: partial weights and envelope times of lead, pad and bass."""

    lead_partials: np.ndarray
    pad_partials: np.ndarray
    bass_partials: np.ndarray
    lead_attack: float
    lead_decay: float
    pad_attack: float


def _artist_timbre(artist: int, seed: int) -> _Timbre:
    rng = np.random.default_rng([seed, _STREAM_ARTIST, artist])

    def partials(n: int) -> np.ndarray:
        family = rng.integers(0, 3)  # 0 saw-like, 1 square-like (odd partials), 2 mellow
        k = np.arange(1, n + 1)
        base = np.where(k % 2 == 1, 1.0, 0.15) if family == 1 else np.ones(n)
        if family == 2:
            base = base * np.exp(-(k - 1) / 1.5)
        return base * rng.uniform(0.6, 1.4, n)

    return _Timbre(
        lead_partials=partials(10),
        pad_partials=partials(8),
        bass_partials=partials(6),
        lead_attack=float(rng.uniform(0.004, 0.03)),
        lead_decay=float(rng.uniform(0.15, 0.8)),
        pad_attack=float(rng.uniform(0.02, 0.15)),
    )


# --------------------------------------------------------------------------------------------
# Synthesis
# --------------------------------------------------------------------------------------------


@dataclass
class _Notes:
    onset: list[float] = dataclasses.field(default_factory=list)  # seconds
    duration: list[float] = dataclasses.field(default_factory=list)  # seconds
    midi: list[float] = dataclasses.field(default_factory=list)
    velocity: list[float] = dataclasses.field(default_factory=list)

    def add(self, onset: float, duration: float, midi: float, velocity: float) -> None:
        self.onset.append(onset)
        self.duration.append(duration)
        self.midi.append(midi)
        self.velocity.append(velocity)


@dataclass(frozen=True)
class _Envelope:
    """Attack time, decay time constant, sustain level, release time (s) and gain of a voice."""

    attack: float
    decay: float
    sustain: float
    release: float
    gain: float


@dataclass(frozen=True)
class _Harmony:
    tonic: int  # MIDI note of the tonic near middle C
    scale: np.ndarray
    chords: list[np.ndarray]  # per bar: chord pitch classes as semitones above the tonic
    chord_degrees: list[np.ndarray]  # per bar: scale degrees of the chord tones


def _harmony(p: TagProfile, n_bars: int, rng: np.random.Generator) -> _Harmony:
    minor = rng.random() < p.minor
    tonic = 57 + int(rng.integers(0, 12))
    if minor:
        scale = _HARMONIC_MINOR if rng.random() < p.tension else _MINOR
        progression = _MINOR_PROGRESSIONS[rng.integers(0, len(_MINOR_PROGRESSIONS))]
    else:
        scale = _MAJOR
        progression = _MAJOR_PROGRESSIONS[rng.integers(0, len(_MAJOR_PROGRESSIONS))]
    chords, degrees = [], []
    for bar in range(n_bars):
        root = progression[bar % len(progression)]
        deg = np.array(
            [root, root + 2, root + 4] + ([root + 6] if rng.random() < p.tension else [])
        )
        semis = 12 * (deg // 7) + scale[deg % 7]
        if rng.random() < 0.25 * p.tension:  # diminished seventh on the chord root
            semis = semis[0] + np.array([0, 3, 6, 9])
        chords.append(semis)
        degrees.append(deg)
    return _Harmony(tonic=tonic, scale=scale, chords=chords, chord_degrees=degrees)


def _hits_per_bar(density: float) -> int:
    """Rhythmic subdivision of the accompaniment: 1, 2, 4 or 8 hits per bar."""
    return 1 if density < 1.0 else 2 if density < 1.7 else 4 if density < 2.5 else 8


def _pad_notes(p: TagProfile, h: _Harmony, beat: float, rng: np.random.Generator) -> _Notes:
    notes = _Notes()
    hits = _hits_per_bar(p.density)
    ioi = 4 * beat / hits
    low = p.register - 16
    for bar, chord in enumerate(h.chords):
        pitches = h.tonic + chord
        pitches = pitches + 12 * np.ceil((low - pitches) / 12)  # voice in [low, low + 12)
        for k in range(hits):
            onset = (bar * hits + k) * ioi + rng.normal(0, 0.004)
            vel = 0.8 + 0.2 * rng.random() + (0.15 if k == 0 else 0)
            for m in pitches:
                notes.add(max(onset, 0.0), ioi * p.legato, float(m), vel / math.sqrt(len(pitches)))
    return notes


def _bass_notes(p: TagProfile, h: _Harmony, beat: float, rng: np.random.Generator) -> _Notes:
    notes = _Notes()
    hits = _hits_per_bar(p.density + 0.4)
    ioi = 4 * beat / hits
    for bar, chord in enumerate(h.chords):
        root = 36 + (h.tonic + chord[0]) % 12
        for k in range(hits):
            fifth = k % 2 == 1 and rng.random() < 0.4
            midi = root + (7 if fifth else 0)
            onset = max((bar * hits + k) * ioi + rng.normal(0, 0.004), 0.0)
            notes.add(onset, ioi * min(p.legato + 0.1, 1.0), float(midi), 0.85 + 0.3 * rng.random())
    return notes


def _melody_notes(
    p: TagProfile, h: _Harmony, beat: float, seconds: float, rng: np.random.Generator
) -> _Notes:
    notes = _Notes()
    iois = np.array([0.25, 0.5, 1.0, 1.5, 2.0])
    log_target = math.log2(1.0 / p.density)
    weights = np.exp(-((np.log2(iois) - log_target) ** 2) / 0.6)
    weights /= weights.sum()
    centre = round((p.register - h.tonic) / 12 * 7)  # scale degree nearest the register
    degree, pos = centre, 0.0  # pos in beats
    steps, step_p = np.array([-3, -2, -1, 0, 1, 2, 3]), np.array([1, 3, 6, 2, 6, 3, 1]) / 22
    while pos * beat < seconds:
        ioi = float(iois[rng.choice(len(iois), p=weights)])
        bar = int(pos // 4)
        if pos % 2 == 0 and rng.random() < 0.7:  # strong beat: land on a chord tone
            tones = h.chord_degrees[bar]
            tones = tones + 7 * np.round((degree - tones) / 7)
            degree = int(tones[np.argmin(np.abs(tones - degree))])
        else:
            degree = int(np.clip(degree + rng.choice(steps, p=step_p), centre - 5, centre + 5))
        if rng.random() > 0.12:  # otherwise a rest
            midi = h.tonic + 12 * (degree // 7) + h.scale[degree % 7]
            midi += 1 if rng.random() < 0.08 * p.tension else 0  # chromatic colour
            vel = 0.75 + 0.25 * rng.random() + (0.2 if pos % 4 == 0 else 0)
            onset = max(pos * beat + rng.normal(0, 0.006), 0.0)
            notes.add(onset, max(ioi * beat * p.legato, 0.05), float(midi), vel)
        pos += ioi
    return notes


def _wavetable(weights: np.ndarray, brightness: float, midi: list[float], sr: int) -> np.ndarray:
    """One period of a harmonic waveform; brightness sets the rolloff, no partial above 0.45 sr."""
    top = 440.0 * 2 ** ((max(midi, default=60) - 69) / 12)
    n_partials = max(1, min(weights.size, int(0.45 * sr / top)))
    k = np.arange(1, n_partials + 1)
    rolloff = 2.4 - 1.6 * float(np.clip(brightness, 0, 1))
    amps = weights[:n_partials] * k**-rolloff
    x = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    table = amps @ np.sin(2 * np.pi * np.outer(k, x))
    return table / np.max(np.abs(table))


def _render(
    out: np.ndarray, notes: _Notes, table: np.ndarray, env: _Envelope, sr: int, ramp: np.ndarray
) -> None:
    """Add the notes to ``out``, read from ``table`` and shaped by ``env``."""
    n = out.size
    t = ramp / sr
    decay = env.sustain + (1 - env.sustain) * np.exp(-t / env.decay)
    shape = np.minimum(t / max(env.attack, 1e-3), 1.0) * decay
    rel = max(int(env.release * sr), 16)
    gain = env.gain
    mask = _TABLE_SIZE - 1
    for onset, dur, midi, vel in zip(
        notes.onset, notes.duration, notes.midi, notes.velocity, strict=True
    ):
        start = int(onset * sr)
        held = max(int(dur * sr), 1)
        length = min(held + rel, n - start)
        if length <= 0:
            continue
        step = 440.0 * 2 ** ((midi - 69) / 12) * _TABLE_SIZE / sr
        idx = (ramp[:length] * step).astype(np.int64) & mask
        amp = shape[:length].copy()
        if held < length:  # release: a linear ramp to zero after the note is let go
            amp[held:] *= np.linspace(1.0, 0.0, rel)[: length - held]
        out[start : start + length] += (gain * vel) * table[idx] * amp


def _lowpass(x: np.ndarray, brightness: float, sr: int) -> np.ndarray:
    cutoff = min(1200.0 * (7000.0 / 1200.0) ** brightness, 0.45 * sr)
    sos = signal.butter(2, cutoff, btype="low", fs=sr, output="sos")
    return signal.sosfilt(sos, x)


def _drum_sounds(sr: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Kick (pitch-swept sine), snare (band-passed noise + tone), closed hat (high-passed noise)."""
    t = np.arange(int(0.35 * sr)) / sr
    freq = 45 + rng.uniform(60, 110) * np.exp(-t / 0.035)
    kick = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / rng.uniform(0.08, 0.16))
    ts = t[: int(0.2 * sr)]
    band = signal.butter(2, [1000, min(5000, 0.45 * sr)], btype="band", fs=sr, output="sos")
    noise = signal.sosfilt(band, rng.standard_normal(ts.size))
    snare = noise / np.max(np.abs(noise)) * np.exp(-ts / rng.uniform(0.04, 0.08)) + 0.5 * np.sin(
        2 * np.pi * 185 * ts
    ) * np.exp(-ts / 0.05)
    th = t[: int(0.06 * sr)]
    high = signal.butter(2, min(6000, 0.4 * sr), btype="high", fs=sr, output="sos")
    hat = signal.sosfilt(high, rng.standard_normal(th.size)) * np.exp(-th / 0.015)
    return {"kick": kick, "snare": snare / np.max(np.abs(snare)), "hat": hat / np.max(np.abs(hat))}


def _drum_pattern(p: TagProfile, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One bar of 16 steps per drum, True where it hits; drums appear with the percussion level."""
    steps = np.arange(16)
    d = p.density
    on_beat = steps % 4 == 0
    prob = {
        "kick": np.select(
            [steps % 8 == 0, on_beat, steps % 4 == 2], [1.0, np.clip(d - 1.5, 0, 1), 0.1 * d], 0.0
        ),
        "snare": np.select([steps % 8 == 4, steps % 2 == 1], [1.0, 0.04 * d], 0.0),
        "hat": np.where(steps % 2 == 0, 1.0 if d > 1 else on_beat, 0.8 * np.clip(d - 2, 0, 1)),
    }
    present = {"kick": p.percussion, "snare": p.percussion, "hat": min(1.0, 1.4 * p.percussion)}
    return {name: (rng.random(16) < prob[name]) & (rng.random() < present[name]) for name in prob}


def _drums(p: TagProfile, beat: float, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    pattern = _drum_pattern(p, rng)
    if not any(hits.any() for hits in pattern.values()):
        return out
    sounds = _drum_sounds(sr, rng)
    gains = {"kick": 0.9, "snare": 0.55, "hat": 0.12 + 0.2 * p.brightness}
    level = 0.3 + 0.7 * p.percussion
    step_s = beat / 4
    n_steps = int(n / sr / step_s) + 1
    for name, hits in pattern.items():
        sound = sounds[name]
        for s in np.flatnonzero(np.tile(hits, n_steps // 16 + 1)[:n_steps]):
            start = int((s * step_s + rng.normal(0, 0.003)) * sr)
            if start < 0 or start >= n:
                continue
            seg = sound[: n - start]
            out[start : start + seg.size] += level * gains[name] * (0.8 + 0.3 * rng.random()) * seg
    return out


def _reverb(x: np.ndarray, amount: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Mix in a convolution with exponentially decaying noise (a crude room)."""
    if amount <= 0.01:
        return x
    tau = 0.12 + 0.5 * amount
    t = np.arange(int(min(4 * tau, 1.5) * sr)) / sr
    ir = rng.standard_normal(t.size) * np.exp(-t / tau)
    ir[: int(0.01 * sr)] = 0.0  # pre-delay
    ir /= np.sqrt(np.sum(ir**2))
    wet = signal.fftconvolve(x, ir)[: x.size]
    return (1 - 0.5 * amount) * x + amount * wet


def _master(x: np.ndarray, p: TagProfile, sr: int) -> np.ndarray:
    """Saturate (more for activated tracks), fade in/out and normalise the peak to the level."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if not math.isfinite(peak) or peak <= 0:
        raise RuntimeError("demo synthesis produced silent or non-finite audio")
    drive = 1.0 + 2.0 * max(p.arousal, 0.0)
    y = np.tanh(drive * x / peak) / math.tanh(drive)
    fade_in, fade_out = min(int(0.01 * sr), y.size // 4), min(int(0.05 * sr), y.size // 4)
    y[:fade_in] *= np.linspace(0.0, 1.0, fade_in)
    y[y.size - fade_out :] *= np.linspace(1.0, 0.0, fade_out)
    y *= 10 ** (p.level_db / 20) / max(float(np.max(np.abs(y))), 1e-12)
    return np.clip(y, -0.99, 0.99).astype(np.float32)
