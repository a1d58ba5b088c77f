"""GAN, NS-GAN, WGAN and WGAN-GP on 8 Gaussians: who covers every mode, and how sharply.

Claim. The data are 8 Gaussians of std 0.02 on a circle of radius 2 (``chainrule.data.toy``,
the WGAN-GP paper's toy set). A generator G maps 2-D noise z ~ N(0, I) through a ReLU MLP to the
plane. A sample is *high quality* (HQ) if it lies within 3 std of a mode, and a mode is
*covered* if at least one HQ sample of 2,500 falls on it (VEEGAN's measure,
``mode_coverage``).

* The original GAN's generator minimises E log(1 - D(G(z))) (minimax) or -E log D(G(z))
  (non-saturating). Its discriminator only says where the data are *relative to the current
  fakes*; G chases D's decision boundary, and a G that sits on some of the modes can be a
  stable point of that chase (mode collapse: sharp samples, modes missing). Whether it happens
  depends on the seed and the budget (in the full run below, NS-GAN ends on 6 of 8 modes and
  the minimax GAN on all 8).
* WGAN's critic f estimates W1(p_data, p_G) = sup_{||f||_L <= 1} E_data f - E_G f, whose
  gradient points every fake towards the data wherever it is, so no mode is left out; weight
  clipping (to 0.01) enforces the Lipschitz bound crudely and learns slowly (RMSprop 5e-5).
* WGAN-GP enforces it with the penalty lambda E (||grad f(x_hat)|| - 1)^2 on interpolates
  x_hat: the critic is close to 1-Lipschitz along the lines between data and fakes, and G's
  samples converge onto all 8 modes (issue target: 8/8 modes and >= 80% HQ).

Budget. Every variant gets the same networks (G and D: three ReLU layers of 128), the same
batch (512) and the same number of generator steps (FULL: 6,000; the WGANs take 5 critic steps
per generator step, as in their papers), with the learning rate annealed to 0 by a cosine
schedule over the steps. The learning rates: Adam 1e-3, betas (0.5, 0.999) for GAN and NS-GAN
and (0.5, 0.9) for WGAN-GP (10x the papers' 1e-4 / 2e-4, so that the toy problem converges in
thousands of steps rather than 100k); WGAN keeps its paper's RMSprop 5e-5 and clip 0.01. Every
``EVAL_EVERY`` steps the generator draws 2,500 points from fixed noise.

Checked: WGAN-GP covers 8/8 modes with >= 80% HQ samples at the end, and the mean distance of
its samples to the nearest mode falls below 0.1 of its value at initialisation (FULL); QUICK
(300 steps of three layers of 64, batch 128, about 25 s) checks only that this distance falls
below 0.7 of its start (measured 0.37-0.48 on seeds 0-2), as modes need thousands of steps.
Every variant's losses must stay finite. The other variants' numbers
are reported, not checked: which modes a GAN keeps depends on the seed. ``gan_modes.png``:
the final samples of each variant over the data, and HQ fraction / modes against the step.

    python -m chainrule.lab.gan_modes [--quick] [--out DIR]
"""
from __future__ import annotations

import math
import time
from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "gan-modes"
VARIANTS = ("gan", "nsgan", "wgan", "wgan-gp")
FULL = {"steps": 6000, "hidden": [128, 128, 128], "batch": 512, "lr": 1e-3, "seed": 0,
        "eval_every": 250, "min_modes": 8, "min_hq": 0.8, "max_distance_ratio": 0.1}
QUICK = {"steps": 300, "hidden": [64, 64, 64], "batch": 128, "lr": 1e-3, "seed": 0,
         "eval_every": 100, "min_modes": None, "min_hq": None, "max_distance_ratio": 0.7}
EVAL_SAMPLES = 2500
ADAM_BETAS = {"gan": (0.5, 0.999), "nsgan": (0.5, 0.999), "wgan-gp": (0.5, 0.9)}


