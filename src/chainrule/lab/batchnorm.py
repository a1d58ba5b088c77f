"""BatchNorm in training and in evaluation, and what small batches do to it (against LayerNorm,
GroupNorm and InstanceNorm).

Claim 1 (two modes). In training mode ``BatchNorm2d`` normalises each channel c with the
statistics of the current batch, over its m = B H W values:

    y = (x - mu_B) / sqrt(var_B + eps) * gamma + beta,   mu_B, var_B: mean and biased variance
                                                           over (batch, height, width),

and updates the running estimates  r_mean <- (1 - a) r_mean + a mu_B,  r_var <- (1 - a) r_var
+ a var_B m / (m - 1)  (a = momentum = 0.1, unbiased variance). In evaluation mode it uses
r_mean and r_var instead, a fixed affine map per channel. So in training mode the output for
one sample depends on the rest of the batch; in evaluation mode it does not, and neither does
LayerNorm's or GroupNorm's in either mode (their statistics are per sample). Fed batches from
one distribution, r_mean is an exponential moving average of batch means, converging to the
data mean (and r_var to the variance) with error (1 - a)^t |r_0 - mu| plus noise of order
sqrt(a / (2 - a)) sd / sqrt(m). Measured on a float64 BatchNorm2d(3) against these formulas in
NumPy.

Claim 2 (small batches hurt BatchNorm only). The batch statistics are estimates from m values;
when m is small they are noisy, training sees features normalised by noise, and evaluation
(running averages) differs from what training saw. At the extreme m = 2 the normalised values
are (x1 - x2) / |x1 - x2| = +-1 whatever the input: only the sign of a difference survives.
LayerNorm, GroupNorm and InstanceNorm normalise within each sample, so their computation does
not depend on the batch size at all. Measured: a small CNN on the embedded MNIST sample
(``chainrule.data.MNISTSample``, mean-pooled to 14 x 14)

    conv 3x3 (8) - norm - ReLU - maxpool 2   -> 8 x 7 x 7
    conv 3x3 (16) - norm - ReLU - maxpool 2  -> 16 x 3 x 3
    conv 3x3 (32, no padding) - norm - ReLU  -> 32 x 1 x 1  -> linear 10

with norm = BatchNorm2d, LayerNorm([C, H, W]), GroupNorm(4, C) or InstanceNorm2d(C, affine)
(InstanceNorm has nothing to normalise over on the 1 x 1 map: that one is the identity there),
trained with Adam for the same number of epochs (the same examples seen) at every batch size,
learning rate lr0 sqrt(B / 16) (square-root scaling for Adam, so that large batches, which
take fewer steps, are not simply under-trained). Test accuracy is measured in evaluation mode.
The last normalisation sees one position per sample, so BatchNorm's m there is B: at B = 2 it
works on +-1 features. (The two earlier norms see m = 196 B and 49 B; without the 1 x 1 stage
a preliminary run found BatchNorm at B = 2 as good as GroupNorm on this easy task: the damage
needs small m, which small batches cause where the maps are small: late layers, heads.)

Checks: the formulas of claim 1 to 1e-10; batch dependence in training mode only, and for
BatchNorm only; r_mean and r_var converge; BatchNorm at the smallest batch is below GroupNorm
at the same batch by a margin and below its own best by a margin; GroupNorm's and LayerNorm's
accuracies vary little across batch sizes; BatchNorm at its best batch size is about as good as
GroupNorm. Budget: the full variant trains 4 norms x 7 batch sizes (2 .. 128) for 3 epochs of
4,000 images (about 2.5 minutes of CPU on one core, 10 minutes of wall time on a shared 2-core
machine under load); the quick one 4 norms x 2 batch sizes (2, 16) for 1 epoch of 800 images
(about 7 s of CPU). ``batchnorm.png`` plots accuracy against batch size per norm and
the running mean's convergence; ``batchnorm.json`` holds the numbers.

    python -m chainrule.lab.batchnorm [--quick] [--out DIR]
"""
from __future__ import annotations

import math
import time
from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "batchnorm"
NORMS = ("batch", "layer", "group", "instance")
LABELS = {"batch": "BatchNorm2d", "layer": "LayerNorm([C,H,W])", "group": "GroupNorm(4, C)",
          "instance": "InstanceNorm2d"}
FULL = {"batch_sizes": [2, 4, 8, 16, 32, 64, 128], "train_images": 4000, "test_images": 1000,
        "epochs": 3, "lr0": 3e-3, "side": 14, "ema_steps": 200}
QUICK = {"batch_sizes": [2, 16], "train_images": 800, "test_images": 500, "epochs": 1,
         "lr0": 3e-3, "side": 14, "ema_steps": 60}
