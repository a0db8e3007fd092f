"""Differentiable DSP core of the DDSP generator (Engel et al. 2020), in PyTorch.

Everything here is a plain differentiable function of tensors (or a small module), so gradients of
the spectral loss flow back to the decoder that predicts the synthesis controls:

* :func:`harmonic_synth`: a bank of sinusoidal oscillators at integer multiples of f0. Frame-rate
  f0 and amplitudes are interpolated linearly to audio rate (:func:`upsample`), the
  fundamental's phase is the running sum of ``f0 / sample_rate`` (accumulated in float64 and
  wrapped to [0, 1), which is exact for integer harmonics), and every harmonic that could reach
  the Nyquist frequency anywhere in a frame is silenced.
* :func:`filtered_noise`: uniform noise cut into frames, each frame convolved with its own
  zero-phase FIR filter designed by frequency sampling (``irfft`` of the band magnitudes, shifted
  to be causal and Hann-windowed), then overlap-added and delay-compensated.
* :class:`Reverb`: an optional learned impulse response (dry path fixed at 1, wet tail learned).
* :func:`multiscale_spectral_loss`: L1 between linear and between log STFT magnitudes at several
  FFT sizes (75% overlap by default).

Shapes: frame-rate controls are ``(batch, frames, channels)``; audio is ``(batch, frames * hop)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

FFT_SIZES = (2048, 1024, 512, 256, 128, 64)


def exp_sigmoid(x: torch.Tensor, max_value: float = 2.0, threshold: float = 1e-7) -> torch.Tensor:
    """DDSP's positive output nonlinearity: ``max_value * sigmoid(x) ** ln(10) + threshold``."""
    return max_value * torch.sigmoid(x) ** math.log(10.0) + threshold


def upsample(frames: torch.Tensor, hop: int) -> torch.Tensor:
    """Linear interpolation from frame rate to audio rate.

    ``frames`` is ``(B, n)`` or ``(B, n, C)``; the result has ``n * hop`` samples along time, sample
    ``i * hop`` equals frame ``i`` and the last frame is held for its final ``hop`` samples.
    """
    squeeze = frames.dim() == 2
    x = frames.unsqueeze(-1) if squeeze else frames
    n = x.shape[1]
    x = x.transpose(1, 2)  # (B, C, n)
    x = torch.cat([x, x[..., -1:]], dim=-1)
    x = F.interpolate(x, size=n * hop + 1, mode="linear", align_corners=True)[..., : n * hop]
    x = x.transpose(1, 2)
    return x.squeeze(-1) if squeeze else x


def nyquist_mask(f0_hz: torch.Tensor, n_harmonics: int, sample_rate: float) -> torch.Tensor:
    """``(B, n, K)`` float mask: 1 where harmonic ``k * f0`` stays below Nyquist in the frame.

    A frame's audio-rate f0 is interpolated between it and the next frame, so the larger of the two
    decides: a harmonic is kept only if it is below Nyquist over the whole interpolated span.
    """
    peak = torch.maximum(f0_hz, torch.cat([f0_hz[:, 1:], f0_hz[:, -1:]], dim=1))
    k = torch.arange(1, n_harmonics + 1, device=f0_hz.device, dtype=f0_hz.dtype)
    return (peak.unsqueeze(-1) * k < sample_rate / 2).to(f0_hz.dtype)


def harmonic_synth(
    f0_hz: torch.Tensor, amplitudes: torch.Tensor, hop: int, sample_rate: float
) -> torch.Tensor:
    """Sum of sinusoids at ``k * f0`` (k = 1..K) with per-harmonic ``amplitudes``.

    ``f0_hz``: ``(B, n)``; ``amplitudes``: ``(B, n, K)`` (linear, per harmonic). Returns
    ``(B, n * hop)``. Phase starts at 0; harmonics that could alias are zeroed
    (:func:`nyquist_mask`). Amplitudes are linearly interpolated between frames like
    :func:`upsample`, but without materialising them at audio rate: within frame ``i`` the output
    is ``(1 - w) * sines @ a[i] + w * sines @ a[i + 1]`` with ``w = j / hop`` (two batched matrix
    products, several times faster than interpolating ``(B, T, K)`` amplitudes).
    """
    b, n, n_harmonics = amplitudes.shape
    amplitudes = amplitudes * nyquist_mask(f0_hz, n_harmonics, sample_rate)
    f0 = upsample(f0_hz, hop)  # (B, T)
    increment = f0.double() / sample_rate
    cycles = torch.cumsum(increment, dim=1) - increment  # phase 0 at the first sample
    phase = (cycles - torch.floor(cycles)).to(f0.dtype)  # wrapped; exact for integer harmonics
    k = torch.arange(1, n_harmonics + 1, device=f0.device, dtype=f0.dtype) * (2 * math.pi)
    sines = torch.sin(phase.unsqueeze(-1) * k).view(b, n, hop, n_harmonics)
    following = torch.cat([amplitudes[:, 1:], amplitudes[:, -1:]], dim=1)  # last frame held
    w = torch.arange(hop, device=f0.device, dtype=f0.dtype) / hop
    here = torch.matmul(sines, amplitudes.unsqueeze(-1)).squeeze(-1)  # (B, n, hop)
    there = torch.matmul(sines, following.unsqueeze(-1)).squeeze(-1)
    return ((1 - w) * here + w * there).reshape(b, n * hop)


