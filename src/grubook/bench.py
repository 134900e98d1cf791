"""Chapter 7's GRU implementations, from a Python loop to `nn.GRU` and minGRU, and the benchmark
that checks and times them.

    python -m grubook.bench            # the full sweep: 2 to 3 minutes on a 2-core CPU
    python -m grubook.bench --quick    # tiny sizes, a few seconds: checks that everything runs
    make bench                         # the full sweep

The chapter `chapters/07-fast-gru` shows the source of every implementation below and runs a smaller
sweep with the same functions; this command runs the full sweep from the command line. Every
implementation is first checked against its reference (outputs and gradients), then timed forward
plus backward on random data. It prints one row per implementation and setting and writes the same
rows to a CSV file (`--csv`, default `_build/bench/bench-<device>.csv`). Columns:

- `experiment`: `gru_layer` (the loop-to-kernel steps, checked against `nn.GRU`) or `min_gru`
  (`nn.GRU`, minGRU run step by step, minGRU by parallel scan, checked against each other);
- `device`, `threads`, `batch_size`, `seq_len`, `input_size`, `hidden_size`, `parameters`;
- `seconds`: one forward and backward pass, the fastest of several interleaved rounds;
- `tokens_per_s`: `batch_size * seq_len / seconds`; `ratio_to_nn_gru`: tokens/s divided by the
  tokens/s of `nn.GRU` in the same setting (above 1: faster than `nn.GRU`);
- `peak_memory_mib`: on a GPU, `torch.cuda.max_memory_allocated` during one pass minus the memory
  allocated before it; on a CPU `n/a` (PyTorch counts no CPU allocations, and the resident set size
  of a process is too coarse for a pass this short);
- `max_rel_diff`: the largest difference from the reference in outputs and gradients, relative to
  the reference's largest entry; `equivalent`: whether it is within tolerance (a variant that is
  not stops the run with an error);
- `compile_s`: for compiled variants, the seconds from calling the compiler to the end of the first
  two passes (which compile and optimise).

On a CPU the timings use one thread (`--threads`, 0 for PyTorch's default): on a shared machine a
second thread waits for a busy core, which makes timings both slower and noisier.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "MinGRU",
    "compile_variant",
    "fused_weights",
    "g",
    "gru_fused_gates",
    "gru_hoisted_inputs",
    "gru_layer_rows",
    "gru_loop",
    "gru_variant_difference",
    "log_g",
    "main",
    "min_gru_rows",
    "min_gru_scan",
    "min_gru_sequential",
    "print_rows",
    "relative_difference",
    "run",
    "scan_difference",
    "script",
    "separate_weights",
    "time_steps",
    "write_csv",
]

COLUMNS = [
    "experiment",
    "implementation",
    "device",
    "threads",
    "batch_size",
    "seq_len",
    "input_size",
    "hidden_size",
    "parameters",
    "seconds",
    "tokens_per_s",
    "ratio_to_nn_gru",
    "peak_memory_mib",
    "max_rel_diff",
    "equivalent",
    "compile_s",
]


# --- The GRU layer, step by step towards nn.GRU ---------------------------------------------------
# All variants compute nn.GRU's form of the GRU (reset gate AFTER the hidden product, two biases), so
# that each can be checked against nn.GRU. They take time-major inputs X (T, n, d) and a state H
# (n, h) and return all states (T, n, h) and the last one, like nn.GRU without its leading layer axis.


def separate_weights(gru: nn.GRU) -> tuple[Tensor, ...]:
    """nn.GRU's weights as twelve tensors in the book's layout (X_t @ W_xr, ...): for the reset gate,
    the update gate and the candidate in turn, W_x? (d, h), W_h? (h, h), b_x? and b_h? (h)."""
    W_x, W_h, b_x, b_h = fused_weights(gru)
    pieces = [t.chunk(3, dim=-1) for t in (W_x, W_h, b_x, b_h)]
    return tuple(
        piece[gate].detach().clone().requires_grad_()  # order: r, z, candidate h
        for gate in range(3)
        for piece in pieces
    )


def fused_weights(gru: nn.GRU) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """nn.GRU's weights as four tensors: W_x (d, 3h), W_h (h, 3h), b_x and b_h (3h), gates r, z, h."""
    tensors = (gru.weight_ih_l0.t(), gru.weight_hh_l0.t(), gru.bias_ih_l0, gru.bias_hh_l0)
    return tuple(t.detach().contiguous().requires_grad_() for t in tensors)