# margins of the training checks (accuracy, absolute); the quick variant trains 800 images once
MARGINS = {"full": {"bn_vs_gn": 0.15, "bn_drop": 0.15, "spread": 0.08, "bn_best_vs_gn": 0.05},
           "quick": {"bn_vs_gn": 0.1, "bn_drop": 0.1, "spread": 0.15, "bn_best_vs_gn": 0.15}}
EPS = 1e-5
EXACT = 1e-10


# ============================================================================ claim 1: modes
def _bn_reference(x, gamma, beta, mean, var):
    shape = (1, -1, 1, 1)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + EPS) * gamma.reshape(shape)
            + beta.reshape(shape))


def modes(ema_steps: int, seed: int = 0) -> dict:
    """BatchNorm2d(3) in float64: train- and eval-mode outputs against the formulas, the
    batch dependence of one sample's output (BatchNorm, GroupNorm, LayerNorm), and the running
    statistics over ``ema_steps`` batches drawn from N(mu_c, sd_c^2)."""
    import chainrule as cr
    from .. import nn
    from ..creation import from_numpy

    gen = np.random.default_rng(seed)
    mu, sd = np.array([2.0, -1.0, 0.5]), np.array([3.0, 0.5, 1.5])
    draw = lambda n: (gen.standard_normal((n, 3, 4, 4)) * sd.reshape(1, 3, 1, 1)  # noqa: E731
                      + mu.reshape(1, 3, 1, 1))
    bn = nn.BatchNorm2d(3).double()
    gamma, beta = gen.uniform(0.5, 2, 3), gen.uniform(-1, 1, 3)
    bn.weight.data, bn.bias.data = from_numpy(gamma.copy()), from_numpy(beta.copy())
    x = draw(8)
    m = x.shape[0] * x.shape[2] * x.shape[3]
    bmean, bvar = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    with cr.no_grad():
        bn.train()
        y_train = bn(from_numpy(x)).numpy()
        r_mean, r_var = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
        bn.eval()
        y_eval = bn(from_numpy(x)).numpy()
    exp_r_mean = 0.1 * bmean
    exp_r_var = 0.9 + 0.1 * bvar * m / (m - 1)
    found = {
        "train_err": float(np.max(np.abs(y_train - _bn_reference(x, gamma, beta, bmean, bvar)))),
        "running_after_one_err": float(max(np.max(np.abs(r_mean - exp_r_mean)),
                                           np.max(np.abs(r_var - exp_r_var)))),
        "eval_err": float(np.max(np.abs(y_eval - _bn_reference(x, gamma, beta, exp_r_mean,
                                                                 exp_r_var))))}
    # one sample's output with the rest of the batch replaced
    other = x.copy()
    other[1:] = draw(7)
    dep = {}
    layers = {"batch": bn, "group": nn.GroupNorm(3, 3).double(),
              "layer": nn.LayerNorm([3, 4, 4]).double()}
    for name, layer in layers.items():
        for mode in ("train", "eval"):
            layer.train(mode == "train")
            with cr.no_grad():
                a = layer(from_numpy(x)).numpy()[0]
                b = layer(from_numpy(other)).numpy()[0]
            dep[f"{name}_{mode}"] = float(np.max(np.abs(a - b)))
    found["sample0_change"] = dep
    # running statistics over many batches
    bn = nn.BatchNorm2d(3).double()
    bn.train()
    ema_mean, ema_var = np.zeros(3), np.ones(3)
    trace, ema_err = [], 0.0
    for _ in range(ema_steps):
        xb = draw(16)
        n = xb.shape[0] * xb.shape[2] * xb.shape[3]
        with cr.no_grad():
            bn(from_numpy(xb))
        ema_mean = 0.9 * ema_mean + 0.1 * xb.mean(axis=(0, 2, 3))
        ema_var = 0.9 * ema_var + 0.1 * xb.var(axis=(0, 2, 3)) * n / (n - 1)
        rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
        ema_err = max(ema_err, float(np.max(np.abs(rm - ema_mean))),
                      float(np.max(np.abs(rv - ema_var))))
        trace.append(rm.tolist())
    found.update({
        "mu": mu.tolist(), "sd": sd.tolist(), "ema_steps": ema_steps, "running_mean_trace": trace,
        "ema_formula_err": ema_err,
        "final_running_mean": rm.tolist(), "final_running_var": rv.tolist(),
        "mean_err_in_sd": float(np.max(np.abs(rm - mu) / sd)),
        "var_rel_err": float(np.max(np.abs(rv / sd ** 2 - 1)))})
    return found