def noise_impulse_responses(magnitudes: torch.Tensor) -> torch.Tensor:
    """Frequency-sampling FIR design: ``(B, n, bands)`` magnitudes → ``(B, n, 2 * (bands - 1))``.

    Bands are linearly spaced from 0 Hz to Nyquist. The zero-phase response (``irfft`` of the
    real magnitudes) is rotated by half its length to be causal and centred, then Hann-windowed.
    """
    ir = torch.fft.irfft(torch.complex(magnitudes, torch.zeros_like(magnitudes)), dim=-1)
    size = ir.shape[-1]
    ir = torch.roll(ir, shifts=size // 2, dims=-1)
    return ir * torch.hann_window(size, periodic=True, device=ir.device, dtype=ir.dtype)


def fft_convolve(signal: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Full linear convolution along the last dimension (output length ``len + klen - 1``)."""
    size = signal.shape[-1] + kernel.shape[-1] - 1
    n_fft = 1 << (size - 1).bit_length()
    out = torch.fft.irfft(torch.fft.rfft(signal, n_fft) * torch.fft.rfft(kernel, n_fft), n_fft)
    return out[..., :size]


def filtered_noise(
    magnitudes: torch.Tensor,
    hop: int,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Uniform noise in [-1, 1] filtered frame by frame by band ``magnitudes`` ``(B, n, bands)``.

    ``noise`` ``(B, n, hop)`` may be given; otherwise it is drawn on the CPU from ``generator``
    (or the global RNG) and moved to the magnitudes' device. Returns ``(B, n * hop)``.
    """
    b, n, _ = magnitudes.shape
    if noise is None:
        noise = torch.rand((b, n, hop), generator=generator, dtype=magnitudes.dtype)
        noise = noise.to(magnitudes.device) * 2 - 1
    ir = noise_impulse_responses(magnitudes)  # (B, n, L)
    size = ir.shape[-1]
    frames = fft_convolve(noise, ir)  # (B, n, hop + L - 1)
    width = frames.shape[-1]
    out = F.fold(
        frames.transpose(1, 2),
        output_size=(1, (n - 1) * hop + width),
        kernel_size=(1, width),
        stride=(1, hop),
    ).reshape(b, -1)
    delay = size // 2  # the centred FIR delays its input by half its length
    return out[:, delay : delay + n * hop]


class Reverb(nn.Module):
    """Learned reverb: ``y = x + x * ir_wet`` with a trainable impulse response of ``length``.

    The tail starts as small Gaussian noise under an exponential decay (``decay_s``) so the model
    begins almost dry; the first tap is the fixed dry path.
    """

    def __init__(self, length: int, sample_rate: float, decay_s: float = 0.05, gain: float = 1e-3):
        super().__init__()
        t = torch.arange(length, dtype=torch.float32) / sample_rate
        self.ir = nn.Parameter(torch.randn(length) * gain * torch.exp(-t / decay_s))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        wet = torch.cat([torch.zeros_like(self.ir[:1]), self.ir[1:]])
        return audio + fft_convolve(audio, wet.to(audio.dtype))[..., : audio.shape[-1]]


def _magnitudes(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    return torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True).abs()


def multiscale_spectral_loss(
    x: torch.Tensor,
    target: torch.Tensor,
    fft_sizes: Sequence[int] = FFT_SIZES,
    overlap: float = 0.75,
    eps: float = 1e-7,
) -> torch.Tensor:
    """Sum over FFT sizes of mean |S_x - S_t| + mean |log(S_x + eps) - log(S_t + eps)|.

    ``x`` and ``target`` are ``(B, T)`` audio; ``S`` are Hann-windowed STFT magnitudes with hop
    ``n_fft * (1 - overlap)``. Zero exactly when the signals are identical.
    """
    loss = x.new_zeros(())
    for n_fft in fft_sizes:
        hop = max(1, int(n_fft * (1 - overlap)))
        sx, st = _magnitudes(x, n_fft, hop), _magnitudes(target, n_fft, hop)
        loss = (
            loss + (sx - st).abs().mean() + (torch.log(sx + eps) - torch.log(st + eps)).abs().mean()
        )
    return loss
