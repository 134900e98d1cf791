"""Name the device a page ran on, so that every timing in the book says where it was measured."""

import os
import platform

import torch

# How a page of each language names the processor; a GPU is named by its maker's model name.
CPU_NAMES = {
    "en": "CPU ({machine}, {cores} cores)",
    "zh": "CPU（{machine}，{cores} 核）",
}


def describe_device(device: torch.device | str, language: str = "en") -> str:
    """`NVIDIA H100 80GB HBM3` for a GPU; `CPU (x86_64, 2 cores)` for the processor (in English)."""
    if language not in CPU_NAMES:
        raise ValueError(
            f"no device wording for language {language!r}; add it to "
            f"grubook.device.CPU_NAMES (known: {', '.join(CPU_NAMES)})"
        )
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return CPU_NAMES[language].format(machine=platform.machine(), cores=os.cpu_count())
