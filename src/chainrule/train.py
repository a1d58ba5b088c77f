"""Train an image classifier: the engine behind ``chainrule train MODEL --dataset NAME``.

    from chainrule.train import TrainConfig, Trainer
    summary = Trainer(TrainConfig("cnn", "mnist-sample", epochs=3)).fit()

The data are loaded once as tensors: uint8 images scaled to [0, 1], standardised with the
training split's mean and std, shaped (N, 1, H, W), and batched by a ``DataLoader`` over a
``TensorDataset`` (one fancy index per batch) that shuffles with its own seeded generator.
Every epoch trains on the training split (cross-entropy, a tqdm progress bar with the running
loss and accuracy when tqdm is installed), evaluates on the test split, and writes into the run
folder ``out``:

* ``config.json``: the ``TrainConfig``, the normalisation and the parameter count;
* ``metrics.jsonl``: one JSON line per epoch (epoch, train_loss, train_accuracy, test_loss,
  test_accuracy, lr, seconds); the train figures are running means over the epoch's batches
  (train mode, as the progress bar shows them), the test ones a full pass in eval mode;
* ``checkpoint.safetensors``: model, optimizer and scheduler state, the epoch, and the states
  of chainrule's global generator and of the loader's generator (``chainrule.save``, atomic);
* ``curves.png``: loss and accuracy against epoch (when matplotlib is installed).

``resume=True`` restores all of that from the checkpoint and continues, so that the run ends
with bitwise the parameters of an uninterrupted run with the same configuration.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import sys
import time
from pathlib import Path

from .backend import np

__all__ = ["TrainConfig", "ConfigError", "Trainer", "make_model", "load_split", "pixel_stats",
           "plot_curves", "DATASETS", "OPTIMIZERS", "SCHEDULERS"]

DATASETS = ("mnist-sample", "mnist", "fashion-mnist")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "cosine")
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3}
DEFAULT_MOMENTUM = {"sgd": 0.9, "rmsprop": 0.0}
EVAL_BATCH_SIZE = 500
# options that may differ between a run and its --resume: where it stops, where files are
RESUMABLE_CHANGES = ("epochs", "out", "data_root")


class ConfigError(ValueError):
    """A training configuration that cannot run (bad option, mismatched resume)."""


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run (``config.json`` of the run folder).

    ``lr`` None: the optimizer's usual default (``DEFAULT_LR``); ``momentum`` None: 0.9 for SGD,
    0 for RMSprop (Adam and AdamW take none); ``weight_decay`` None: torch's default of the
    optimizer (0, or 0.01 for AdamW); ``max_steps``: at most that many batches per epoch (smoke
    runs); ``model_args``: keyword arguments of ``build_model``; ``out`` None: ``runs/MODEL-
    DATASET``."""

    model: str
    dataset: str = "mnist-sample"
    epochs: int = 5
    batch_size: int = 64
    lr: float | None = None
    optimizer: str = "adam"
    momentum: float | None = None
    weight_decay: float | None = None
    scheduler: str = "none"
    seed: int = 0
    max_steps: int | None = None
    model_args: dict = dataclasses.field(default_factory=dict)
    data_root: str | None = None
    out: str | None = None

    def __post_init__(self) -> None:
        models = self._models()
        if self.model not in models:
            raise ConfigError(f"unknown model {self.model!r}; available: "
                              f"{', '.join(sorted(models))}")
        for name, value, choices in (("dataset", self.dataset, self._datasets()),
                                     ("optimizer", self.optimizer, OPTIMIZERS),
                                     ("scheduler", self.scheduler, SCHEDULERS)):
            if value not in choices:
                raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
        for name in ("epochs", "batch_size", "max_steps"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.lr is not None and not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr!r}")
        if self.momentum is not None:
            if self.optimizer not in DEFAULT_MOMENTUM:
                raise ConfigError(f"momentum applies to sgd and rmsprop, not to "
                                  f"{self.optimizer}")
            if self.momentum < 0:
                raise ConfigError(f"momentum must be >= 0, got {self.momentum!r}")
        if self.weight_decay is not None and self.weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.out is None:
            self.out = f"runs/{self.model}-{self.dataset}"

    @staticmethod
    def _models() -> dict:
        """The registry ``model`` is checked against (the classifiers)."""
        from .models import MODELS
        return MODELS

    @staticmethod
    def _datasets() -> tuple[str, ...]:
        """The datasets ``dataset`` is checked against."""
        return DATASETS

    def optimizer_args(self) -> dict:
        """Keyword arguments of the optimizer: lr, plus momentum and weight_decay where set."""
        kwargs = {"lr": DEFAULT_LR[self.optimizer] if self.lr is None else self.lr}
        if self.optimizer in DEFAULT_MOMENTUM:
            kwargs["momentum"] = (DEFAULT_MOMENTUM[self.optimizer] if self.momentum is None
                                  else self.momentum)
        if self.weight_decay is not None:
            kwargs["weight_decay"] = self.weight_decay
        return kwargs


