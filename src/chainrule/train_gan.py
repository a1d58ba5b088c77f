"""Train a GAN: ``chainrule train gan|nsgan|wgan|wgan-gp --dataset NAME``.

    from chainrule.train_gan import GANTrainConfig, GANRun
    summary = GANRun(GANTrainConfig("wgan-gp", "ring8", epochs=10, batch_size=256)).fit()

The variant (``chainrule.models.gan.GAN_VARIANTS``) fixes the losses, the optimizer and its
settings, the critic steps per generator step, weight clipping and the gradient penalty:

* ``gan``: the minimax game, generator loss log(1 - D(G(z))) (saturating); Adam 2e-4, (0.5, 0.999)
* ``nsgan``: the same with the non-saturating generator loss -log D(G(z))
* ``wgan``: critic mean f(G(z)) - mean f(x), weights clipped to [-0.01, 0.01], RMSprop 5e-5,
  5 critic steps per generator step
* ``wgan-gp``: that critic with the gradient penalty (lambda 10) instead of clipping, Adam 1e-4,
  (0.5, 0.9), 5 critic steps

``--lr`` overrides the variant's learning rate; ``--model-arg`` sets ``n_critic``,
``clip_value``, ``gp_lambda`` or ``betas`` (the trainer's settings) or the networks' arguments.

Data and networks
    ``ring8`` / ``grid25`` (``chainrule.data.toy``): fresh points every batch, drawn from the
    loader's seeded generator; an epoch is ``TOY_BATCHES`` real batches. Networks: the MLPs of
    the WGAN-GP toy script (2-D noise, three ReLU layers of 512; ``latent_dim``, ``hidden``).
    ``mnist-sample`` / ``mnist`` / ``fashion-mnist``: images scaled to [-1, 1]; an epoch is one
    pass over the training split. Networks: ``DCGANGenerator`` / ``DCGANDiscriminator``
    (``latent_dim`` 100, ``channels`` 64; batch norm in the discriminator except for WGAN-GP,
    whose per-sample gradient penalty it would break; ``batchnorm``).
    Every generator step uses the last of its ``n_critic`` real batches' size; an epoch has
    (batches // n_critic) generator steps.

Files (as for the classifiers): ``config.json``, ``metrics.jsonl`` (per epoch: the mean
``d_loss`` and ``g_loss`` of the epoch's steps, for the WGANs the critic's estimate
``wasserstein`` = mean f(x) - mean f(G(z)) and for WGAN-GP ``gp``, the cumulative
``generator_steps``, ``seconds``; on toy data also ``modes_covered`` and
``high_quality_fraction`` of ``EVAL_SAMPLES`` generated points, see
``chainrule.data.toy.mode_coverage``), ``samples.png`` each epoch (a scatter of generated points
over the data on toy data; an 8 x 8 grid from fixed noise on images), ``curves.png`` and an
atomic ``checkpoint.safetensors`` (both networks, both optimizers, the epoch and step count,
and the global and loader generators), so ``--resume`` ends with bitwise the parameters of an
uninterrupted run. The evaluation draws from its own seeded generator and runs in eval mode
without a graph, so it does not change the training run.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from .backend import np
from .train import (DATASETS, ConfigError, RunFolder, TrainConfig, _progress_bar, _run_summary,
                    _save_png_atomic, _write_atomic, check_resumable, load_split)

__all__ = ["GANTrainConfig", "GANRun", "TOY_DATASETS", "is_gan", "build_gan"]

TOY_DATASETS = ("ring8", "grid25")
TOY_BATCHES = 500          # real batches per epoch on toy data
EVAL_SAMPLES = 2500        # generated points per toy evaluation (PacGAN's number)
GRID = 8
TRAINER_ARGS = ("n_critic", "clip_value", "gp_lambda", "betas")


def is_gan(model: str) -> bool:
    """Whether ``model`` names a GAN variant (``GAN_VARIANTS``)."""
    from .models.gan import GAN_VARIANTS
    return model in GAN_VARIANTS


@dataclasses.dataclass
class GANTrainConfig(TrainConfig):
    """``TrainConfig`` whose ``model`` is a GAN variant and whose ``dataset`` may also be a toy
    distribution. ``optimizer`` None takes the variant's; ``momentum`` and ``weight_decay`` do
    not apply; ``scheduler`` 'cosine' anneals both learning rates."""

    optimizer: str | None = None

    def __post_init__(self) -> None:
        from .models.gan import GAN_VARIANTS

        variant = GAN_VARIANTS.get(self.model)
        if variant is not None:
            if self.optimizer is None:
                self.optimizer = variant.optimizer
            elif self.optimizer != variant.optimizer:
                raise ConfigError(f"{self.model} trains with {variant.optimizer} (the variant "
                                  f"fixes its optimizer); got --optimizer {self.optimizer}")
        if self.momentum is not None or self.weight_decay is not None:
            raise ConfigError(f"{self.model}: momentum and weight_decay do not apply to the "
                              f"GAN variants")
        super().__post_init__()

    @staticmethod
    def _models() -> dict:
        from .models.gan import GAN_VARIANTS
        return GAN_VARIANTS

    @staticmethod
    def _datasets() -> tuple[str, ...]:
        return DATASETS + TOY_DATASETS

    @property
    def toy(self) -> bool:
        return self.dataset in TOY_DATASETS


def build_gan(config: GANTrainConfig):
    """``(generator, discriminator, GANTrainer)`` for ``config`` (networks by dataset, see the
    module docstring); the global generator seeds the initialisation and the noise."""
    from .models.gan import (GAN_VARIANTS, DCGANDiscriminator, DCGANGenerator, GANTrainer,
                             MLPDiscriminator, MLPGenerator)

    net_args = {k: v for k, v in config.model_args.items() if k not in TRAINER_ARGS}
    overrides = {k: v for k, v in config.model_args.items() if k in TRAINER_ARGS}
    if "betas" in overrides:
        overrides["betas"] = tuple(overrides["betas"])
    if config.lr is not None:
        overrides["lr"] = config.lr
    variant = GAN_VARIANTS[config.model]
    try:
        if config.toy:
            latent = net_args.pop("latent_dim", 2)
            hidden = tuple(net_args.pop("hidden", (512, 512, 512)))
            if net_args:
                raise TypeError(f"unexpected keyword(s) {sorted(net_args)}; the toy networks "
                                f"take latent_dim and hidden")
            G, D = MLPGenerator(latent, hidden, 2), MLPDiscriminator(2, hidden)
        else:
            latent = net_args.pop("latent_dim", 100)
            channels = net_args.pop("channels", 64)
            batchnorm = net_args.pop("batchnorm", not variant.gp_lambda)
            if net_args:
                raise TypeError(f"unexpected keyword(s) {sorted(net_args)}; the DCGAN "
                                f"networks take latent_dim, channels and batchnorm")
            G = DCGANGenerator(latent, channels)
            D = DCGANDiscriminator(1, channels, batchnorm=batchnorm)
        trainer = GANTrainer(G, D, config.model, **overrides)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"model {config.model!r}: {e}") from None
    return G, D, trainer


def _images(dataset: str, root: str | None):
    """The training split as float32 (N, 1, 28, 28) in [-1, 1]."""
    from .creation import from_numpy

    images = load_split(dataset, True, root)[0].astype(np.float32)
    images *= np.float32(2 / 255)
    images -= np.float32(1)
    return from_numpy(images[:, None])


def plot_toy_samples(samples, data, modes, path: Path, title: str) -> Path | None:
    """Generated points (orange) over real ones (blue) and the mode centres; PNG, atomic."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(4.2, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(data[:, 0], data[:, 1], s=2, alpha=0.3, label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5, label="generated")
    ax.scatter(modes[:, 0], modes[:, 1], marker="x", c="k", s=20, label="modes")
    span = float(np.abs(modes).max()) * 1.6
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper right", fontsize=7, markerscale=3)
    return _save_png_atomic(fig, path)


