"""Train an autoencoder or a model of the VAE family: ``chainrule train vae --dataset NAME``.

    from chainrule.train_generative import GenerativeTrainConfig, GenerativeTrainer
    summary = GenerativeTrainer(GenerativeTrainConfig("vae", epochs=3)).fit()

``GenerativeTrainer`` is a ``chainrule.train.Trainer``: the same run folder, seeding,
optimizer and scheduler, atomic ``checkpoint.safetensors`` and exact ``--resume``; it changes
the data, the per-batch step, the evaluation and the pictures.

Data: the images scaled to [0, 1] (no standardisation), shaped (N, 1, 28, 28); for the VAE
family (vae, beta-vae, iwae, gumbel-vae) binarised once with the fixed threshold
``BINARIZE_THRESHOLD`` (``binarize``). The labels are not used.

Per epoch, ``metrics.jsonl`` gets: ``train_loss`` (running mean of ``model.loss(x)`` over the
epoch's batches: mean squared error per pixel for the autoencoders, nats per image for the VAE
family), ``test_loss`` (the same over the test split, eval mode), ``lr``, ``seconds``; for the
VAE family also ``test_elbo`` (nats per image; for gumbel-vae the relaxed ELBO) and, for
vae / beta-vae / iwae, ``test_iwae_k1``, ``test_iwae_k5``, ``test_iwae_k50``: the IWAE bounds
L_k on the first ``IWAE_SUBSET`` test images in nats; gumbel-vae logs its ``temperature``.
Each epoch also writes ``reconstructions.png`` (test images over their reconstructions: the
decoder at the posterior mean, or at softmax(logits) for gumbel-vae) and, for the VAE family,
``samples.png`` (pixel probabilities decoded from prior draws, the same draws every epoch);
the pictures and the bounds draw from their own seeded generators or run before the
checkpoint, so they do not change the training run.

Gumbel-softmax temperature: annealed per epoch, tau_e = max(TAU_MIN, exp(-TAU_RATE * e)) for
the epoch that follows e finished epochs (1, 0.74, 0.55, 0.5, ...).
"""
from __future__ import annotations

import itertools
import json
import math
import sys
import time
from pathlib import Path

from .backend import np
from .train import (EVAL_BATCH_SIZE, ConfigError, Trainer, TrainConfig, _progress_bar,
                    _run_summary, _save_png_atomic, _write_atomic, load_split)

__all__ = ["GenerativeTrainConfig", "GenerativeTrainer", "VAE_FAMILY", "is_generative",
           "iwae_bounds", "evaluate_run"]

VAE_FAMILY = ("vae", "beta-vae", "iwae", "gumbel-vae")
BOUNDED = ("vae", "beta-vae", "iwae")          # models with iwae_bound
BINARIZE_THRESHOLD = 0.5
IWAE_KS = (1, 5, 50)
IWAE_SUBSET = 500
IWAE_CHUNK = 50
IWAE_SAMPLES_PER_CHUNK = 25_000     # images x k per chunk when evaluating large k
TAU_MIN, TAU_RATE = 0.5, 0.3
GRID = 8


def is_generative(model: str) -> bool:
    """Whether ``model`` is registered in ``GENERATIVE_MODELS``."""
    from .models import GENERATIVE_MODELS
    return model in GENERATIVE_MODELS


class GenerativeTrainConfig(TrainConfig):
    """``TrainConfig`` whose ``model`` is a name of ``GENERATIVE_MODELS``."""

    @staticmethod
    def _models() -> dict:
        from .models import GENERATIVE_MODELS
        return GENERATIVE_MODELS


def gumbel_temperature(epoch: int) -> float:
    """tau for the epoch after ``epoch`` finished ones: max(TAU_MIN, exp(-TAU_RATE epoch))."""
    return max(TAU_MIN, math.exp(-TAU_RATE * epoch))


