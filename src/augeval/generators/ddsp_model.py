"""The DDSP decoder (Engel et al. 2020): per-frame f0 and loudness (and optionally a learned
timbre code z) → synthesis controls → audio.

:class:`DDSPDecoder` runs MLPs on scaled f0 = MIDI/127 and loudness = dB/80 + 1, and on z (from
:class:`ZEncoder`) → GRU → MLP → an overall amplitude, a harmonic distribution and noise band
magnitudes, all through ``2 sigmoid(x)^ln 10 + 1e-7``; harmonics above Nyquist are zeroed and the
distribution renormalised. :mod:`augeval.generators.ddsp_synth` turns the controls into audio
(additive oscillators + filtered noise, optional learned reverb).
"""

from __future__ import annotations

import torch
import torchaudio.transforms as T
from torch import nn

from augeval.generators.ddsp_synth import (
    Reverb,
    exp_sigmoid,
    filtered_noise,
    harmonic_synth,
    nyquist_mask,
)

MODEL_KEYS = (
    "sample_rate",
    "hop",
    "n_harmonics",
    "n_noise_bands",
    "hidden",
    "mlp_layers",
    "use_z",
    "z_dim",
    "n_mfcc",
    "reverb",
    "reverb_seconds",
)
NOISE_BIAS = -5.0  # noise magnitudes start small (Magenta's initial bias)


def mlp(in_size: int, hidden: int, layers: int) -> nn.Sequential:
    """``layers`` x (Linear, LayerNorm, LeakyReLU)."""
    mods: list[nn.Module] = []
    for i in range(layers):
        mods += [nn.Linear(in_size if i == 0 else hidden, hidden), nn.LayerNorm(hidden)]
        mods.append(nn.LeakyReLU())
    return nn.Sequential(*mods)


def scale_f0(f0_hz: torch.Tensor) -> torch.Tensor:
    """Hz → MIDI / 127."""
    return (69.0 + 12.0 * torch.log2(f0_hz.clamp_min(1e-3) / 440.0)) / 127.0


def scale_loudness(loudness_db: torch.Tensor) -> torch.Tensor:
    """dB (about -80..0) → dB / 80 + 1."""
    return loudness_db / 80.0 + 1.0


class ZEncoder(nn.Module):
    """MFCC (of log mels, normalised per clip and coefficient) → GRU → z per frame (Magenta's
    timbre code). Log mels rather than torchaudio's dB with ``top_db``, whose floor is taken over
    the whole batch and would make a clip's z depend on its batch."""

    def __init__(self, sample_rate: int, hop: int, n_mfcc: int, hidden: int, z_dim: int):
        super().__init__()
        self.hop = hop
        self.mfcc = T.MFCC(
            sample_rate=sample_rate,
            n_mfcc=n_mfcc,
            log_mels=True,
            melkwargs={
                "n_fft": 1024,
                "hop_length": hop,
                "n_mels": 64,
                "f_min": 20.0,
                "f_max": sample_rate / 2,
                "center": True,
            },
        )
        self.norm = nn.InstanceNorm1d(n_mfcc, affine=True)
        self.gru = nn.GRU(n_mfcc, hidden, batch_first=True)
        self.out = nn.Linear(hidden, z_dim)

    def forward(self, audio: torch.Tensor, n_frames: int) -> torch.Tensor:
        m = self.norm(self.mfcc(audio)[..., :n_frames])  # (B, n_mfcc, frames)
        return self.out(self.gru(m.transpose(1, 2))[0])


class DDSPDecoder(nn.Module):
    """(f0, loudness[, audio → z]) per frame → harmonic + noise synthesis (+ reverb)."""

    def __init__(
        self,
        sample_rate: int = 16000,
        hop: int = 64,
        n_harmonics: int = 100,
        n_noise_bands: int = 65,
        hidden: int = 512,
        mlp_layers: int = 3,
        use_z: bool = False,
        z_dim: int = 16,
        n_mfcc: int = 30,
        reverb: bool = False,
        reverb_seconds: float = 1.0,
    ):
        super().__init__()
        self.sample_rate, self.hop, self.n_harmonics = sample_rate, hop, n_harmonics
        self.use_z = use_z
        self.f0_mlp = mlp(1, hidden, mlp_layers)
        self.loudness_mlp = mlp(1, hidden, mlp_layers)
        n_in = 2 * hidden
        if use_z:
            self.encoder = ZEncoder(sample_rate, hop, n_mfcc, hidden, z_dim)
            self.z_mlp = mlp(z_dim, hidden, mlp_layers)
            n_in += hidden
        self.gru = nn.GRU(n_in, hidden, batch_first=True)
        self.out_mlp = mlp(hidden + n_in, hidden, mlp_layers)
        self.harmonic_head = nn.Linear(hidden, 1 + n_harmonics)
        self.noise_head = nn.Linear(hidden, n_noise_bands)
        self.reverb = Reverb(int(reverb_seconds * sample_rate), sample_rate) if reverb else None

    def controls(
        self, f0_hz: torch.Tensor, loudness_db: torch.Tensor, audio: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Frame-rate synthesis controls: ``harmonic_amplitudes`` ``(B, n, K)`` (overall
        amplitude x normalised distribution, zero above Nyquist) and ``noise_magnitudes``
        ``(B, n, bands)``."""
        parts = [
            self.f0_mlp(scale_f0(f0_hz).unsqueeze(-1)),
            self.loudness_mlp(scale_loudness(loudness_db).unsqueeze(-1)),
        ]
        if self.use_z:
            if audio is None:
                raise ValueError("this DDSP model encodes z from audio; pass the audio")
            parts.append(self.z_mlp(self.encoder(audio, f0_hz.shape[1])))
        x = torch.cat(parts, dim=-1)
        x = self.out_mlp(torch.cat([self.gru(x)[0], x], dim=-1))
        harm = exp_sigmoid(self.harmonic_head(x))
        amplitude, distribution = harm[..., :1], harm[..., 1:]
        distribution = distribution * nyquist_mask(f0_hz, self.n_harmonics, self.sample_rate)
        distribution = distribution / distribution.sum(-1, keepdim=True).clamp_min(1e-7)
        noise = exp_sigmoid(self.noise_head(x) + NOISE_BIAS)
        return {"harmonic_amplitudes": amplitude * distribution, "noise_magnitudes": noise}

    def forward(
        self,
        f0_hz: torch.Tensor,
        loudness_db: torch.Tensor,
        audio: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Audio ``(B, frames * hop)``; ``noise`` ``(B, frames, hop)`` uniform in [-1, 1] or drawn
        from ``generator``; ``audio`` (the input clip) is needed only when ``use_z``."""
        c = self.controls(f0_hz, loudness_db, audio)
        y = harmonic_synth(f0_hz, c["harmonic_amplitudes"], self.hop, self.sample_rate)
        y = y + filtered_noise(c["noise_magnitudes"], self.hop, noise=noise, generator=generator)
        return self.reverb(y) if self.reverb is not None else y


def build_model(cfg: dict) -> DDSPDecoder:
    return DDSPDecoder(**{k: cfg[k] for k in MODEL_KEYS})


def model_from_checkpoint(checkpoint: dict) -> DDSPDecoder:
    model = build_model(checkpoint["model_config"])
    model.load_state_dict(checkpoint["model"])
    return model.eval()