def make_model(name: str, model_args: dict):
    """``build_model(name, **model_args)``, with a bad keyword reported as a ``ConfigError``."""
    from .models import build_model

    try:
        return build_model(name, **model_args)
    except TypeError as e:
        raise ConfigError(f"model {name!r}: {e}") from None


# ============================================================================ data
def load_split(dataset: str, train: bool, root: str | None = None):
    """``(images, labels)`` of one split as NumPy arrays: uint8 (N, H, W) and int64 (N,)."""
    from .data import MNIST, FashionMNIST, MNISTSample

    if dataset == "mnist-sample":
        ds = MNISTSample(train=train)
    else:
        ds = {"mnist": MNIST, "fashion-mnist": FashionMNIST}[dataset](root, train=train)
    images, labels = ds.as_tensors()
    return images.numpy(), labels.numpy()


def pixel_stats(images) -> tuple[float, float]:
    """Mean and standard deviation of ``images / 255`` over every pixel, from the histogram of
    the uint8 values (exact in float64, no float copy of the images)."""
    counts = np.bincount(images.reshape(-1), minlength=256).astype(np.float64)
    values = np.arange(256) / 255.0
    n = counts.sum()
    mean = float(counts @ values / n)
    return mean, float(np.sqrt(counts @ (values - mean) ** 2 / n))


def _standardise(images, mean: float, std: float):
    """uint8 (N, H, W) -> float32 (N, 1, H, W) tensor of ``(images / 255 - mean) / std``."""
    from .creation import from_numpy

    x = images.astype(np.float32) / np.float32(255)
    x -= np.float32(mean)
    x /= np.float32(std)
    return from_numpy(x[:, None])


class ClassificationData:
    """Both splits of ``dataset`` as standardised tensors, with loaders: ``train_loader``
    shuffles with ``generator``; ``test_loader`` keeps the order."""

    def __init__(self, dataset: str, root: str | None, batch_size: int, generator):
        from .creation import from_numpy
        from .data import DataLoader, TensorDataset

        train_images, train_labels = load_split(dataset, True, root)
        test_images, test_labels = load_split(dataset, False, root)
        self.mean, self.std = pixel_stats(train_images)
        train = TensorDataset(_standardise(train_images, self.mean, self.std),
                              from_numpy(train_labels))
        test = TensorDataset(_standardise(test_images, self.mean, self.std),
                             from_numpy(test_labels))
        self.train_loader = DataLoader(train, batch_size=batch_size, shuffle=True,
                                       generator=generator)
        self.test_loader = DataLoader(test, batch_size=EVAL_BATCH_SIZE)
        self.sizes = {"train": len(train), "test": len(test)}


# ============================================================================ run files
def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _save_png_atomic(fig, path: Path) -> Path:
    """Lay out ``fig`` and write it to ``path`` as a PNG through a temporary file (a reader never
    sees half a picture); return ``path``."""
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)
    return path