def _images(images, binary: bool):
    """uint8 (N, H, W) -> float32 (N, 1, H, W) tensor in [0, 1], binarised when ``binary``."""
    from .creation import from_numpy
    from .models import binarize

    x = from_numpy((images.astype(np.float32) / np.float32(255))[:, None])
    return binarize(x, BINARIZE_THRESHOLD) if binary else x


class ImageData:
    """Both splits of ``dataset`` as [0, 1] image tensors (binarised for the VAE family)."""

    def __init__(self, dataset: str, root: str | None, batch_size: int, generator,
                 binary: bool):
        from .data import DataLoader, TensorDataset

        self.train = _images(load_split(dataset, True, root)[0], binary)
        self.test = _images(load_split(dataset, False, root)[0], binary)
        self.train_loader = DataLoader(TensorDataset(self.train), batch_size=batch_size,
                                       shuffle=True, generator=generator)
        self.test_loader = DataLoader(TensorDataset(self.test), batch_size=EVAL_BATCH_SIZE)
        self.sizes = {"train": len(self.train), "test": len(self.test)}


def _save_grid(rows: list, path: Path, titles: list[str]) -> Path | None:
    """Rows of (n, 28, 28) arrays as one grey image grid (PNG, atomic); None without
    matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    n = max(len(r) for r in rows)
    fig = Figure(figsize=(n, len(rows) + 0.3), dpi=60)
    FigureCanvasAgg(fig)
    for i, images in enumerate(rows):
        for j, image in enumerate(images):
            ax = fig.add_subplot(len(rows), n, i * n + j + 1)
            ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0 and titles[i]:
                ax.set_ylabel(titles[i], fontsize=8)
    return _save_png_atomic(fig, path)


def plot_generative_curves(rows: list[dict], path: Path) -> Path | None:
    """Train and test loss (and the test bounds, when logged) against epoch; None without
    matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    epochs = [r["epoch"] for r in rows]
    bounds = [k for k in ("test_elbo", *(f"test_iwae_k{k}" for k in IWAE_KS)) if k in rows[0]]
    fig = Figure(figsize=(9 if bounds else 4.5, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2 if bounds else 1, 1)
    for key in ("train_loss", "test_loss"):
        ax.plot(epochs, [r[key] for r in rows], marker="o", label=key.split("_")[0])
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    if bounds:
        ax = fig.add_subplot(1, 2, 2)
        for key in bounds:
            ax.plot(epochs, [r[key] for r in rows], marker="o", label=key[5:])
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per image")
        ax.grid(alpha=0.3)
        ax.legend()
    return _save_png_atomic(fig, path)


def iwae_bounds(model, images, ks=IWAE_KS, generator=None) -> dict[int, float]:
    """``{k: L_k}``: the importance-weighted bound of ``model`` (its ``iwae_bound``) with k
    samples, averaged over ``images`` (nats per image), for each k; eval mode, no graph. The
    images go through in chunks of about ``IWAE_SAMPLES_PER_CHUNK / k`` so that k = 5000 fits
    in memory. ``generator`` (a ``chainrule.Generator``) makes the estimate repeatable: the
    global generator's state is swapped for it meanwhile."""
    from .autograd import no_grad
    from .random import get_rng_state, set_rng_state

    saved = get_rng_state()
    if generator is not None:
        set_rng_state(generator.get_state())
    was_training = model.training
    model.eval()
    n, result = len(images), {}
    try:
        with no_grad():
            for k in ks:
                chunk = max(1, min(IWAE_CHUNK, IWAE_SAMPLES_PER_CHUNK // k))
                total = 0.0
                for i in range(0, n, chunk):
                    x = images[i:i + chunk]
                    total += model.iwae_bound(x, k).item() * len(x)
                result[k] = total / n
    finally:
        model.train(was_training)
        if generator is not None:
            generator.set_state(get_rng_state())
            set_rng_state(saved)
    return result


def evaluate_run(out: str | Path, ks=(1, 5, 50, 5000), images: int = 1000, seed: int = 0,
                 data_root: str | None = None) -> dict:
    """The IWAE bounds L_k (nats per image) of the model saved in the run folder ``out`` (its
    ``config.json`` and ``checkpoint.safetensors``), on its dataset's first ``images`` test
    images, binarised as in training; L_5000 is the usual estimate of log p(x). This is
    ``chainrule evaluate RUN [--k 1 5 50 5000] [--images N]``."""
    from .io import load
    from .random import Generator
    from .train import RunFolder, make_model

    files = RunFolder(str(out))
    if not files.config.exists() or not files.checkpoint.exists():
        raise ConfigError(f"evaluate: {files.root} has no config.json and "
                          f"checkpoint.safetensors (a finished `chainrule train` run)")
    config = json.loads(files.config.read_text())
    if config["model"] not in BOUNDED:
        raise ConfigError(f"evaluate: the run in {files.root} trained {config['model']!r}; "
                          f"the IWAE bound needs one of {', '.join(BOUNDED)}")
    model = make_model(config["model"], config["model_args"])
    model.load_state_dict(load(files.checkpoint)["model"])
    test = _images(load_split(config["dataset"], False, data_root or config["data_root"])[0],
                   binary=True)[:images]
    bounds = iwae_bounds(model, test, ks, Generator().manual_seed(seed))
    return {"run": str(files.root), "model": config["model"], "dataset": config["dataset"],
            "epochs": json.loads(files.metrics.read_text().splitlines()[-1])["epoch"],
            "images": len(test), **{f"iwae_k{k}": v for k, v in bounds.items()}}


class GenerativeTrainer(Trainer):
    """``Trainer`` for ``GENERATIVE_MODELS``: minimises ``model.loss(x)`` (see the module
    docstring for the data, metrics and files)."""

    def __init__(self, config: TrainConfig, resume: bool = False, log=None) -> None:
        if not isinstance(config, GenerativeTrainConfig):
            raise ConfigError(f"GenerativeTrainer needs a GenerativeTrainConfig, got "
                              f"{type(config).__name__}")
        self.family = config.model in VAE_FAMILY
        super().__init__(config, resume=resume, log=log)
        self.samples_path = self.files.root / "samples.png"
        self.reconstructions_path = self.files.root / "reconstructions.png"

    def _load_data(self):
        return ImageData(self.config.dataset, self.config.data_root, self.config.batch_size,
                         self.loader_generator, binary=self.family)

    def _write_config(self) -> None:
        import dataclasses
        record = {**dataclasses.asdict(self.config),
                  "scaling": "x / 255" + (f", binarised at {BINARIZE_THRESHOLD}"
                                          if self.family else ""),
                  "parameters": sum(p.numel() for p in self.model.parameters()),
                  "dataset_sizes": self.data.sizes}
        _write_atomic(self.files.config, json.dumps(record, indent=2) + "\n")

    # ------------------------------------------------------------------ epochs
    def train_epoch(self) -> float:
        """One pass over the training split (at most ``max_steps`` batches); the mean loss."""
        loader = self.data.train_loader
        steps = len(loader) if self.config.max_steps is None else min(len(loader),
                                                                      self.config.max_steps)
        bar = _progress_bar(steps, f"epoch {self.epoch + 1}/{self.config.epochs}")
        self.model.train()
        loss_sum, seen = 0.0, 0
        for (x,) in itertools.islice(loader, steps):
            loss = self.model.loss(x)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            loss_sum += loss.item() * len(x)
            seen += len(x)
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", refresh=False)
        if bar is not None:
            bar.close()
        return loss_sum / seen

    def evaluate(self) -> dict:
        """Test loss, and for the VAE family the test ELBO and the IWAE bounds (nats)."""
        from .autograd import no_grad

        self.model.eval()
        n = self.data.sizes["test"]
        loss_sum = elbo_sum = 0.0
        with no_grad():
            for (x,) in self.data.test_loader:
                loss_sum += self.model.loss(x).item() * len(x)
                if self.family:
                    if hasattr(self.model, "elbo"):
                        elbo_sum += self.model.elbo(x).item() * len(x)
                    else:
                        t = self.model.loss_terms(x)
                        elbo_sum -= (t.reconstruction + t.kl).item() * len(x)
            result = {"test_loss": loss_sum / n}
            if self.family:
                result["test_elbo"] = elbo_sum / n
            if self.config.model in BOUNDED:
                subset = self.data.test[:min(IWAE_SUBSET, n)]
                for k, bound in iwae_bounds(self.model, subset, IWAE_KS).items():
                    result[f"test_iwae_k{k}"] = bound
        return result

    # ------------------------------------------------------------------ pictures
    def write_pictures(self) -> bool:
        """``reconstructions.png`` and, for the VAE family, ``samples.png``; False without
        matplotlib. Uses its own generator (seeded from the config), not the global one."""
        from .autograd import no_grad
        from .creation import randint, randn
        from .nn.functional import one_hot
        from .random import Generator

        m = self.model
        m.eval()
        x = self.data.test[:GRID]
        g = Generator().manual_seed(self.config.seed + 1)
        with no_grad():
            if not self.family:
                recon = m(x)
            elif self.config.model == "gumbel-vae":
                recon = m.decode(m.encode(x).softmax(-1)).sigmoid()
            else:
                recon = m.decode(m.encode(x)[0]).sigmoid()
            rows = [x.numpy().reshape(-1, 28, 28), recon.numpy().reshape(-1, 28, 28)]
            done = _save_grid(rows, self.reconstructions_path, ["data", "recon"]) is not None
            if self.family:
                p = next(m.parameters())
                if self.config.model == "gumbel-vae":
                    c = randint(0, m.categorical_dim, (GRID * GRID, m.latent_dim), generator=g)
                    z = one_hot(c, m.categorical_dim).to(p.dtype)
                else:
                    z = randn(GRID * GRID, m.latent_dim, generator=g, dtype=p.dtype)
                s = m.decode(z).sigmoid().numpy().reshape(GRID, GRID, 28, 28)
                done = _save_grid(list(s), self.samples_path, [""] * GRID) is not None and done
        return done

    def fit(self) -> dict:
        """Train from the current epoch to ``config.epochs``; after every epoch log the
        metrics, draw the pictures, write the checkpoint and the curves."""
        while self.epoch < self.config.epochs:
            start = time.perf_counter()
            lr = self.optimizer.param_groups[0]["lr"]
            extra = {}
            if self.config.model == "gumbel-vae":
                self.model.temperature = gumbel_temperature(self.epoch)
                extra["temperature"] = self.model.temperature
            train_loss = self.train_epoch()
            evaluation = self.evaluate()
            if self.scheduler is not None:
                self.scheduler.step()
            self.epoch += 1
            pictures = self.write_pictures()
            row = {"epoch": self.epoch, "train_loss": train_loss, **evaluation, **extra,
                   "lr": lr, "seconds": time.perf_counter() - start}
            self.metrics.append(row)
            self.files.append_metrics(row)
            self.save_checkpoint()
            plot_generative_curves(self.metrics, self.files.curves)
            bounds = "".join(f"  {k[5:]} {v:.2f}" for k, v in evaluation.items()
                             if k != "test_loss")
            print(f"epoch {self.epoch}/{self.config.epochs}  train loss {train_loss:.4f}  "
                  f"test loss {evaluation['test_loss']:.4f}{bounds}  lr {lr:.3g}  "
                  f"{row['seconds']:.1f} s", file=self.log, flush=True)
            if not pictures and self.epoch == self.config.epochs:
                print("note: matplotlib is not installed, so no pictures or curves",
                      file=sys.stderr)
        return self.summary()

    def summary(self) -> dict:
        """The last epoch's metrics (losses, bounds) with the run's totals."""
        return _run_summary(self)