# ============================================================================ claim 2: training
def load_data(train_images: int, test_images: int, side: int = 14):
    """The first ``train_images`` / ``test_images`` digits of the embedded sample's splits,
    mean-pooled to side x side, standardised with the training images' mean and std:
    float32 (n, 1, side, side) and int64 (n,)."""
    from ..data import MNISTSample

    if 28 % side:
        raise ValueError(f"batchnorm.load_data: side={side} must divide 28")
    out = []
    for train, n in ((True, train_images), (False, test_images)):
        images, labels = (t.numpy() for t in MNISTSample(train=train).as_tensors())
        f = 28 // side
        x = images[:n].astype(np.float32).reshape(-1, side, f, side, f).mean(axis=(2, 4)) / 255
        out.append([x, labels[:n].astype(np.int64)])
    mean, std = out[0][0].mean(), out[0][0].std()
    for pair in out:
        pair[0] = np.ascontiguousarray(((pair[0] - mean) / std)[:, None], dtype=np.float32)
    return out[0][0], out[0][1], out[1][0], out[1][1]


def _norm(kind: str, channels: int, side: int):
    from .. import nn

    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.LayerNorm([channels, side, side])
    if kind == "group":
        return nn.GroupNorm(4, channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True) if side > 1 else nn.Identity()
    raise ValueError(f"batchnorm: unknown norm {kind!r}; expected one of {NORMS}")


def build(kind: str, side: int = 14, seed: int = 0):
    """The CNN of the docstring with normalisation ``kind`` (see NORMS)."""
    from .. import nn
    from ..random import manual_seed

    manual_seed(seed)
    s1, s2 = side // 2, side // 4
    s3 = s2 - 2
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=False), _norm(kind, 8, side), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, bias=False), _norm(kind, 16, s1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, bias=False), _norm(kind, 32, s3), nn.ReLU(), nn.Flatten(),
        nn.Linear(32 * s3 * s3, 10))