def plot_curves(rows: list[dict], path: Path) -> Path | None:
    """Loss and accuracy (train and test) against epoch, as a PNG written atomically; ``None``
    (and nothing written) when matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    epochs = [r["epoch"] for r in rows]
    fig = Figure(figsize=(9, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    for i, (key, label) in enumerate((("loss", "cross-entropy"), ("accuracy", "accuracy"))):
        ax = fig.add_subplot(1, 2, i + 1)
        for split in ("train", "test"):
            ax.plot(epochs, [r[f"{split}_{key}"] for r in rows], marker="o", label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    return _save_png_atomic(fig, path)


class RunFolder:
    """The files of one run (see the module docstring) and how they are read and written."""

    def __init__(self, out: str) -> None:
        self.root = Path(out)
        self.config = self.root / "config.json"
        self.metrics = self.root / "metrics.jsonl"
        self.checkpoint = self.root / "checkpoint.safetensors"
        self.curves = self.root / "curves.png"

    def read_metrics(self) -> list[dict]:
        if not self.metrics.exists():
            return []
        return [json.loads(line) for line in self.metrics.read_text().splitlines() if line]

    def write_metrics(self, rows: list[dict]) -> None:
        _write_atomic(self.metrics, "".join(json.dumps(r) + "\n" for r in rows))

    def append_metrics(self, row: dict) -> None:
        with open(self.metrics, "a") as f:
            f.write(json.dumps(row) + "\n")


def check_resumable(files: RunFolder, config) -> None:
    """Raise ``ConfigError`` unless ``files`` holds a checkpoint made with ``config`` (the
    options of ``RESUMABLE_CHANGES`` may differ)."""
    if not files.checkpoint.exists():
        raise ConfigError(f"--resume: no checkpoint at {files.checkpoint}")
    saved = json.loads(files.config.read_text()) if files.config.exists() else {}
    current = dataclasses.asdict(config)
    changed = [f"{k}: {saved[k]!r} -> {current[k]!r}" for k in current
               if k in saved and k not in RESUMABLE_CHANGES and saved[k] != current[k]]
    if changed:
        raise ConfigError(f"--resume: the run in {files.root} was made with other "
                          f"settings ({'; '.join(changed)})")


# ============================================================================ the loop
def _progress_bar(total: int, desc: str):
    """A tqdm bar on stderr for ``total`` steps, or ``None`` when tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)


def _run_summary(run, keys: tuple[str, ...] | None = None) -> dict:
    """A trainer's summary: ``run``'s model, dataset, epochs done, the last epoch's metrics
    (``keys``; all but epoch, lr and seconds when None), the training seconds summed over all
    epochs (resumed ones included) and the run folder. ``run`` has ``config``, ``epoch``,
    ``metrics`` (one dict per epoch) and ``files`` (a ``RunFolder``)."""
    if not run.metrics:
        raise ConfigError(f"no epoch has been trained in {run.files.root}")
    last = run.metrics[-1]
    numbers = ({k: last[k] for k in keys} if keys is not None
               else {k: v for k, v in last.items() if k not in ("epoch", "lr", "seconds")})
    return {"model": run.config.model, "dataset": run.config.dataset, "epochs": run.epoch,
            **numbers, "seconds": math.fsum(r["seconds"] for r in run.metrics),
            "out": str(run.files.root)}


