r"""Deeper plain networks train worse; residual networks do not (He et al. 2016).

**Claim 1 (degradation).** A plain convolutional network made deeper, 20 -> 56 layers, reaches a
*higher training error* with the same training budget. This is not overfitting (it is the
training error) and not a lack of capacity: the 56-layer net contains the 20-layer one (set the
36 extra layers to the identity), so a better optimizer could match it. It is an optimization
problem of the deep stack.

**Claim 2 (residual learning removes it).** With shortcuts, each block computes
``x_{k+1} = relu(x_k + F_k(x_k))`` instead of ``x_{k+1} = relu(F_k(x_k))``, so the identity is
the default and a block only has to learn a correction. ResNet-56 then trains at least as well
as ResNet-20 (here: its final training error is at most ResNet-20's plus a small tolerance).

**Claim 3 (why: the product of block Jacobians).** Backpropagation through blocks
``k = l, ..., L-1`` multiplies their Jacobians ``J_k = dx_{k+1}/dx_k``:

    dL/dx_l = J_l^T J_{l+1}^T ... J_{L-1}^T dL/dx_L,
    ||dL/dx_l|| = ||dL/dx_L|| * prod_k gamma_k,    gamma_k = ||J_k^T g_{k+1}|| / ||g_{k+1}||.

*Plain:* ``J_k = D_k F_k'(x_k)`` (``D_k`` the ReLU mask, ``F_k'`` through conv, BatchNorm,
ReLU, conv, BatchNorm). Nothing ties ``gamma_k`` to 1. In a BatchNorm-ReLU stack at
initialisation it is consistently above 1: BatchNorm's backward projects out the batch mean and
the normalised direction and divides by the batch sigma, a net gain per layer (Yang et al.
2019, "A mean field theory of batch normalization"). So the norm changes *geometrically* with
depth, about ``gamma^(L-l)``: the gradient explodes toward the input (here gamma is about 1.3
per block, a factor of about 2,000 across the 27 blocks of plain-56).

*Residual:* ``J_k = D_k (I + F_k'(x_k))``, and the product expands into a sum over paths,

    prod_k (I + F_k') = I + sum_k F_k' + sum_{j<k} F_k' F_j' + ...,

whose identity term hands ``dL/dx_L`` to every block directly. BatchNorm keeps each branch's
output O(1) while the sum ``x_k`` accumulates variance over k blocks, so the branch's relative
size, and with it ``gamma_k - 1``, shrinks as k grows: the product grows polynomially in depth,
not exponentially (here a spread of about 15 across the 27 blocks of ResNet-56).

**What is measured.** (a) plain-20, plain-56, ResNet-20 and ResNet-56 (``chainrule.models``,
option-A shortcuts) train on Fashion-MNIST with one budget: same training subset, same image
size, same seed for initialisation and batch order, same optimizer (Adam, constant learning
rate), batch size and number of steps. The training error of each mini-batch (before its
update) is recorded; a net's *final training error* is the mean over the last
``tail_fraction`` of the steps. (b) At initialisation, on one batch in training mode, the norm
``||dL/d(block output)||`` of every residual or plain block (``autograd.grad`` of the
cross-entropy), and its spread across depth, ``max_k / min_k``.

Checks: plain-56's final training error exceeds plain-20's by a margin; ResNet-56's is at most
ResNet-20's plus a tolerance; ResNet-56's is below plain-56's by a margin; and the gradient-norm
spread of plain-56 is at least ``spread_factor`` times ResNet-56's. The full budget
(``FULL``) is 500 steps of batch 64 on 5,000 training images mean-pooled to 14 x 14 (the
pooling keeps the four nets within about 15 minutes on two CPU cores). The quick variant
(``QUICK``, for CI) trains 20 steps of batch 32 on 512 images pooled to 7 x 7; its training
checks use looser margins (marked ``quick``) but are the same comparisons, which still fail
when the nets do not show the effect.

Run: ``python -m chainrule.lab.resnet_degradation [--quick] [--out DIR] [--seed S]`` (on a
shared 2-core machine, ``OPENBLAS_NUM_THREADS=1`` makes the small GEMMs of these nets several
times faster). Writes ``results.json``, ``training_error.png`` and ``grad_norms.png``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from pathlib import Path

from ..backend import np
from ._checks import Check, at_least, at_most

__all__ = ["Budget", "FULL", "QUICK", "NETS", "run", "main"]

NETS = ("plain20", "plain56", "resnet20", "resnet56")
DEFAULT_OUT = Path("runs/lab/resnet-degradation")


@dataclasses.dataclass(frozen=True)
class Budget:
    """One training budget, shared by all four nets, and the checks' margins.

    ``side``: images are mean-pooled from 28 x 28 to ``side`` x ``side`` (28, 14 or 7);
    ``train_images``: the training subset (drawn with the seed); ``tail_fraction``: the share
    of the last steps whose mini-batch errors average into the final training error;
    ``grad_batch``: images in the batch of the gradient-norm measurement."""

    steps: int
    batch_size: int
    train_images: int
    side: int
    lr: float
    tail_fraction: float
    grad_batch: int
    degradation_margin: float     # plain56 - plain20 >= this
    resnet_tolerance: float       # resnet56 - resnet20 <= this
    residual_margin: float        # plain56 - resnet56 >= this
    spread_factor: float          # spread(plain56) / spread(resnet56) >= this


FULL = Budget(steps=500, batch_size=64, train_images=5000, side=14, lr=1e-3, tail_fraction=0.1,
              grad_batch=128, degradation_margin=0.05, resnet_tolerance=0.02,
              residual_margin=0.1, spread_factor=10.0)
QUICK = Budget(steps=20, batch_size=32, train_images=512, side=7, lr=1e-3, tail_fraction=0.3,
               grad_batch=32, degradation_margin=0.1, resnet_tolerance=0.1,
               residual_margin=0.2, spread_factor=10.0)


# ============================================================================ data
def load_data(budget: Budget, seed: int, root: str | None = None):
    """``(images, labels, source)``: a random training subset of Fashion-MNIST (or, when its
    files are not found, of the embedded MNIST sample), mean-pooled to ``side`` x ``side`` and
    standardised with the subset's mean and std: float32 (n, 1, side, side), int64 (n,)."""
    from ..data import FashionMNIST, MNISTSample

    try:
        data = FashionMNIST(root, train=True)
        source = f"Fashion-MNIST training split ({data.folder})"
    except FileNotFoundError as e:
        data = MNISTSample(train=True)
        first = str(e).splitlines()[0]
        source = (f"embedded MNIST sample (4,000 training digits): Fashion-MNIST was not "
                  f"found ({first})")
        print(f"note: {source}", file=sys.stderr)
    images, labels = (t.numpy() for t in data.as_tensors())
    if 28 % budget.side or images.shape[1:] != (28, 28):
        raise ValueError(f"resnet_degradation: side={budget.side} must divide the 28 x 28 "
                         f"images (28, 14, 7); images are {images.shape[1:]}")
    n = min(budget.train_images, len(images))
    pick = np.random.default_rng(seed).permutation(len(images))[:n]
    x = images[pick].astype(np.float32) / np.float32(255)
    f = 28 // budget.side
    x = x.reshape(n, budget.side, f, budget.side, f).mean(axis=(2, 4))
    x = (x - x.mean()) / x.std()
    return np.ascontiguousarray(x[:, None], dtype=np.float32), labels[pick].astype(np.int64), \
        source


