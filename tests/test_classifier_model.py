"""Tests of the chunked MobileNetV2 + transformer mood classifier (small shapes, CPU)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision

from augeval.classifier.model import (
    MoodClassifier,
    count_parameters,
    imagenet_weights_path,
    sinusoidal_positions,
)
from augeval.errors import CheckpointError, ConfigError

N_MELS = 96
CHUNK = 32
WIDTH = 0.25
N_CLASSES = 5


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_model(**kwargs) -> MoodClassifier:
    torch.manual_seed(0)
    params = dict(n_mels=N_MELS, chunk_frames=CHUNK, width_mult=WIDTH)
    params.update(kwargs)
    return MoodClassifier(N_CLASSES, **params)


def batch(b: int, n_chunks: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, N_MELS, n_chunks * CHUNK, generator=g)


@pytest.fixture(scope="module")
def model() -> MoodClassifier:
    return small_model()


@pytest.mark.parametrize("n_chunks", [1, 2, 3])
def test_output_shapes(model, n_chunks):
    model.train()
    logits_a, logits_b = model(batch(2, n_chunks))
    assert logits_a.shape == (2, N_CLASSES)
    assert logits_b.shape == (2, N_CLASSES)
    assert model.embed_chunks(batch(2, n_chunks)).shape == (2, n_chunks, 256)


@pytest.mark.parametrize("frames", [0, CHUNK - 1, CHUNK + 5, 3 * CHUNK + 1])
def test_bad_length_raises(model, frames):
    x = torch.randn(2, N_MELS, frames)
    with pytest.raises(ValueError, match=rf"T={frames}.*chunk_frames={CHUNK}"):
        model(x)


def test_bad_mels_and_rank_raise(model):
    with pytest.raises(ValueError, match="mel bands"):
        model(torch.randn(2, N_MELS - 1, CHUNK))
    with pytest.raises(ValueError, match="shape"):
        model(torch.randn(N_MELS, CHUNK))


def test_loss_and_backward_reach_all_parts():
    m = small_model()
    m.train()
    x = batch(3, 2)
    y = (torch.rand(3, N_CLASSES, generator=torch.Generator().manual_seed(2)) > 0.5).float()
    outputs = m(x)
    loss = m.loss(outputs, y)
    assert loss.dim() == 0 and torch.isfinite(loss)
    expected = 0.5 * (
        F.binary_cross_entropy_with_logits(outputs[0], y)
        + F.binary_cross_entropy_with_logits(outputs[1], y)
    )
    torch.testing.assert_close(loss, expected)
    loss.backward()
    parts = {
        "to_rgb": m.to_rgb[1].weight,
        "backbone first": m.features[0][0].weight,
        "backbone last": m.features[-1][0].weight,
        "reduce": m.reduce[0].weight,
        "encoder": m.encoder[0].attention.in_proj_weight,
        "pooler": m.pooler.weight,
        "head A": m.head_a[1].weight,
        "head B": m.head_b[3].weight,
    }
    for name, param in parts.items():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


def test_head_b_is_logit_of_mean_chunk_probability(model):
    model.eval()
    x = batch(2, 3)
    with torch.no_grad():
        _, logits_b = model(x)
        per_chunk = model.head_b(model.embed_chunks(x))  # (B, n, K)
    torch.testing.assert_close(
        torch.sigmoid(logits_b), torch.sigmoid(per_chunk).mean(dim=1), atol=1e-6, rtol=1e-5
    )


def test_head_b_loss_stable_for_extreme_logits():
    # BCE on logit(mean sigmoid) stays finite where BCE on the probabilities would not.
    m = small_model()
    m.eval()
    with torch.no_grad():
        m.head_b[3].bias.fill_(60.0)
        _, logits_b = m(batch(2, 2))
    assert torch.isfinite(logits_b).all()
    loss = F.binary_cross_entropy_with_logits(logits_b, torch.zeros_like(logits_b))
    assert torch.isfinite(loss) and loss > 50


def test_predict_proba_is_mean_of_head_probabilities(model):
    x = batch(3, 2)
    model.train()
    probs = model.predict_proba(x)
    assert model.training, "predict_proba must restore training mode"
    assert probs.shape == (3, N_CLASSES)
    assert ((probs >= 0) & (probs <= 1)).all()
    model.eval()
    with torch.no_grad():
        emb = model.embed_chunks(x)
        seq = emb + sinusoidal_positions(emb.shape[1], emb.shape[2])
        for layer in model.encoder:
            seq = layer(seq)
        prob_a = torch.sigmoid(model.head_a(torch.tanh(model.pooler(seq[:, 0]))))
        prob_b = torch.sigmoid(model.head_b(emb)).mean(dim=1)
    torch.testing.assert_close(probs, 0.5 * (prob_a + prob_b), atol=1e-6, rtol=1e-5)
    assert not probs.requires_grad


def test_eval_mode_is_deterministic(model):
    model.eval()
    x = batch(2, 2)
    with torch.no_grad():
        first = model(x)
        second = model(x)
    for a, b in zip(first, second, strict=True):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_sinusoidal_positions():
    enc = sinusoidal_positions(4, 8)
    assert enc.shape == (4, 8)
    torch.testing.assert_close(enc[0, 0::2], torch.zeros(4))
    torch.testing.assert_close(enc[0, 1::2], torch.ones(4))
    assert sinusoidal_positions(3, 7).shape == (3, 7)


def test_count_parameters(model):
    assert count_parameters(model) == sum(p.numel() for p in model.parameters())
    frozen = small_model()
    for p in frozen.features.parameters():
        p.requires_grad_(False)
    backbone = sum(p.numel() for p in frozen.features.parameters())
    assert count_parameters(frozen) == count_parameters(model) - backbone


def test_config_errors():
    with pytest.raises(ConfigError):
        MoodClassifier(0)
    with pytest.raises(ConfigError):
        MoodClassifier(3, hidden=30, attention_heads=4, width_mult=WIDTH)


# ------------------------------------------------------------------ pretrained weights
def save_torchvision_state(path, width_mult: float = 1.0, seed: int = 123) -> dict:
    torch.manual_seed(seed)
    state = torchvision.models.mobilenet_v2(weights=None, width_mult=width_mult).state_dict()
    torch.save(state, path)
    return state


def assert_backbone_equals(model: MoodClassifier, state: dict) -> None:
    own = model.features.state_dict()
    keys = [k for k in state if k.startswith("features.")]
    assert len(keys) == len(own)
    for key in keys:
        torch.testing.assert_close(own[key[len("features.") :]], state[key], atol=0, rtol=0)


def test_pretrained_from_path(tmp_path):
    f = tmp_path / "mnv2.pth"
    state = save_torchvision_state(f, width_mult=WIDTH)
    m = small_model(pretrained=str(f))
    assert_backbone_equals(m, state)
    # A path object works too, and random init differs from the file.
    m2 = small_model(pretrained=f)
    assert_backbone_equals(m2, state)
    fresh = small_model()
    assert not torch.equal(fresh.features[0][0].weight, m.features[0][0].weight)


def test_pretrained_width_mismatch_is_checkpoint_error(tmp_path):
    f = tmp_path / "mnv2_full.pth"
    save_torchvision_state(f, width_mult=1.0)
    with pytest.raises(CheckpointError, match="mnv2_full.pth"):
        small_model(pretrained=str(f))


def test_pretrained_missing_path(tmp_path):
    f = tmp_path / "nope.pth"
    with pytest.raises(CheckpointError, match="nope.pth"):
        small_model(pretrained=str(f))


def test_pretrained_truncated_file(tmp_path):
    f = tmp_path / "full.pth"
    save_torchvision_state(f, width_mult=WIDTH)
    bad = tmp_path / "truncated.pth"
    bad.write_bytes(f.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated.pth"):
        small_model(pretrained=str(bad))


def test_pretrained_not_a_state_dict(tmp_path):
    f = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), f)
    with pytest.raises(CheckpointError, match="tensor.pth"):
        small_model(pretrained=str(f))
    g = tmp_path / "other.pth"
    torch.save({"encoder.weight": torch.zeros(3)}, g)
    with pytest.raises(CheckpointError, match="other.pth"):
        small_model(pretrained=str(g))


@pytest.fixture
def hub_dir(tmp_path):
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield tmp_path / "hub"
    torch.hub.set_dir(old)


def test_imagenet_missing_then_present(hub_dir):
    expected = hub_dir / "checkpoints" / "mobilenet_v2-b0353104.pth"
    assert imagenet_weights_path() == expected
    with pytest.raises(CheckpointError) as info:
        MoodClassifier(N_CLASSES, chunk_frames=CHUNK, pretrained="imagenet")
    message = str(info.value)
    assert str(expected) in message
    assert "download" in message and "classifier.pretrained" in message

    expected.parent.mkdir(parents=True)
    state = save_torchvision_state(expected, width_mult=1.0)
    m = MoodClassifier(N_CLASSES, chunk_frames=CHUNK, pretrained="imagenet")
    assert_backbone_equals(m, state)


def test_imagenet_needs_width_one(hub_dir):
    with pytest.raises(ConfigError, match="width_mult"):
        small_model(pretrained="imagenet")


# ------------------------------------------------------------------ training sanity
def test_tiny_overfit():
    m = small_model(attention_layers=1, ffn=256)
    m.train()
    x = batch(4, 1, seed=5)
    y = torch.tensor(
        [[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0], [1, 1, 0, 0, 0]], dtype=torch.float32
    )
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = m.loss(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # Train-mode losses (dropout on, batch statistics): eval mode would use BatchNorm running
    # statistics that lag behind after so few steps.
    final = sum(losses[-5:]) / 5
    assert final < 0.5 * losses[0], losses
