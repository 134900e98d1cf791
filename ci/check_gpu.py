"""Fail at once unless a CUDA GPU is visible: the publishing workflow must not build on a CPU.

    python3 ci/check_gpu.py --driver-only   # before installing anything: the driver sees a GPU
    .venv/bin/python ci/check_gpu.py        # after installing: and PyTorch can use it

The publishing workflow runs it twice: the first call costs nothing and catches a runner without a
GPU (or without its driver) before minutes of installation; the second catches a CPU-only PyTorch
wheel or a driver too old for the wheel's CUDA version.
"""

import argparse
import shutil
import subprocess
import sys


def check_driver() -> None:
    if shutil.which("nvidia-smi") is None:
        sys.exit("nvidia-smi is not on PATH: this runner has no NVIDIA driver (see ci/gpu-runner.md)")
    listing = subprocess.run(["nvidia-smi", "--list-gpus"], check=False, capture_output=True, text=True)
    if listing.returncode != 0 or "GPU" not in listing.stdout:
        sys.exit(f"nvidia-smi sees no GPU (exit {listing.returncode}):\n{listing.stdout}{listing.stderr}")
    print(listing.stdout.strip())
    subprocess.run(["nvidia-smi"], check=False)  # driver and CUDA versions, for the log


def check_torch() -> None:
    import torch

    if not torch.cuda.is_available():
        sys.exit(
            f"torch {torch.__version__} (built for CUDA {torch.version.cuda}) cannot use a GPU: "
            "a CPU-only wheel, or a driver older than the wheel's CUDA version"
        )
    names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}: {', '.join(names)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--driver-only", action="store_true", help="check nvidia-smi only (no torch needed)")
    args = parser.parse_args()
    check_driver()
    if not args.driver_only:
        check_torch()


if __name__ == "__main__":
    main()