class Trainer:
    """One training run of ``config``: builds data, model, optimizer and scheduler (seeded),
    restores the checkpoint with ``resume=True``, and ``fit()`` trains the remaining epochs,
    printing one line per epoch to ``log`` (None: ``sys.stdout``)."""

    def __init__(self, config: TrainConfig, resume: bool = False, log=None) -> None:
        from . import optim
        from .random import Generator, manual_seed

        self.config = config
        self.files = RunFolder(config.out)
        self.log = log
        manual_seed(config.seed)
        self.loader_generator = Generator().manual_seed(config.seed)
        self.data = self._load_data()
        self.model = make_model(config.model, config.model_args)
        optimizer_class = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
                           "rmsprop": optim.RMSprop}[config.optimizer]
        self.optimizer = optimizer_class(self.model.parameters(), **config.optimizer_args())
        self.scheduler = (optim.lr_scheduler.CosineAnnealingLR(self.optimizer, config.epochs)
                          if config.scheduler == "cosine" else None)
        self.epoch = 0
        self.metrics: list[dict] = []
        if resume:
            self._resume()
        else:
            self.files.root.mkdir(parents=True, exist_ok=True)
            self.files.write_metrics([])
        self._write_config()

    def _load_data(self):
        return ClassificationData(self.config.dataset, self.config.data_root,
                                  self.config.batch_size, self.loader_generator)

    # ------------------------------------------------------------------ checkpoints
    def _write_config(self) -> None:
        record = {**dataclasses.asdict(self.config),
                  "normalisation": {"mean": self.data.mean, "std": self.data.std},
                  "parameters": sum(p.numel() for p in self.model.parameters()),
                  "dataset_sizes": self.data.sizes}
        _write_atomic(self.files.config, json.dumps(record, indent=2) + "\n")

    def save_checkpoint(self) -> None:
        """Write model, optimizer, scheduler, epoch and both generators' states atomically."""
        from .io import save
        from .random import get_rng_state

        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "epoch": self.epoch,
                 "rng": {"global": get_rng_state(),
                         "loader": self.loader_generator.get_state()}}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        save(state, self.files.checkpoint)

    def _resume(self) -> None:
        from .io import load
        from .random import set_rng_state

        check_resumable(self.files, self.config)
        state = load(self.files.checkpoint)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        set_rng_state(state["rng"]["global"])
        self.loader_generator.set_state(state["rng"]["loader"])
        # epochs logged after the checkpoint was written (an interrupted epoch) are dropped
        self.metrics = [r for r in self.files.read_metrics() if r["epoch"] <= self.epoch]
        self.files.write_metrics(self.metrics)

    # ------------------------------------------------------------------ epochs
    def train_epoch(self) -> tuple[float, float]:
        """One pass over the training split (at most ``max_steps`` batches); returns the mean
        loss and the accuracy over the samples seen."""
        from .autograd import no_grad
        from .nn.functional import cross_entropy

        loader = self.data.train_loader
        steps = len(loader) if self.config.max_steps is None else min(len(loader),
                                                                      self.config.max_steps)
        bar = _progress_bar(steps, f"epoch {self.epoch + 1}/{self.config.epochs}")
        self.model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for x, y in itertools.islice(loader, steps):
            logits = self.model(x)
            loss = cross_entropy(logits, y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            with no_grad():
                loss_sum += loss.item() * len(y)
                correct += int((logits.argmax(1) == y).sum().item())
            seen += len(y)
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}",
                                refresh=False)
        if bar is not None:
            bar.close()
        return loss_sum / seen, correct / seen

    def evaluate(self) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on the test split (eval mode, no graph)."""
        from .autograd import no_grad
        from .nn.functional import cross_entropy

        self.model.eval()
        loss_sum, correct = 0.0, 0
        with no_grad():
            for x, y in self.data.test_loader:
                logits = self.model(x)
                loss_sum += cross_entropy(logits, y, reduction="sum").item()
                correct += int((logits.argmax(1) == y).sum().item())
        n = self.data.sizes["test"]
        return loss_sum / n, correct / n

    def fit(self) -> dict:
        """Train from the current epoch to ``config.epochs``, writing metrics, checkpoint and
        curves after every epoch; returns the summary of the last epoch (see ``summary``)."""
        while self.epoch < self.config.epochs:
            start = time.perf_counter()
            lr = self.optimizer.param_groups[0]["lr"]
            train_loss, train_accuracy = self.train_epoch()
            test_loss, test_accuracy = self.evaluate()
            if self.scheduler is not None:
                self.scheduler.step()
            self.epoch += 1
            row = {"epoch": self.epoch, "train_loss": train_loss,
                   "train_accuracy": train_accuracy, "test_loss": test_loss,
                   "test_accuracy": test_accuracy, "lr": lr,
                   "seconds": time.perf_counter() - start}
            self.metrics.append(row)
            self.files.append_metrics(row)
            self.save_checkpoint()
            curves = plot_curves(self.metrics, self.files.curves)
            print(f"epoch {self.epoch}/{self.config.epochs}  train loss {train_loss:.4f} "
                  f"acc {train_accuracy:.4f}  test loss {test_loss:.4f} acc "
                  f"{test_accuracy:.4f}  lr {lr:.3g}  {row['seconds']:.1f} s",
                  file=self.log, flush=True)
            if curves is None and self.epoch == self.config.epochs:
                print(f"note: matplotlib is not installed, so no {self.files.curves}",
                      file=sys.stderr)
        return self.summary()

    def summary(self) -> dict:
        """The last epoch's metrics with the run's totals: epochs done, training seconds summed
        over all epochs (resumed ones included), the model, dataset and run folder."""
        return _run_summary(self, ("train_loss", "train_accuracy", "test_loss", "test_accuracy"))
