"""Name the device a page ran on, so that every timing in the book says where it was measured."""

import os
import platform

import torch


def describe_device(device: torch.device | str) -> str:
    """`NVIDIA H100 80GB HBM3` for a GPU; `CPU (x86_64, 2 cores)` for the processor."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.machine()}, {os.cpu_count()} cores)"