def plot_gan_curves(rows: list[dict], path: Path) -> Path | None:
    """Losses (and the Wasserstein estimate, and mode coverage on toy data) against epoch."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    epochs = [r["epoch"] for r in rows]
    panels = [("losses", ("d_loss", "g_loss"))]
    if "wasserstein" in rows[0]:
        panels.append(("critic's W1 estimate", ("wasserstein",)))
    if "high_quality_fraction" in rows[0]:
        panels.append(("toy evaluation", ("high_quality_fraction", "modes_fraction")))
    fig = Figure(figsize=(4.5 * len(panels), 3.5), dpi=100)
    FigureCanvasAgg(fig)
    for i, (title, keys) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for key in keys:
            if key == "modes_fraction":
                values = [r["modes_covered"] / r["modes_total"] for r in rows]
            else:
                values = [r[key] for r in rows]
            ax.plot(epochs, values, marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _save_png_atomic(fig, path)


class GANRun:
    """One GAN training run of ``config`` (see the module docstring): ``fit()`` trains the
    remaining epochs, printing one line per epoch to ``log`` (None: ``sys.stdout``)."""

    def __init__(self, config: GANTrainConfig, resume: bool = False, log=None) -> None:
        from .optim.lr_scheduler import CosineAnnealingLR
        from .random import Generator, manual_seed

        if not isinstance(config, GANTrainConfig):
            raise ConfigError(f"GANRun needs a GANTrainConfig, got {type(config).__name__}")
        self.config, self.log = config, log
        self.files = RunFolder(config.out)
        self.samples_path = self.files.root / "samples.png"
        manual_seed(config.seed)
        self.loader_generator = Generator().manual_seed(config.seed)
        if config.toy:
            from .data.toy import toy_distribution
            self.distribution = toy_distribution(config.dataset)
            self.images = None
        else:
            from .data import DataLoader, TensorDataset
            self.images = _images(config.dataset, config.data_root)
            self.loader = DataLoader(TensorDataset(self.images), batch_size=config.batch_size,
                                     shuffle=True, generator=self.loader_generator,
                                     drop_last=True)
        self.G, self.D, self.gan = build_gan(config)
        self.schedulers = ([CosineAnnealingLR(o, config.epochs)
                            for o in (self.gan.opt_g, self.gan.opt_d)]
                           if config.scheduler == "cosine" else [])
        self.epoch = self.steps = 0
        self.metrics: list[dict] = []
        if resume:
            self._resume()
        else:
            self.files.root.mkdir(parents=True, exist_ok=True)
            self.files.write_metrics([])
        self._write_config()

    # ------------------------------------------------------------------ checkpoints
    def _write_config(self) -> None:
        record = {**dataclasses.asdict(self.config),
                  "trainer": dataclasses.asdict(self.gan.config),
                  "parameters": {"generator": sum(p.numel() for p in self.G.parameters()),
                                 "discriminator": sum(p.numel() for p in self.D.parameters())},
                  "scaling": "toy points as drawn" if self.config.toy else "x / 127.5 - 1"}
        _write_atomic(self.files.config, json.dumps(record, indent=2) + "\n")

    def save_checkpoint(self) -> None:
        """Both networks and optimizers, the schedulers, epoch, steps and generators, atomic."""
        from .io import save
        from .random import get_rng_state

        state = {"generator": self.G.state_dict(), "discriminator": self.D.state_dict(),
                 "opt_g": self.gan.opt_g.state_dict(), "opt_d": self.gan.opt_d.state_dict(),
                 "epoch": self.epoch, "steps": self.steps,
                 "rng": {"global": get_rng_state(), "loader": self.loader_generator.get_state()}}
        if self.schedulers:
            state["schedulers"] = [s.state_dict() for s in self.schedulers]
        save(state, self.files.checkpoint)

    def _resume(self) -> None:
        from .io import load
        from .random import set_rng_state

        check_resumable(self.files, self.config)
        state = load(self.files.checkpoint)
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        self.gan.opt_g.load_state_dict(state["opt_g"])
        self.gan.opt_d.load_state_dict(state["opt_d"])
        for s, saved in zip(self.schedulers, state.get("schedulers", [])):
            s.load_state_dict(saved)
        self.epoch, self.steps = int(state["epoch"]), int(state["steps"])
        set_rng_state(state["rng"]["global"])
        self.loader_generator.set_state(state["rng"]["loader"])
        self.metrics = [r for r in self.files.read_metrics() if r["epoch"] <= self.epoch]
        self.files.write_metrics(self.metrics)

    # ------------------------------------------------------------------ epochs
    def _batches(self) -> int:
        n = TOY_BATCHES if self.config.toy else len(self.loader)
        return n if self.config.max_steps is None else min(n, self.config.max_steps)

    def train_epoch(self) -> dict:
        """One epoch of generator steps (each after ``n_critic`` critic steps); the means of the
        losses the steps returned."""
        n_critic = self.gan.config.n_critic
        g_steps = self._batches() // n_critic
        if g_steps == 0:
            raise ConfigError(f"an epoch of {self._batches()} batches is shorter than n_critic "
                              f"= {n_critic}: raise --max-steps or lower n_critic")
        if self.config.toy:
            size, g = self.config.batch_size, self.loader_generator
            real = lambda: self.distribution.sample(size, generator=g)  # noqa: E731
        else:
            batches = iter(self.loader)
            real = lambda: next(batches)[0]  # noqa: E731
        bar = _progress_bar(g_steps, f"epoch {self.epoch + 1}/{self.config.epochs}")
        self.G.train()
        self.D.train()
        sums: dict[str, float] = {}
        for i in range(g_steps):
            out = self.gan.step(real)
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + v
            self.steps += 1
            if bar is not None:
                bar.update()
                bar.set_postfix({k: f"{v / (i + 1):.4f}" for k, v in sums.items()},
                                refresh=False)
        if bar is not None:
            bar.close()
        return {k: v / g_steps for k, v in sums.items()}

    def evaluate(self) -> dict:
        """Draw the pictures; on toy data also the mode coverage of ``EVAL_SAMPLES`` points.
        Eval mode, no graph, noise from a generator seeded by the config (not the global one).
        """
        from .autograd import no_grad
        from .creation import randn
        from .random import Generator

        g = Generator().manual_seed(self.config.seed + 1)
        self.G.eval()
        result: dict = {}
        with no_grad():
            if self.config.toy:
                from .data.toy import mode_coverage
                n = EVAL_SAMPLES
                fake = self.G(randn(n, self.gan.latent_dim, generator=g)).numpy()
                modes, std = self.distribution.modes, self.distribution.std
                covered, hq = mode_coverage(fake, modes, std)
                result = {"modes_covered": covered, "modes_total": len(modes),
                          "high_quality_fraction": hq}
                data = self.distribution.sample(n, generator=g).numpy()
                plot_toy_samples(fake, data, modes, self.samples_path,
                                 f"{self.config.model}, epoch {self.epoch}: {covered}/"
                                 f"{len(modes)} modes, {100 * hq:.1f}% high quality")
            else:
                from .train_generative import _save_grid
                z = randn(GRID * GRID, self.gan.latent_dim, generator=g)
                s = (self.G(z).numpy().reshape(GRID, GRID, 28, 28) + 1) / 2
                _save_grid(list(s), self.samples_path, [""] * GRID)
        self.G.train()
        return result

    def fit(self) -> dict:
        """Train from the current epoch to ``config.epochs``; after every epoch log the
        metrics, draw the samples, write the checkpoint and the curves."""
        while self.epoch < self.config.epochs:
            start = time.perf_counter()
            lr = self.gan.opt_g.param_groups[0]["lr"]
            losses = self.train_epoch()
            for s in self.schedulers:
                s.step()
            self.epoch += 1
            evaluation = self.evaluate()
            row = {"epoch": self.epoch, **losses, **evaluation, "generator_steps": self.steps,
                   "lr": lr, "seconds": time.perf_counter() - start}
            self.metrics.append(row)
            self.files.append_metrics(row)
            self.save_checkpoint()
            plot_gan_curves(self.metrics, self.files.curves)
            toy = (f"  modes {evaluation['modes_covered']}/{evaluation['modes_total']}  "
                   f"high quality {evaluation['high_quality_fraction']:.3f}"
                   if evaluation else "")
            w = f"  W1 est. {losses['wasserstein']:.4f}" if "wasserstein" in losses else ""
            print(f"epoch {self.epoch}/{self.config.epochs}  d loss {losses['d_loss']:.4f}  "
                  f"g loss {losses['g_loss']:.4f}{w}{toy}  {row['seconds']:.1f} s",
                  file=self.log, flush=True)
        if not self.samples_path.exists():
            print("note: matplotlib is not installed, so no pictures or curves",
                  file=sys.stderr)
        return self.summary()

    def summary(self) -> dict:
        """The last epoch's metrics with the run's totals."""
        return _run_summary(self)