def train_one(kind: str, batch_size: int, data, epochs: int, lr0: float, side: int,
              seed: int = 0) -> dict:
    """Train ``build(kind)`` for ``epochs`` epochs of batch ``batch_size`` (Adam, lr
    lr0 sqrt(B / 16)); return the test accuracy (evaluation mode) and the last epoch's loss."""
    import chainrule as cr
    from .. import optim
    from ..nn.functional import cross_entropy

    x, y, xt, yt = data
    model = build(kind, side, seed)
    lr = lr0 * math.sqrt(batch_size / 16)
    opt = optim.Adam(model.parameters(), lr=lr)
    gen = np.random.default_rng(seed + 1)
    start, steps, losses = time.perf_counter(), 0, []
    model.train()
    for _ in range(epochs):
        order = gen.permutation(len(x))
        losses = []
        for b in range(len(x) // batch_size):
            idx = order[b * batch_size:(b + 1) * batch_size]
            loss = cross_entropy(model(cr.from_numpy(x[idx])), cr.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
            steps += 1
    model.eval()
    with cr.no_grad():
        pred = np.concatenate([model(cr.from_numpy(xt[i:i + 500])).argmax(1).numpy()
                               for i in range(0, len(xt), 500)])
    return {"accuracy": float((pred == yt).mean()), "steps": steps, "lr": lr,
            "last_epoch_loss": float(np.mean(losses)) if losses else float("nan"),
            "seconds": time.perf_counter() - start}


def accuracy_vs_batch(batch_sizes, train_images: int, test_images: int, epochs: int,
                      lr0: float, side: int, seed: int = 0, log=None) -> dict:
    """``train_one`` for every norm and batch size: {norm: {batch size: result}}."""
    data = load_data(train_images, test_images, side)
    found: dict = {}
    for kind in NORMS:
        found[kind] = {}
        for b in batch_sizes:
            found[kind][str(b)] = train_one(kind, b, data, epochs, lr0, side, seed)
            if log:
                r = found[kind][str(b)]
                log(f"  {kind:8s} B={b:4d}  acc {r['accuracy']:.3f}  {r['steps']} steps  "
                    f"{r['seconds']:.1f} s")
    return found


def measure(batch_sizes, train_images: int, test_images: int, epochs: int, lr0: float,
            side: int, ema_steps: int, seed: int = 0, log=None) -> dict:
    """Both claims; the training summary (per-norm accuracies, spreads) for the checks."""
    runs = accuracy_vs_batch(batch_sizes, train_images, test_images, epochs, lr0, side, seed,
                             log)
    acc = {k: [runs[k][str(b)]["accuracy"] for b in batch_sizes] for k in NORMS}
    return {"modes": modes(ema_steps, seed), "runs": runs, "batch_sizes": list(batch_sizes),
            "accuracy": acc,
            "spread": {k: max(v) - min(v) for k, v in acc.items()},
            "best": {k: max(v) for k, v in acc.items()},
            "setup": {"train_images": train_images, "test_images": test_images,
                      "epochs": epochs, "lr0": lr0, "side": side, "seed": seed}}


def checks(r: dict, quick: bool = False) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    m = r["modes"]
    dep = m["sample0_change"]
    margin = MARGINS["quick" if quick else "full"]
    tag = " [quick: looser margin]" if quick else ""
    acc, b0 = r["accuracy"], r["batch_sizes"][0]
    found = [
        at_most("train mode normalises with the batch statistics", m["train_err"], EXACT,
                "max |BatchNorm2d(x) - (x - mu_B) / sqrt(var_B + eps) gamma - beta|"),
        at_most("eval mode normalises with the running statistics", m["eval_err"], EXACT,
                "max |output - formula with r_mean, r_var| after one training batch"),
        at_most("running statistics: r <- 0.9 r + 0.1 batch stat (unbiased var)",
                max(m["running_after_one_err"], m["ema_formula_err"]), EXACT,
                f"max |difference| over {m['ema_steps']} batches"),
        at_least("train mode: one sample's output depends on the rest of the batch",
                 dep["batch_train"], 0.05, "max change of sample 0's output when samples "
                 "1..7 are redrawn"),
        at_most("eval mode: it does not", dep["batch_eval"], 0, "same change in eval mode"),
        at_most("GroupNorm / LayerNorm: never batch-dependent",
                max(dep["group_train"], dep["layer_train"]), 1e-12, "same change, train mode"),
        at_most("running mean converges to the data mean", m["mean_err_in_sd"], 0.1,
                f"max |r_mean - mu| / sd after {m['ema_steps']} batches of 16 x 4 x 4"),
        at_most("running var converges to the data variance", m["var_rel_err"], 0.2,
                "max |r_var / sd^2 - 1|"),
        at_least(f"BatchNorm at batch {b0} below GroupNorm at batch {b0}{tag}",
                 acc["group"][0] - acc["batch"][0], margin["bn_vs_gn"],
                 f"accuracy difference; BN {acc['batch'][0]:.3f}, GN {acc['group'][0]:.3f}"),
        at_least(f"BatchNorm degrades at batch {b0}{tag}",
                 r["best"]["batch"] - acc["batch"][0], margin["bn_drop"],
                 f"BN's best accuracy minus its accuracy at batch {b0}"),
        at_most(f"GroupNorm is batch-size independent{tag}", r["spread"]["group"],
                margin["spread"], f"max - min accuracy over batch sizes {r['batch_sizes']}"),
        at_most(f"LayerNorm is batch-size independent{tag}", r["spread"]["layer"],
                margin["spread"], "max - min accuracy over batch sizes"),
        at_most(f"BatchNorm at its best batch size is as good as GroupNorm{tag}",
                r["best"]["group"] - r["best"]["batch"], margin["bn_best_vs_gn"],
                f"best GN minus best BN accuracy; BN best {r['best']['batch']:.3f}"),
    ]
    return found


def plot(r: dict, path: Path) -> Path | None:
    """Test accuracy against batch size per norm; the running mean's convergence."""
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    for kind in NORMS:
        ax.plot(r["batch_sizes"], r["accuracy"][kind], "o-", label=LABELS[kind])
    ax.set_xscale("log", base=2)
    ax.set_xticks(r["batch_sizes"])
    ax.set_xticklabels([str(b) for b in r["batch_sizes"]])
    ax.set_xlabel("batch size B (same epochs; Adam lr = lr0 sqrt(B / 16))")
    ax.set_ylabel("test accuracy (eval mode)")
    s = r["setup"]
    ax.set_title(f"small CNN, MNIST sample {s['side']}x{s['side']}, {s['train_images']} images "
                 f"x {s['epochs']} epochs", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = axes[1]
    m = r["modes"]
    trace = np.array(m["running_mean_trace"])
    for c in range(trace.shape[1]):
        line, = ax.plot(np.arange(1, len(trace) + 1), trace[:, c], label=f"channel {c}")
        ax.axhline(m["mu"][c], color=line.get_color(), ls=":", lw=1)
    ax.set_xlabel("training batches")
    ax.set_ylabel("running_mean (dotted: data mean)")
    ax.set_title("BatchNorm2d running mean, momentum 0.1", fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=120)


def run(quick: bool = False, out: Path | str = "runs/lab/batchnorm", log=None) -> list[Check]:
    """Measure both claims; write ``batchnorm.json`` and ``batchnorm.png`` into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(**budget, log=log)
    found = checks(r, quick)
    write_numbers(out / "batchnorm.json", quick, budget, r, found)
    plot(r, out / "batchnorm.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv, log=print)


if __name__ == "__main__":
    raise SystemExit(main())