def gru_loop(X: Tensor, H: Tensor, params: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
    """(a) The plain loop: two products per gate and step, as in chapter 4, but reset after."""
    (W_xr, W_hr, b_xr, b_hr, W_xz, W_hz, b_xz, b_hz, W_xh, W_hh, b_xh, b_hh) = params
    outputs = []
    for X_t in X:
        R = torch.sigmoid(X_t @ W_xr + b_xr + H @ W_hr + b_hr)
        Z = torch.sigmoid(X_t @ W_xz + b_xz + H @ W_hz + b_hz)
        H_tilde = torch.tanh(X_t @ W_xh + b_xh + R * (H @ W_hh + b_hh))
        H = Z * H + (1 - Z) * H_tilde
        outputs.append(H)
    return torch.stack(outputs), H


def gru_fused_gates(X: Tensor, H: Tensor, params: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
    """(b) All three gates in one product with the input and one with the state, per step."""
    W_x, W_h, b_x, b_h = params
    outputs = []
    for X_t in X:
        x_r, x_z, x_h = (X_t @ W_x + b_x).chunk(3, dim=1)
        h_r, h_z, h_h = (H @ W_h + b_h).chunk(3, dim=1)
        R, Z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        H_tilde = torch.tanh(x_h + R * h_h)
        H = Z * H + (1 - Z) * H_tilde
        outputs.append(H)
    return torch.stack(outputs), H


def gru_hoisted_inputs(
    X: Tensor, H: Tensor, params: tuple[Tensor, Tensor, Tensor, Tensor]
) -> tuple[Tensor, Tensor]:
    """(c) The input products of all time steps in one product before the loop; one per step left."""
    W_x, W_h, b_x, b_h = params
    T, n, d = X.shape
    XW = (X.reshape(T * n, d) @ W_x + b_x).reshape(T, n, -1)  # no step depends on H for this
    outputs = []
    for XW_t in XW.unbind(0):  # one view per step (and one gradient, stacked, on the way back)
        x_r, x_z, x_h = XW_t.chunk(3, dim=1)
        h_r, h_z, h_h = (H @ W_h + b_h).chunk(3, dim=1)
        R, Z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        H_tilde = torch.tanh(x_h + R * h_h)
        H = Z * H + (1 - Z) * H_tilde
        outputs.append(H)
    return torch.stack(outputs), H


def script(function: Callable) -> Callable:
    """(d) `function` compiled by TorchScript (the loop runs in C++, without Python)."""
    with warnings.catch_warnings():  # newer PyTorch versions announce TorchScript's retirement
        warnings.simplefilter("ignore")
        return torch.jit.script(function)


# --- minGRU (Feng et al. 2024) --------------------------------------------------------------------
# z_t = sigmoid(k_t), h~_t = g(c_t), h_t = (1 - z_t) * h_{t-1} + z_t * h~_t, where k_t and c_t are two
# linear functions of x_t alone. Note the update gate's direction: z near 1 WRITES the candidate here,
# while the book's GRU (and nn.GRU) keeps the old state when z is near 1.


def g(x: Tensor) -> Tensor:
    """Keeps the candidate positive (so that it has a logarithm): x + 1/2 for x >= 0, sigmoid below."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: Tensor) -> Tensor:
    """log(g(x)), computed without forming g(x) for negative x."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def min_gru_sequential(K: Tensor, C: Tensor, H: Tensor | None = None) -> Tensor:
    """All states (T, n, h) from gate logits K and candidate pre-activations C, one step at a time."""
    Z, H_tilde = torch.sigmoid(K), g(C)
    H = torch.zeros_like(Z[0]) if H is None else H
    outputs = []
    for Z_t, H_tilde_t in zip(Z, H_tilde):
        H = (1 - Z_t) * H + Z_t * H_tilde_t
        outputs.append(H)
    return torch.stack(outputs)


def min_gru_scan(K: Tensor, C: Tensor, H: Tensor | None = None) -> Tensor:
    """The same states by a parallel scan in log space (Heinsen 2023): no loop over time.

    h_t = a_t h_{t-1} + b_t with a_t = 1 - z_t and b_t = z_t h~_t, all positive, so
    log h_t = a*_t + logcumsumexp_{s<=t}(log b_s - a*_s), where a*_t = log a_1 + ... + log a_t.
    A positive initial state H enters as one extra step with a = 1 and b = H.
    """
    log_a = -F.softplus(K)  # log(1 - sigmoid(k))
    log_b = -F.softplus(-K) + log_g(C)  # log(sigmoid(k)) + log(g(c))
    if H is not None:
        log_a = torch.cat([torch.zeros_like(log_a[:1]), log_a])
        log_b = torch.cat([H.log().unsqueeze(0), log_b])
    a_star = torch.cumsum(log_a, dim=0)
    H_all = torch.exp(a_star + torch.logcumsumexp(log_b - a_star, dim=0))
    return H_all if H is None else H_all[1:]


class MinGRU(nn.Module):
    """Stacked minGRU layers, time-major like nn.GRU: X (T, n, d) -> (last layer's states (T, n, h),
    every layer's last state (num_layers, n, h)).

    `parallel` picks the scan or the step-by-step loop; both compute the same function. The state
    and the attributes below follow nn.GRU, so that `grubook.RNNModel` can wrap either.
    """

    batch_first, bidirectional = False, False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, parallel: bool = True):
        super().__init__()
        self.input_size, self.hidden_size, self.parallel = input_size, hidden_size, parallel
        self.layers = nn.ModuleList(  # each: gate logits and candidates in one product
            nn.Linear(input_size if i == 0 else hidden_size, 2 * hidden_size) for i in range(num_layers)
        )

    def forward(self, X: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        recurrence = min_gru_scan if self.parallel else min_gru_sequential
        last_states = []
        for i, layer in enumerate(self.layers):
            K, C = layer(X).chunk(2, dim=-1)  # every step at once: nothing here depends on H
            X = recurrence(K, C, None if state is None else state[i])
            last_states.append(X[-1])
        return X, torch.stack(last_states)


# --- Timing ---------------------------------------------------------------------------------------


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(
    steps: dict[str, Callable[[], object]], device, rounds: int = 5, repeats: int = 3, warmup: int = 2
) -> dict[str, float]:
    """Seconds per call of each step: the fastest of `rounds` rounds of `repeats` calls.

    The rounds visit the steps in turn, so a burst of load on a shared machine slows every step
    rather than one; taking the fastest round keeps what the step costs, not what the machine did.
    """
    device = torch.device(device)
    clock = clock_for(device)
    for step in steps.values():  # warm up: allocator, lazy initialisation, compilers' profiling
        for _ in range(warmup):
            step()
    best = {name: float("inf") for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            _synchronize(device)
            start = clock()
            for _ in range(repeats):
                step()
            _synchronize(device)
            best[name] = min(best[name], (clock() - start) / repeats)
    return best


def clock_for(device) -> Callable[[], float]:
    """The clock to time a step with: on a CPU the processor time of this process, which leaves out
    the moments when other programs had the core; on a GPU the wall clock (the GPU works while the
    process waits)."""
    return time.process_time if torch.device(device).type == "cpu" else time.perf_counter


def _peak_memory_mib(step: Callable[[], object], device: torch.device) -> float | str:
    if device.type != "cuda":
        return "n/a"
    _synchronize(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    step()
    _synchronize(device)
    return (torch.cuda.max_memory_allocated(device) - before) / 2**20


class _Threads:
    """On a CPU, run the block with `threads` threads (0 or None: leave PyTorch's setting)."""

    def __init__(self, threads: int | None, device: torch.device):
        self.threads = threads if threads and device.type == "cpu" else None

    def __enter__(self) -> int:
        self.saved = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        return torch.get_num_threads()

    def __exit__(self, *exc) -> None:
        torch.set_num_threads(self.saved)


def _forward_backward(layer: Callable[[], tuple[Tensor, ...]], leaves: list[Tensor]) -> Callable[[], None]:
    """One pass: run the layer, backpropagate the sum of all its states, drop the gradients."""

    def step():
        for leaf in leaves:
            leaf.grad = None
        layer()[0].sum().backward()

    return step


def relative_difference(pairs) -> float:
    """The largest difference between paired tensors, relative to the largest entry of the second."""
    return max(float((a.detach() - b.detach()).abs().max() / b.detach().abs().max()) for a, b in pairs)


def _row(
    experiment,
    implementation,
    device,
    threads,
    batch_size,
    seq_len,
    input_size,
    hidden_size,
    parameters,
    seconds,
    reference_seconds,
    memory,
    difference,
    equivalent,
    compile_s="",
) -> dict:
    return {
        "experiment": experiment,
        "implementation": implementation,
        "device": device.type,
        "threads": threads if device.type == "cpu" else "",
        "batch_size": batch_size,
        "seq_len": seq_len,
        "input_size": input_size,
        "hidden_size": hidden_size,
        "parameters": parameters,
        "seconds": seconds,
        "tokens_per_s": batch_size * seq_len / seconds,
        "ratio_to_nn_gru": reference_seconds / seconds,
        "peak_memory_mib": memory,
        "max_rel_diff": difference,
        "equivalent": equivalent,
        "compile_s": compile_s,
    }


# --- The two experiments ----------------------------------------------------------------------------

GRU_VARIANTS = {  # implementation name -> (function, how it takes nn.GRU's weights)
    "loop": (gru_loop, separate_weights),
    "fused_gates": (gru_fused_gates, fused_weights),
    "hoisted_inputs": (gru_hoisted_inputs, fused_weights),
}
GRU_TOLERANCE = 1e-4  # float32, relative to the largest entry of each tensor
SCAN_TOLERANCE = 1e-2  # float32 over thousands of steps: the log-space scan loses digits (see chapter)


def compile_variant(compiler: str) -> tuple[str, Callable]:
    """`gru_hoisted_inputs` compiled: "script" (TorchScript) or "compile" (torch.compile)."""
    if compiler == "script":
        return "torchscript", script(gru_hoisted_inputs)
    if compiler == "compile":
        return "torch_compile", torch.compile(gru_hoisted_inputs)
    raise ValueError(f"unknown compiler {compiler!r}: use 'script' or 'compile'")


class _FullFloat32:
    """On a GPU, compute float32 products in full float32 inside the block: by default cuDNN may use
    TF32, whose products keep about three decimal digits, and a check would see that instead."""

    def __enter__(self) -> None:
        self.saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False

    def __exit__(self, *exc) -> None:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = self.saved


def gru_variant_difference(
    function: Callable, weights_of: Callable, gru: nn.GRU, X: Tensor, H0: Tensor
) -> float:
    """How far `function` is from `gru` (nn.GRU): outputs, last state and every weight's gradient.

    Computed in full float32 (no TF32 on a GPU); the timings use PyTorch's defaults."""
    with _FullFloat32():
        return _gru_variant_difference(function, weights_of, gru, X, H0)


def _gru_variant_difference(function, weights_of, gru, X, H0) -> float:
    gru.zero_grad()
    Y_ref, H_ref = gru(X, H0.unsqueeze(0))
    Y_ref.sum().backward()
    reference = [
        Y_ref,
        H_ref[0],
        gru.weight_ih_l0.grad.t(),
        gru.weight_hh_l0.grad.t(),
        gru.bias_ih_l0.grad,
        gru.bias_hh_l0.grad,
    ]
    weights = weights_of(gru)
    Y, H = function(X, H0, weights)
    Y.sum().backward()
    grads = [w.grad for w in weights]
    if len(grads) == 12:  # separate weights, ordered gate by gate: back to the fused layout
        grads = [torch.cat(grads[k::4], dim=-1) for k in range(4)]
    return relative_difference(zip([Y, H] + grads, reference))


def gru_layer_rows(
    device,
    batch_size: int = 32,
    seq_len: int = 35,
    input_size: int = 64,
    hidden_size: int = 256,
    rounds: int = 5,
    repeats: int = 3,
    threads: int | None = 1,
    compilers: tuple[str, ...] = ("script",),
    seed: int = 0,
) -> list[dict]:
    """Check each variant against nn.GRU (outputs, state, all gradients), then time them all.

    `compilers` adds compiled copies of `gru_hoisted_inputs` (see `compile_variant`). Raises
    AssertionError if a variant does not match nn.GRU.
    """
    device = torch.device(device)
    torch.manual_seed(seed)
    gru = nn.GRU(input_size, hidden_size).to(device)
    X = torch.randn(seq_len, batch_size, input_size, device=device)
    H0 = torch.randn(batch_size, hidden_size, device=device)
    variants, compile_seconds = dict(GRU_VARIANTS), {}
    steps, differences = {}, {}
    with _Threads(threads, device) as used_threads:
        for compiler in compilers:
            start = time.perf_counter()
            name, compiled = compile_variant(compiler)
            weights = fused_weights(gru)
            step = _forward_backward(lambda f=compiled, w=weights: f(X, H0, w), list(weights))
            step(), step()  # the first passes compile and optimise
            _synchronize(device)
            compile_seconds[name] = time.perf_counter() - start
            variants[name] = (compiled, fused_weights)
        for name, (function, weights_of) in variants.items():
            differences[name] = gru_variant_difference(function, weights_of, gru, X, H0)
            if not differences[name] <= GRU_TOLERANCE:
                raise AssertionError(f"{name} differs from nn.GRU by {differences[name]:g} (relative)")
            weights = weights_of(gru)
            steps[name] = _forward_backward(lambda f=function, w=weights: f(X, H0, w), list(weights))
        steps["nn.GRU"] = _forward_backward(lambda: gru(X, H0.unsqueeze(0)), list(gru.parameters()))
        differences["nn.GRU"] = 0.0
        seconds = time_steps(steps, device, rounds, repeats)
        parameters = sum(p.numel() for p in gru.parameters())
        return [
            _row(
                "gru_layer",
                name,
                device,
                used_threads,
                batch_size,
                seq_len,
                input_size,
                hidden_size,
                parameters,
                seconds[name],
                seconds["nn.GRU"],
                _peak_memory_mib(step, device),
                differences[name],
                True,
                compile_seconds.get(name, ""),
            )
            for name, step in steps.items()
        ]


def scan_difference(sequential: MinGRU, parallel: MinGRU, X: Tensor) -> float:
    """How far the scan is from the loop: all states and every parameter's gradient."""
    results = []
    for layer in (sequential, parallel):
        layer.zero_grad()
        states, _ = layer(X)
        states.sum().backward()
        results.append([states] + [p.grad for p in layer.parameters()])
    return relative_difference(zip(results[1], results[0]))


def min_gru_rows(
    device,
    lengths=(64, 512, 4096),
    batch_size: int = 8,
    input_size: int = 64,
    hidden_size: int = 128,
    rounds: int = 3,
    repeats: int = 1,
    threads: int | None = 1,
    seed: int = 0,
) -> list[dict]:
    """Time nn.GRU, minGRU step by step and minGRU by scan, one pass each, at each length.

    The two minGRUs share their weights, and the scan is checked against the loop (states and
    gradients) before anything is timed; its row's `max_rel_diff` is that difference.
    """
    device = torch.device(device)
    rows = []
    with _Threads(threads, device) as used_threads:
        for seq_len in lengths:
            torch.manual_seed(seed)
            gru = nn.GRU(input_size, hidden_size).to(device)
            sequential = MinGRU(input_size, hidden_size, parallel=False).to(device)
            parallel = MinGRU(input_size, hidden_size, parallel=True).to(device)
            parallel.load_state_dict(sequential.state_dict())
            X = torch.randn(seq_len, batch_size, input_size, device=device)
            difference = scan_difference(sequential, parallel, X)
            if not difference <= SCAN_TOLERANCE:
                raise AssertionError(
                    f"the scan differs from the loop by {difference:g} (relative) at length {seq_len}"
                )
            layers = {"nn.GRU": gru, "min_gru_sequential": sequential, "min_gru_scan": parallel}
            steps = {
                name: _forward_backward(lambda layer=layer, X=X: layer(X), list(layer.parameters()))
                for name, layer in layers.items()
            }
            seconds = time_steps(steps, device, rounds, repeats, warmup=1)
            for name, layer in layers.items():
                rows.append(
                    _row(
                        "min_gru",
                        name,
                        device,
                        used_threads,
                        batch_size,
                        seq_len,
                        input_size,
                        hidden_size,
                        sum(p.numel() for p in layer.parameters()),
                        seconds[name],
                        seconds["nn.GRU"],
                        _peak_memory_mib(steps[name], device),
                        difference if name == "min_gru_scan" else 0.0,
                        True,
                    )
                )
    return rows


# --- The command line -----------------------------------------------------------------------------

FULL = {
    "gru_layer": [
        dict(batch_size=32, seq_len=35, input_size=64, hidden_size=256),
        dict(batch_size=32, seq_len=35, input_size=64, hidden_size=32),
        dict(batch_size=128, seq_len=35, input_size=64, hidden_size=512),
    ],
    "min_gru": dict(
        lengths=(64, 128, 256, 512, 1024, 2048, 4096), batch_size=8, input_size=64, hidden_size=128
    ),
}
QUICK = {
    "gru_layer": [dict(batch_size=4, seq_len=6, input_size=8, hidden_size=16)],
    "min_gru": dict(lengths=(16, 64), batch_size=2, input_size=8, hidden_size=16),
}


def run(
    quick: bool = False,
    device: str = "auto",
    threads: int = 1,
    compile_too: bool = False,
    report: Callable[[list[dict]], None] | None = None,
) -> list[dict]:
    """Every row of the sweep (`quick`: tiny sizes and one round, a few seconds). `report` is called
    with the rows of each setting as soon as they are measured."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    sweep = QUICK if quick else FULL
    rounds = {"rounds": 1, "repeats": 1} if quick else {}
    compilers = ("script", "compile") if compile_too else ("script",)
    measurements = [
        lambda setting=setting: gru_layer_rows(
            device, **setting, **rounds, threads=threads, compilers=compilers
        )
        for setting in sweep["gru_layer"]
    ]
    measurements.append(lambda: min_gru_rows(device, **sweep["min_gru"], **rounds, threads=threads))
    rows = []
    for measure in measurements:
        new_rows = measure()
        rows += new_rows
        if report is not None:
            report(new_rows)
    return rows


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


SHOWN = [
    "experiment",
    "implementation",
    "device",
    "batch_size",
    "seq_len",
    "hidden_size",
    "tokens_per_s",
    "ratio_to_nn_gru",
    "peak_memory_mib",
    "equivalent",
    "compile_s",
]
WIDTHS = [10, 18, 6, 10, 7, 11, 12, 15, 15, 10, 9]


def print_rows(rows: list[dict], header: bool = True, file=None) -> None:
    """The rows as a table, one line each (the columns that fit; the CSV file has them all)."""
    lines = ([SHOWN] if header else []) + [[_format(row[c]) for c in SHOWN] for row in rows]
    for line in lines:
        print(
            "  ".join(cell.rjust(width) for cell, width in zip(line, WIDTHS)),
            file=file or sys.stdout,
            flush=True,
        )


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grubook.bench",
        description="Check and time GRU implementations, from a Python loop to nn.GRU, and minGRU "
        "step by step against its parallel scan. Prints one row per implementation and "
        "setting and writes them to a CSV file. The full sweep takes 2 to 3 minutes "
        "on a 2-core CPU.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round: a few seconds")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: cuda if available)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads while timing (default 1; 0 keeps PyTorch's default)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also time torch.compile (slow to compile on a CPU: a minute or more)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="where to write the rows (default _build/bench/bench-<device>.csv)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    printed = []

    def report(new_rows):
        print_rows(new_rows, header=not printed)
        printed.extend(new_rows)

    rows = run(args.quick, args.device, args.threads, args.compile, report)
    name = f"bench-{rows[0]['device']}{'-quick' if args.quick else ''}.csv"
    path = args.csv or Path("_build") / "bench" / name
    write_csv(rows, path)
    print(f"\n{len(rows)} rows written to {path} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
