"""Train the three shipped models from scratch and write them to ``data/``.

    python bench/train_models.py [--models tinycnn-gap ...] [--out-dir data] [--force]

Each model is trained by the ``numpy-gradcam train`` command (so its model card records the exact
command that reproduces it) with the settings in ``CONFIG`` below, chosen to fit about ten
minutes per model on a 2-core machine. The time per model is printed at the end.

BLAS threads: the small matrix products of these models run faster on one OpenBLAS thread than
on two when another process competes for the cores (measured: about 2x), so this script sets
``OPENBLAS_NUM_THREADS=1`` (and the other libraries' equivalents) before NumPy is imported,
unless ``--threads`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Per model: epochs and number of training images (all else: the command's defaults, seed 0).
CONFIG = {
    "tinycnn-gap": {"epochs": 6, "n_train": 16000, "batch_size": 32},
    # lr 3e-3 without warm-up kills fc1's ReLUs at once (the loss stays at ln 4 = 1.386).
    "tinycnn-fc": {"epochs": 6, "n_train": 16000, "batch_size": 32, "lr": 1e-3, "warmup": 500},
    # 3 epochs: biased split 0.68, cue swapped 0.04; 6 epochs: 0.90 and 0.28 (shapes alone: 0.69)
    "tinycnn-biased": {"epochs": 6, "n_train": 8000, "batch_size": 32},
}


def command(name, out_dir, force, seed=0):
    cfg = CONFIG[name]
    argv = ["train", "--model", name, "--epochs", str(cfg["epochs"]),
            "--n-train", str(cfg["n_train"]), "--seed", str(seed),
            "--batch-size", str(cfg["batch_size"]), "--out", str(out_dir / f"{name}.npz")]
    if "lr" in cfg:
        argv += ["--lr", str(cfg["lr"])]
    if "warmup" in cfg:
        argv += ["--warmup", str(cfg["warmup"])]
    return argv + (["--force"] if force else [])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(CONFIG), choices=list(CONFIG))
    parser.add_argument("--out-dir", type=Path, default=ROOT / "data",
                        help="where NAME.npz and NAME.json go (default: the checkout's data/)")
    parser.add_argument("--force", action="store_true", help="replace existing files")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = parser.parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    sys.path.insert(0, str(ROOT))
    from numpy_gradcam.cli import main as cli_main  # after the thread settings: imports NumPy

    # Run from the checkout's root, so that the model cards record "--out data/NAME.npz".
    out_dir = Path(os.path.relpath(args.out_dir.resolve(), ROOT))
    os.chdir(ROOT)
    out_dir.mkdir(parents=True, exist_ok=True)
    times = {}
    for name in args.models:
        argv_ = command(name, out_dir, args.force)
        print("$ numpy-gradcam " + " ".join(argv_), flush=True)
        start = time.perf_counter()
        code = cli_main(argv_)
        times[name] = time.perf_counter() - start
        if code != 0:
            print(f"{name}: failed with exit code {code}", flush=True)
            return code
        print(f"{name}: {times[name]:.0f} s in all (data, training, evaluation, writing)\n",
              flush=True)
    for name, seconds in times.items():
        print(f"{name:16s} {seconds / 60:5.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
