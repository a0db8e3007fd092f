"""SampleRNN (Mehri et al. 2017): the three-tier network and its batched sampler (the sample
codecs live in :mod:`augeval.generators.quantize`).

Tiers are listed bottom-up by frame size, as in the reference code: ``frame_sizes = [16, 4]`` gives
a frame tier that reads 16-sample frames, a frame tier above it that reads 64-sample frames, and a
sample-level MLP that reads the previous 16 samples; the lookback (top frame) is 64 samples.

Each frame tier at a frame boundary ``t`` reads the frame ``x[t - n, t)`` (its level indices mapped
linearly to [-2, 2]; for ``mu_law`` that is the companded signal), expands it to ``dim`` with a
1×1 projection, adds the conditioning from the tier above, steps a GRU (``n_rnn`` layers, learned
initial state) and upsamples its output with a learned per-position projection (a transposed
convolution with kernel = stride = frame size) into ``frame_size`` conditioning vectors, one per
step of the tier below. The sample-level MLP embeds the previous ``frame_sizes[0]`` quantised
samples (``q_levels`` → ``q_levels``), convolves them to ``dim``, adds the per-sample conditioning,
then ReLU, 1×1, ReLU, 1×1 → ``q_levels`` logits. Every projection, convolution and GRU weight is
weight-normalised.

Class conditioning (``n_classes`` > 0): every frame tier also has a learned embedding
(``n_classes`` × ``dim``) whose row for the example's class is added to its expanded frame at every
step. That is the same function as the paper's code, which concatenates a one-hot of the class to
each frame tier's input before its linear expansion (a linear map of a one-hot is one learned
vector per class). The sample-level MLP is not conditioned (as there).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm

from augeval.generators.quantize import QUANTIZATIONS

log = logging.getLogger("augeval.generators.samplernn")

WARM_UPS = ("full", "lookback")


def level_to_unit(q: torch.Tensor, q_levels: int) -> torch.Tensor:
    """Level indices → their (companded, for mu-law) value in [-1, 1]."""
    return q.float() * (2.0 / (q_levels - 1)) - 1.0


def _wn(module: nn.Module, *names: str) -> nn.Module:
    for name in names or ("weight",):
        weight_norm(module, name)
    return module


class FrameTier(nn.Module):
    """One frame-level tier: reads ``n_frame`` samples per step, upsamples by ``ratio``."""

    def __init__(
        self, n_frame: int, ratio: int, dim: int, n_rnn: int, q_levels: int, n_classes: int = 0
    ):
        super().__init__()
        self.n_frame, self.ratio, self.dim, self.q_levels = n_frame, ratio, dim, q_levels
        self.expand = _wn(nn.Linear(n_frame, dim))
        self.class_embedding = nn.Embedding(n_classes, dim) if n_classes else None
        self.rnn = nn.GRU(dim, dim, num_layers=n_rnn, batch_first=True)
        _wn(self.rnn, *(f"weight_{kind}_l{i}" for i in range(n_rnn) for kind in ("ih", "hh")))
        self.h0 = nn.Parameter(torch.zeros(n_rnn, 1, dim))
        self.upsample = _wn(nn.Linear(dim, dim * ratio))

    def initial_hidden(self, batch: int) -> torch.Tensor:
        return self.h0.expand(-1, batch, -1).contiguous()

    def plain_rnn(self) -> nn.GRU:
        """An ordinary GRU holding the current effective (weight-normed) weights, flattened for
        fast one-step calls in sampling."""
        rnn = self.rnn
        plain = nn.GRU(rnn.input_size, rnn.hidden_size, rnn.num_layers, batch_first=True)
        plain = plain.to(self.h0.device)
        with torch.no_grad():
            for name in plain._flat_weights_names:
                getattr(plain, name).copy_(getattr(rnn, name))
        plain.flatten_parameters()
        return plain.eval()

    def tier_input(
        self, frames_q: torch.Tensor, cond: torch.Tensor | None, classes: torch.Tensor | None
    ) -> torch.Tensor:
        """The GRU's input: expanded frames (B, T, n_frame) + the upper tier's conditioning
        (B, T, dim) + the class embedding of ``classes`` (B,) (conditional models only)."""
        x = self.expand(2.0 * level_to_unit(frames_q, self.q_levels))
        if cond is not None:
            x = x + cond
        if self.class_embedding is not None:
            x = x + self.class_embedding(classes).unsqueeze(1)
        return x

    def forward(
        self,
        frames_q: torch.Tensor,
        cond: torch.Tensor | None,
        hidden: torch.Tensor,
        classes: torch.Tensor | None = None,
    ):
        """``frames_q`` (B, T, n_frame) levels, ``cond`` (B, T, dim) → (B, T * ratio, dim)."""
        x = self.tier_input(frames_q, cond, classes)
        out, hidden = self.rnn(x, hidden)
        b, t, _ = out.shape
        return self.upsample(out).reshape(b, t * self.ratio, self.dim), hidden


class SampleMLP(nn.Module):
    """Sample-level predictor: previous ``frame_size`` samples + conditioning → logits."""

    def __init__(self, frame_size: int, dim: int, q_levels: int):
        super().__init__()
        self.frame_size, self.q_levels = frame_size, q_levels
        self.embedding = nn.Embedding(q_levels, q_levels)
        self.conv = _wn(nn.Conv1d(q_levels, dim, frame_size, bias=False))
        self.hidden = _wn(nn.Linear(dim, dim))
        self.output = _wn(nn.Linear(dim, q_levels))

    def forward(self, prev_q: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``prev_q`` (B, L + frame_size - 1) levels, ``cond`` (B, L, dim) → (B, L, q_levels).

        Computes ``conv(embedding(prev_q))`` as a sum of :meth:`lookup_table` rows: the same
        function of the same weights, without the ``q_levels × frame_size × dim`` multiply-adds
        per sample of the direct convolution.
        """
        b, length, _ = cond.shape
        windows = prev_q.unfold(1, self.frame_size, 1) + self.positions(prev_q.device)
        x = F.embedding_bag(windows.reshape(b * length, -1), self.lookup_table(), mode="sum")
        return self.head(x.reshape(b, length, -1) + cond)

    def direct(self, prev_q: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """The textbook form of :meth:`forward` (embedding, then convolution); for tests."""
        x = self.conv(self.embedding(prev_q).transpose(1, 2)).transpose(1, 2)
        return self.head(x + cond)

    def positions(self, device) -> torch.Tensor:
        """Row offset of each window position in :meth:`lookup_table`."""
        return torch.arange(self.frame_size, device=device) * self.q_levels

    def head(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(F.relu(self.hidden(F.relu(x))))

    def lookup_table(self) -> torch.Tensor:
        """The embedding folded into the convolution: row ``p * q_levels + q`` is the conv output
        contributed by level ``q`` at position ``p`` of the window (for one-step sampling)."""
        w = self.conv.weight  # (dim, q_levels, frame_size)
        table = torch.einsum("dep,qe->pqd", w, self.embedding.weight)
        return table.reshape(self.frame_size * self.q_levels, -1).contiguous()


class SampleRNN(nn.Module):
    """Multi-tier SampleRNN over quantised audio.

    :meth:`forward` is the teacher-forced pass used in training: given ``lookback + L`` levels it
    returns logits for the last ``L`` (``L`` a multiple of :attr:`lookback`) and the tiers' hidden
    states, to be carried into the next truncated-BPTT segment. :meth:`sample` continues primes.
    """

    def __init__(
        self,
        frame_sizes=(16, 4),
        dim: int = 1024,
        n_rnn: int = 2,
        q_levels: int = 256,
        quantization: str = "mu_law",
        sample_rate: int = 16000,
        n_classes: int = 0,
    ):
        super().__init__()
        frame_sizes = [int(f) for f in frame_sizes]
        if not frame_sizes or min(frame_sizes) < 1:
            raise ValueError(
                f"frame_sizes must be a non-empty list of positive ints: {frame_sizes}"
            )
        if quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization {quantization!r}; allowed: {', '.join(QUANTIZATIONS)}")
        self.config = {
            "frame_sizes": frame_sizes,
            "dim": int(dim),
            "n_rnn": int(n_rnn),
            "q_levels": int(q_levels),
            "quantization": quantization,
            "sample_rate": int(sample_rate),
            "n_classes": int(n_classes),
        }
        self.n_classes = int(n_classes)
        self.frame_sizes, self.dim, self.q_levels = frame_sizes, int(dim), int(q_levels)
        self.quantization = quantization
        self.n_frames = [int(n) for n in np.cumprod(frame_sizes)]  # samples per step, bottom-up
        self.lookback = self.n_frames[-1]
        self.tiers = nn.ModuleList(
            FrameTier(n, ratio, self.dim, int(n_rnn), self.q_levels, self.n_classes)
            for n, ratio in zip(self.n_frames, frame_sizes, strict=True)
        )
        self.mlp = SampleMLP(frame_sizes[0], self.dim, self.q_levels)

    def initial_hidden(self, batch: int) -> list[torch.Tensor]:
        return [tier.initial_hidden(batch) for tier in self.tiers]

    def _classes(self, classes: torch.Tensor | None, batch: int) -> torch.Tensor | None:
        """Check ``classes`` against the model: (batch,) indices for a conditional model, None for
        an unconditional one (ValueError otherwise)."""
        if not self.n_classes:
            if classes is not None:
                raise ValueError("this SampleRNN is unconditional: pass classes=None")
            return None
        if classes is None or tuple(classes.shape) != (batch,):
            raise ValueError(
                f"this SampleRNN is conditioned on {self.n_classes} classes: pass one class "
                f"index per row (shape ({batch},)), got "
                f"{None if classes is None else tuple(classes.shape)}"
            )
        if classes.min() < 0 or classes.max() >= self.n_classes:
            raise ValueError(f"class indices must lie in [0, {self.n_classes})")
        return classes.long()

    def _frame_tiers(self, x_q: torch.Tensor, hidden: list[torch.Tensor] | None, classes=None):
        length = x_q.shape[1] - self.lookback
        if length < 0 or length % self.lookback:
            raise ValueError(
                f"input of {x_q.shape[1]} samples: need lookback ({self.lookback}) + a multiple "
                f"of the top frame size ({self.lookback})"
            )
        classes = self._classes(classes, x_q.shape[0])
        if hidden is None:
            hidden = self.initial_hidden(x_q.shape[0])
        cond, new_hidden = None, list(hidden)
        for k in reversed(range(len(self.tiers))):
            n = self.n_frames[k]
            frames = x_q[:, self.lookback - n : self.lookback - n + length]
            frames = frames.reshape(x_q.shape[0], length // n, n)
            cond, new_hidden[k] = self.tiers[k](frames, cond, hidden[k], classes)
        return cond, new_hidden, length

    def forward(
        self,
        x_q: torch.Tensor,
        hidden: list[torch.Tensor] | None = None,
        classes: torch.Tensor | None = None,
    ):
        """``x_q`` (B, lookback + L) long levels → logits (B, L, q_levels), new hidden states.

        ``hidden=None`` starts from the learned initial states. ``classes`` (B,): each row's class
        index (conditional models only). Raises ValueError unless ``L`` is a multiple of
        :attr:`lookback`, or if ``classes`` does not fit the model.
        """
        cond, hidden, length = self._frame_tiers(x_q, hidden, classes)
        fs = self.frame_sizes[0]
        prev = x_q[:, self.lookback - fs : self.lookback + length - 1]
        return self.mlp(prev, cond), hidden

    @torch.no_grad()
    def warm_up(
        self, prime_q: torch.Tensor, classes: torch.Tensor | None = None, mode: str = "full"
    ) -> list[torch.Tensor]:
        """The tiers' hidden states after a prime, from which sampling continues it.

        ``full`` runs the frame tiers teacher-forced over the whole prime. ``lookback`` (the
        paper code's) returns the learned initial states: only the prime's last :attr:`lookback`
        samples, which the first sampling step reads, reach the network. The prime's length must
        be a positive multiple of :attr:`lookback` (ValueError otherwise); afterwards every tier
        is due to step at the first sample after the prime.
        """
        if prime_q.shape[1] < self.lookback or prime_q.shape[1] % self.lookback:
            raise ValueError(
                f"prime of {prime_q.shape[1]} samples: must be a positive multiple of the top "
                f"frame size ({self.lookback})"
            )
        if mode not in WARM_UPS:
            raise ValueError(f"warm_up {mode!r}; allowed: {', '.join(WARM_UPS)}")
        classes = self._classes(classes, prime_q.shape[0])
        if mode == "lookback":
            return self.initial_hidden(prime_q.shape[0])
        _, hidden, _ = self._frame_tiers(prime_q, None, classes)
        return hidden

    @torch.no_grad()
    def sample(
        self,
        prime_q: torch.Tensor,
        n_samples: int,
        uniforms: Callable[[], torch.Tensor],
        temperature: float = 1.0,
        progress: Callable[[int, int], None] | None = None,
        classes: torch.Tensor | None = None,
        warm_up: str = "full",
    ) -> torch.Tensor:
        """Continue each row of ``prime_q`` (B, P) by ``n_samples`` levels; return (B, n_samples).

        ``uniforms()`` returns the next block (B, block) of uniform [0, 1) draws on the model's
        device; each sample is drawn by inverse CDF from its row's own draw, so a row's output
        depends only on its prime, its class, its own draws and the weights. ``temperature`` ≤ 0
        is greedy. ``progress(done, total)`` is called about every 4096 samples. ``classes`` (B,):
        each row's class index (conditional models only); ``warm_up``: how the prime sets the
        tiers' states (:meth:`warm_up`: ``full`` or ``lookback``).
        """
        batch, p = prime_q.shape
        device = prime_q.device
        out = torch.empty(batch, p + n_samples, dtype=torch.long, device=device)
        out[:, :p] = prime_q
        fs0 = self.frame_sizes[0]
        positions = self.mlp.positions(device).unsqueeze(0)
        with parametrize.cached():
            hidden = self.warm_up(prime_q, classes, warm_up)
            classes = self._classes(classes, batch)
            table = self.mlp.lookup_table()
            rnns = [tier.plain_rnn() for tier in self.tiers]
            w1, b1 = self.mlp.hidden.weight, self.mlp.hidden.bias
            w2, b2 = self.mlp.output.weight, self.mlp.output.bias
            conds: list[torch.Tensor | None] = [None] * len(self.tiers)
            noise, used = None, 0
            for t in range(p, p + n_samples):
                for k in reversed(range(len(self.tiers))):
                    n = self.n_frames[k]
                    if t % n:
                        continue
                    tier = self.tiers[k]
                    upper = None
                    if k + 1 < len(self.tiers):
                        upper = conds[k + 1][:, (t % self.n_frames[k + 1]) // n].unsqueeze(1)
                    x = tier.tier_input(out[:, t - n : t].unsqueeze(1), upper, classes)
                    y, hidden[k] = rnns[k](x, hidden[k])
                    conds[k] = tier.upsample(y[:, 0]).reshape(batch, tier.ratio, self.dim)
                window = out[:, t - fs0 : t] + positions
                h = F.embedding_bag(window, table, mode="sum") + conds[0][:, t % fs0]
                logits = F.linear(F.relu(F.linear(F.relu(h), w1, b1)), w2, b2)
                if noise is None or used == noise.shape[1]:
                    noise, used = uniforms(), 0
                out[:, t] = _draw(logits, noise[:, used : used + 1], temperature)
                used += 1
                if progress is not None and (t - p + 1) % 4096 == 0:
                    progress(t - p + 1, n_samples)
        return out[:, p:]


def _draw(logits: torch.Tensor, u: torch.Tensor, temperature: float) -> torch.Tensor:
    if temperature <= 0:
        return logits.argmax(dim=1)
    cdf = torch.softmax(logits / temperature, dim=1).cumsum(dim=1)
    idx = torch.searchsorted(cdf, u * cdf[:, -1:], right=True)
    return idx[:, 0].clamp_(max=logits.shape[1] - 1)


class RowNoise:
    """Uniform draws from one independent stream per batch row, in fixed-size blocks.

    Each row's stream is seeded from ``(seed, key)`` (e.g. the clip id), and drawn in blocks of
    the same size whatever the batch, so a row's draws never depend on the other rows.
    """

    def __init__(self, seed: int, keys: list[str], device, block: int = 4096):
        self.rngs = [np.random.default_rng([int(seed), _stable_hash(k)]) for k in keys]
        self.device, self.block = device, block

    def __call__(self) -> torch.Tensor:
        draws = np.stack([rng.random(self.block) for rng in self.rngs]).astype(np.float32)
        return torch.from_numpy(draws).to(self.device)


def _stable_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(str(key).encode()).digest()[:8], "little")


class Progress:
    """Logs samples done / total and speed in audio-seconds per wall-second (×real time)."""

    def __init__(self, batch: int, sample_rate: int, label: str = ""):
        self.batch, self.sr, self.label = batch, sample_rate, label
        self.t0 = self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 10.0 and done < total:
            return
        self.last = now
        speed = done / self.sr / max(now - self.t0, 1e-9)
        log.info(
            "%ssampled %d/%d (%.0f%%) x %d rows: %.3f x real time per row, %.3f x overall",
            self.label,
            done,
            total,
            100.0 * done / total,
            self.batch,
            speed,
            speed * self.batch,
        )
