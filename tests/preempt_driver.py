"""A real training process for tests/test_preempt.py: ``python preempt_driver.py MODEL DIR LOG``.

Trains ``MODEL`` (classifier, samplernn or ddsp) at test size on data made in ``DIR``, through
``augeval.logs.run_logged`` like the workflow scripts, writing ``DIR/run/checkpoint.pt``. After
every optimiser step it prints ``step N`` (flushed) and sleeps briefly, so the test can signal it
mid-training
(``AUGEVAL_TEST_STEP_SLEEP`` seconds, default 0.03).
"""

import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from augeval.logs import run_logged  # noqa: E402

STEP_SLEEP_S = float(os.environ.get("AUGEVAL_TEST_STEP_SLEEP", "0.03"))
SEED = 3


def report_step(n: int) -> None:
    print(f"step {n}", flush=True)
    time.sleep(STEP_SLEEP_S)


def main(model: str, root: Path, on_step=report_step) -> None:
    torch.set_num_threads(1)
    root.mkdir(parents=True, exist_ok=True)
    counter = [0]

    def progress(*_):
        counter[0] += 1
        on_step(counter[0])

    checkpoint = root / "run" / "checkpoint.pt"
    if model == "classifier":
        from helpers import CLASSES, N_MELS, fake_cache
        from helpers import CLASSIFIER_CFG as CFG

        from augeval.classifier.train import train_classifier
        from augeval.features import MelStore

        df, indexes = fake_cache(root)
        store = MelStore(indexes)
        train_classifier(df, df, CLASSES, store, CFG, N_MELS, SEED, checkpoint, on_step=progress)
    elif model == "samplernn":
        from test_samplernn import TINY, sine_manifest

        from augeval.generators.base import FitJob
        from augeval.generators.samplernn import SampleRNNGenerator

        train = sine_manifest(root / "train", 2, seconds=1.0, seed=0)
        validation = sine_manifest(root / "val", 1, seconds=1.0, seed=1)
        cfg = TINY | {"dim": 16, "steps": 40, "val_every": 20, "batch_size": 4}
        hooks = {"on_step": progress}
        job = FitJob("samplernn", "emotion", cfg, train, validation, checkpoint, SEED, hooks=hooks)
        SampleRNNGenerator().fit(job)
    elif model == "ddsp":
        import pandas as pd
        import soundfile as sf
        from test_ddsp import CFG, F0S, SR, tone

        from augeval.generators.base import FitJob
        from augeval.generators.ddsp import DDSPGenerator
        from augeval.generators.ddsp_features import cache_features

        rows = []
        for i, f0 in enumerate(F0S[:3]):
            path = root / "audio" / f"t{i}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, tone(f0, seed=i), SR)
            rows.append((f"t{i}", str(path), 1.5, "sad", "real"))
        df = pd.DataFrame(rows, columns=["track_id", "path", "duration_s", "labels", "source"])
        cfg = CFG | {"epochs": 4, "batch_size": 1, "excerpts_per_track": 2, "hidden": 16}
        train, val = df.iloc[:2].reset_index(drop=True), df.iloc[2:].reset_index(drop=True)
        cache_features(train, cfg, root / "train.npz")
        cache_features(val, cfg, root / "validation.npz")
        job = FitJob(
            "ddsp",
            "emotion",
            cfg,
            train,
            val,
            checkpoint,
            SEED,
            features={"train": root / "train.npz", "validation": root / "validation.npz"},
            hooks={"on_step": progress},
        )
        DDSPGenerator().fit(job)
    else:
        raise SystemExit(f"unknown model {model}")


if __name__ == "__main__":
    name, workdir, log_file = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    run_logged(log_file, lambda: main(name, workdir))