def batch_order(n: int, budget: Budget, seed: int):
    """Indices of every batch, (steps, batch_size): reshuffled epochs of the subset, the same
    for every net."""
    gen = np.random.default_rng(seed + 1)
    need = budget.steps * budget.batch_size
    order = np.concatenate([gen.permutation(n) for _ in range(-(-need // n))])
    return order[:need].reshape(budget.steps, budget.batch_size)


# ============================================================================ measurements
def build(name: str, seed: int):
    """Net ``name`` of ``chainrule.models`` for 1-channel images, initialised from ``seed``."""
    from ..models import build_model
    from ..random import manual_seed

    manual_seed(seed)
    return build_model(name, in_channels=1, num_classes=10)


def train(name: str, x, y, order, budget: Budget, seed: int, log=print) -> dict:
    """Train net ``name`` on the batches ``order`` (Adam, constant lr); returns per-step
    mini-batch errors and losses, the final training error and timings."""
    from .. import optim
    from ..autograd import no_grad
    from ..creation import from_numpy
    from ..nn.functional import cross_entropy

    model = build(name, seed)
    model.train()
    opt = optim.Adam(model.parameters(), lr=budget.lr)
    errors, losses, step_seconds = [], [], []
    start = time.perf_counter()
    report_every = max(1, budget.steps // 10)
    for step, idx in enumerate(order, 1):
        t0 = time.perf_counter()
        xb, yb = from_numpy(x[idx]), from_numpy(y[idx])
        logits = model(xb)
        loss = cross_entropy(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with no_grad():
            errors.append(float((logits.argmax(1) != yb).float().mean().item()))
        losses.append(float(loss.item()))
        step_seconds.append(time.perf_counter() - t0)
        if not math.isfinite(losses[-1]):
            log(f"  {name}: loss {losses[-1]} at step {step}; stopping this net")
            break
        if step % report_every == 0 or step == budget.steps:
            recent = errors[-report_every:]
            log(f"  {name:9s} step {step:4d}/{budget.steps}  error {np.mean(recent):.3f} "
                f"(last {len(recent)})  {time.perf_counter() - start:6.1f} s")
    tail = max(1, round(budget.tail_fraction * budget.steps))
    final = float(np.mean(errors[-tail:])) if len(errors) == budget.steps else float("nan")
    return {"errors": errors, "losses": losses, "final_train_error": final,
            "tail_steps": tail, "final_loss": float(np.mean(losses[-tail:])),
            "seconds": time.perf_counter() - start,
            "median_step_seconds": float(np.median(step_seconds))}


def block_grad_norms(name: str, x, y, seed: int) -> list[float]:
    """``||dL/d(output of block k)||`` for every block k (input to output) of net ``name`` at
    initialisation (``seed``, as in ``train``), on the batch ``(x, y)`` in training mode; L is
    the mean cross-entropy."""
    from ..autograd import grad
    from ..creation import from_numpy
    from ..nn.functional import cross_entropy

    model = build(name, seed)
    model.train()
    outputs = []
    handles = [b.register_forward_hook(lambda module, inputs, output: outputs.append(output))
               for b in model.blocks()]
    loss = cross_entropy(model(from_numpy(x)), from_numpy(y))
    for h in handles:
        h.remove()
    grads = grad(loss, outputs)
    return [float(np.linalg.norm(g.numpy())) for g in grads]


def spread(norms: list[float]) -> float:
    """max / min of the gradient norms across blocks."""
    return max(norms) / min(norms)


def per_block_gain(norms: list[float]) -> float:
    """Geometric mean of ``||g_k|| / ||g_{k+1}||`` over consecutive blocks: the average factor
    by which one block multiplies the gradient norm on its way to the input."""
    return (norms[0] / norms[-1]) ** (1 / (len(norms) - 1))


# ============================================================================ checks
def make_checks(final: dict[str, float], spreads: dict[str, float], budget: Budget,
                quick: bool) -> list[Check]:
    """The four comparisons of the module docstring (``quick`` marks the training ones)."""
    tag = " [quick: looser margin]" if quick else ""
    p20, p56, r20, r56 = (final[n] for n in NETS)
    return [
        at_least(f"degradation: plain-56 trains worse than plain-20{tag}", p56 - p20,
                 budget.degradation_margin,
                 f"final training error plain-56 {p56:.4f} - plain-20 {p20:.4f}"),
        at_most(f"no degradation with shortcuts: ResNet-56 <= ResNet-20 + tolerance{tag}",
                r56 - r20, budget.resnet_tolerance,
                f"final training error ResNet-56 {r56:.4f} - ResNet-20 {r20:.4f}"),
        at_least(f"shortcuts fix depth 56: plain-56 - ResNet-56{tag}", p56 - r56,
                 budget.residual_margin,
                 f"final training error plain-56 {p56:.4f} - ResNet-56 {r56:.4f}"),
        at_least("gradient norm across depth at init: spread(plain-56) / spread(ResNet-56)",
                 spreads["plain56"] / spreads["resnet56"], budget.spread_factor,
                 f"spread = max/min over blocks of ||dL/d(block output)||: plain-56 "
                 f"{spreads['plain56']:.4g}, ResNet-56 {spreads['resnet56']:.4g}"),
    ]


# ============================================================================ plots, files
def _figure(width: float, height: float):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)
    return path


STYLE = {"plain20": ("tab:blue", "--"), "plain56": ("tab:red", "--"),
         "resnet20": ("tab:blue", "-"), "resnet56": ("tab:red", "-")}
LABEL = {"plain20": "plain-20", "plain56": "plain-56", "resnet20": "ResNet-20",
         "resnet56": "ResNet-56"}


def plot_training(runs: dict[str, dict], budget: Budget, path: Path) -> Path | None:
    """Mini-batch training error against step (faint) and its moving average (bold)."""
    fig = _figure(7, 4.5)
    if fig is None:
        return None
    ax = fig.add_subplot(1, 1, 1)
    window = max(1, budget.steps // 25)
    for name in NETS:
        e = np.asarray(runs[name]["errors"])
        color, dash = STYLE[name]
        steps = np.arange(1, len(e) + 1)
        ax.plot(steps, e, color=color, linestyle=dash, alpha=0.15, linewidth=0.8)
        if len(e) >= window:
            smooth = np.convolve(e, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1:], smooth, color=color, linestyle=dash, linewidth=2,
                    label=f"{LABEL[name]}: {runs[name]['final_train_error']:.3f}")
    ax.set_xlabel("step")
    ax.set_ylabel("training error (mini-batch" +
                  (f"; bold: moving average of {window})" if window > 1 else ")"))
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    tail = runs[NETS[0]]["tail_steps"]
    ax.legend(title=f"final: mean of the last {tail} steps")
    ax.set_title(f"Same budget: {budget.steps} steps of batch {budget.batch_size}, Adam "
                 f"lr {budget.lr:g}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_grad_norms(norms: dict[str, list[float]], path: Path) -> Path | None:
    """``||dL/d(block output)||`` against block index (log scale), relative to the last
    block, at initialisation."""
    fig = _figure(7, 4.5)
    if fig is None:
        return None
    ax = fig.add_subplot(1, 1, 1)
    for name in NETS:
        n = np.asarray(norms[name])
        color, dash = STYLE[name]
        ax.semilogy(np.arange(1, len(n) + 1), n / n[-1], color=color, linestyle=dash,
                    marker="o", markersize=3,
                    label=f"{LABEL[name]}: max/min {spread(norms[name]):.3g}")
    ax.set_xlabel("block (input -> output)")
    ax.set_ylabel("||dL/d(block output)||, relative to the last block")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title("Gradient norm per block at initialisation (one batch, training mode)",
                 fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def _environment() -> dict:
    import platform

    return {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}


def _write_json(path: Path, record: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)


# ============================================================================ run
def run(quick: bool = False, out: str | Path = DEFAULT_OUT, *, seed: int = 0,
        budget: Budget | None = None, log=print) -> list[Check]:
    """Measure the claims (module docstring) with ``QUICK`` or ``FULL`` (or ``budget``); write
    ``results.json``, ``training_error.png`` and ``grad_norms.png`` into ``out``; return the
    checks."""
    budget = budget or (QUICK if quick else FULL)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    x, y, source = load_data(budget, seed)
    log(f"resnet-degradation ({'quick' if quick else 'full'}): {len(x)} images "
        f"{budget.side}x{budget.side} from the {source}; {budget.steps} steps of batch "
        f"{budget.batch_size}, Adam lr {budget.lr:g}, seed {seed}")

    gen = np.random.default_rng(seed + 2)
    gidx = gen.choice(len(x), size=min(budget.grad_batch, len(x)), replace=False)
    norms = {name: block_grad_norms(name, x[gidx], y[gidx], seed) for name in NETS}
    spreads = {name: spread(v) for name, v in norms.items()}
    log("gradient norm spread across blocks at init (max/min): " +
        ", ".join(f"{LABEL[n]} {spreads[n]:.3g}" for n in NETS))

    order = batch_order(len(x), budget, seed)
    runs = {}
    for name in NETS:
        runs[name] = train(name, x, y, order, budget, seed, log)
    final = {name: runs[name]["final_train_error"] for name in NETS}
    checks = make_checks(final, spreads, budget, quick)

    plots = [p for p in (plot_training(runs, budget, out / "training_error.png"),
                         plot_grad_norms(norms, out / "grad_norms.png")) if p is not None]
    record = {
        "experiment": "resnet-degradation", "quick": quick, "seed": seed,
        "budget": dataclasses.asdict(budget), "data": source,
        "train_images": int(len(x)),
        "final_train_error": final,
        "grad_norms": {"per_block": norms, "spread": spreads,
                       "per_block_gain": {n: per_block_gain(v) for n, v in norms.items()},
                       "batch": int(len(gidx))},
        "runs": {name: {k: (np.round(v, 5).tolist() if k in ("errors", "losses") else v)
                        for k, v in r.items()} for name, r in runs.items()},
        "checks": [c.to_dict() for c in checks],
        "plots": [p.name for p in plots],
        "seconds": time.perf_counter() - start,
        "environment": _environment(),
    }
    _write_json(out / "results.json", record)
    for c in checks:
        log(str(c))
    log(f"{sum(c.passed for c in checks)}/{len(checks)} checks passed in "
        f"{record['seconds']:.0f} s; files in {out}")
    return checks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainrule.lab.resnet_degradation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small CI variant")
    parser.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR",
                        help="output folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    args = parser.parse_args(argv)
    checks = run(args.quick, Path(args.out), seed=args.seed,
                 log=lambda text: print(text, flush=True))
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
