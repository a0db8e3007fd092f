#!/usr/bin/env python3
"""A stand-in outside generator for augeval's ``kind: command`` (the README's worked example).

It reads the prime list augeval writes (TSV: clip_id, prime_path, out_path, labels) and writes one
clip per row: the prime followed by a decaying echo of itself, ``--seconds`` long at
``--sample-rate``. ``--exit-code`` makes it crash after the first clip (for tests).
"""

import argparse
import csv
import sys

import numpy as np
import soundfile as sf


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--primes", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--sample-rate", type=int, required=True)
    parser.add_argument("--exit-code", type=int, default=0)
    args = parser.parse_args()
    with open(args.primes, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    n = int(round(args.seconds * args.sample_rate))
    for k, row in enumerate(rows):
        prime, sr = sf.read(row["prime_path"], dtype="float32")
        if sr != args.sample_rate:  # a real generator would resample; the toy just reuses it
            pass
        reps = -(-n // len(prime))
        decay = np.repeat(0.7 ** np.arange(reps), len(prime))[: reps * len(prime)]
        y = (np.tile(prime, reps) * decay)[:n]
        sf.write(row["out_path"], y, args.sample_rate)
        print(f"wrote {row['clip_id']} ({row['labels']})")
        if args.exit_code and k == 0:
            print("toy generator: simulated crash", file=sys.stderr)
            return args.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