def train_variant(variant: str, budget: dict) -> dict:
    """Train one variant on ring8 with ``budget``; return its curve and final samples."""
    import chainrule
    from ..autograd import no_grad
    from ..creation import randn
    from ..data.toy import mode_coverage, ring8
    from ..random import Generator
    from ..train_gan import GANTrainConfig, build_gan

    chainrule.manual_seed(budget["seed"])
    lr = budget["lr"] if variant != "wgan" else None          # wgan: the paper's 5e-5
    args = {"hidden": list(budget["hidden"])}
    if variant in ADAM_BETAS:
        args["betas"] = list(ADAM_BETAS[variant])
    config = GANTrainConfig(variant, "ring8", batch_size=budget["batch"], lr=lr,
                            model_args=args, seed=budget["seed"], out="unused")
    G, _, gan = build_gan(config)
    optimizers = (gan.opt_g, gan.opt_d)
    base = [o.param_groups[0]["lr"] for o in optimizers]
    data = ring8()
    g_data = Generator().manual_seed(budget["seed"])
    noise = randn(EVAL_SAMPLES, G.latent_dim, generator=Generator().manual_seed(12345))
    def evaluate(step: int, losses: dict) -> None:
        with no_grad():
            fake = G(noise).numpy()
        covered, hq = mode_coverage(fake, data.modes, data.std)
        distance = np.sqrt(((fake[:, None, :] - data.modes[None]) ** 2).sum(-1).min(1))
        curve.append({"step": step, "modes": covered, "hq": hq,
                      "mean_distance": float(distance.mean()), **losses})
        samples[:] = fake.tolist()

    curve, samples, finite, started = [], [], True, time.perf_counter()
    evaluate(0, {})
    steps = budget["steps"]
    for step in range(1, steps + 1):
        scale = 0.5 * (1 + math.cos(math.pi * (step - 1) / steps))
        for o, lr0 in zip(optimizers, base):
            o.param_groups[0]["lr"] = lr0 * scale
        out = gan.step(lambda: data.sample(budget["batch"], generator=g_data))
        finite = finite and all(math.isfinite(v) for v in out.values())
        if step % budget["eval_every"] == 0 or step == steps:
            evaluate(step, out)
    return {"variant": variant, "curve": curve, "final_modes": curve[-1]["modes"],
            "final_hq": curve[-1]["hq"], "finite": bool(finite),
            "distance_ratio": curve[-1]["mean_distance"] / curve[0]["mean_distance"],
            "seconds": time.perf_counter() - started, "samples": samples}


def measure(budget: dict) -> dict:
    """Train every variant; the numbers the checks and the plot use."""
    return {"budget": budget, "variants": {v: train_variant(v, budget) for v in VARIANTS}}


def checks(r: dict) -> list[Check]:
    """WGAN-GP covers the modes sharply; every variant's losses stay finite."""
    b, wgp = r["budget"], r["variants"]["wgan-gp"]
    found = [at_most("WGAN-GP pulls its samples onto the modes", wgp["distance_ratio"],
                     b["max_distance_ratio"], f"mean distance of {EVAL_SAMPLES} samples to the "
                                              f"nearest mode, after {b['steps']} generator "
                                              f"steps / at initialisation")]
    if b["min_modes"] is not None:
        found.append(at_least("WGAN-GP covers the modes of 8 Gaussians", wgp["final_modes"],
                              b["min_modes"], f"modes with >= 1 of {EVAL_SAMPLES} samples "
                                              f"within 3 std, after {b['steps']} steps"))
    if b["min_hq"] is not None:
        found.append(at_least("WGAN-GP samples are high quality", wgp["final_hq"], b["min_hq"],
                              "fraction of samples within 3 std (0.06) of a mode"))
    bad = [v for v, x in r["variants"].items() if not x["finite"]]
    found.append(Check("every variant's losses stay finite", not bad, len(bad), "== 0",
                       f"variants with a non-finite loss: {bad or 'none'}"))
    return found


def plot(r: dict, path: Path) -> Path | None:
    """Top: each variant's final samples over the modes; bottom: HQ and modes vs step."""
    plt = pyplot()
    if plt is None:
        return None
    from ..data.toy import ring8
    modes = ring8().modes
    fig = plt.figure(figsize=(13, 6.5))
    for i, v in enumerate(VARIANTS):
        x = r["variants"][v]
        ax = fig.add_subplot(2, 4, i + 1)
        s = np.asarray(x["samples"])
        ax.scatter(s[:, 0], s[:, 1], s=1.5, alpha=0.4, color="tab:orange")
        ax.scatter(modes[:, 0], modes[:, 1], marker="x", color="k", s=25)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
        ax.set_title(f"{v}: {x['final_modes']}/8 modes, {100 * x['final_hq']:.1f}% HQ",
                     fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for j, (key, label) in enumerate((("hq", "high-quality fraction"),
                                      ("modes", "modes covered"))):
        ax = fig.add_subplot(2, 2, 3 + j)
        for v in VARIANTS:
            c = r["variants"][v]["curve"]
            ax.plot([p["step"] for p in c], [p[key] for p in c], marker=".", label=v)
        ax.set_xlabel("generator step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def run(quick: bool = False, out: Path | str = "runs/lab/gan-modes") -> list[Check]:
    """Train the four variants; write ``gan_modes.json`` and ``gan_modes.png`` into ``out``."""
    out = output_dir(out)
    r = measure(QUICK if quick else FULL)
    found = checks(r)
    variants = {v: {k: x[k] for k in ("final_modes", "final_hq", "finite", "seconds", "curve")}
                for v, x in r["variants"].items()}
    write_numbers(out / "gan_modes.json", quick, r["budget"], {"variants": variants}, found)
    plot(r, out / "gan_modes.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
