"""The ``chainrule`` command (also ``python -m chainrule``).

Subcommands:

* ``demo [--out DIR] [--quick]``: the chain rule at work in one minute. The Rosenbrock function's
  value, gradient (by ``backward``) and Hessian (by ``autograd.functional.hessian``) next to
  their closed forms, its graph drawn to ``DIR``, then a tiny MLP written with raw tensors
  trained by plain SGD on synthetic spirals; numbers go to ``DIR/report.json`` (and the loss
  curve to ``DIR/loss.png`` when matplotlib is installed).
* ``graph [--out FILE] [--format svg|png|dot]``: the Rosenbrock graph at (-1.5, 2.0) after
  ``backward``, with values, gradients and local derivatives, written as SVG/PNG (Graphviz) or
  DOT text.
* ``train MODEL --dataset NAME [options]``: train a classifier (``chainrule.train``), or an
  autoencoder / VAE (``chainrule.train_generative``), with a progress bar, writing metrics,
  curves, config and a resumable checkpoint to ``--out``.
* ``summary MODEL [--input-size C,H,W]``: the layer table of ``chainrule.analysis.summary``.
* ``lab list`` / ``lab run NAME|all [--quick] [--out DIR] [--json]``: the experiments of
  ``chainrule.lab``; exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

ROSENBROCK_POINT = (-1.5, 2.0)


# ====================================================================== Rosenbrock
def rosenbrock(x1, x2):
    """f(x1, x2) = (1 - x1)**2 + 100 (x2 - x1**2)**2, built from +, -, * and **."""
    return (1 - x1) ** 2 + 100 * (x2 - x1 ** 2) ** 2


def rosenbrock_closed_form(x1: float, x2: float) -> dict:
    """f, its gradient and its Hessian at (x1, x2), by hand:

    df/dx1 = -2 (1 - x1) - 400 x1 (x2 - x1**2),   df/dx2 = 200 (x2 - x1**2),
    d2f/dx1**2 = 2 - 400 x2 + 1200 x1**2,  d2f/dx1dx2 = -400 x1,  d2f/dx2**2 = 200.
    """
    r = x2 - x1 ** 2
    return {
        "f": (1 - x1) ** 2 + 100 * r ** 2,
        "gradient": [-2 * (1 - x1) - 400 * x1 * r, 200 * r],
        "hessian": [[2 - 400 * x2 + 1200 * x1 ** 2, -400 * x1], [-400 * x1, 200.0]],
    }


def rosenbrock_graph(point=ROSENBROCK_POINT):
    """Build f at ``point`` (float64 leaves x1, x2), keeping every value for drawing, and run
    ``backward(retain_graph=True)`` so the graph still knows its local derivatives.

    Returns ``(f, {"x1": x1, "x2": x2})``.
    """
    import chainrule
    from chainrule.viz import keep_values

    x1 = chainrule.tensor(point[0], dtype=chainrule.float64, requires_grad=True)
    x2 = chainrule.tensor(point[1], dtype=chainrule.float64, requires_grad=True)
    with keep_values():
        f = rosenbrock(x1, x2)
    f.backward(retain_graph=True)
    return f, {"x1": x1, "x2": x2}


def _save_graph_quietly(dot_text: str, path: Path) -> Path:
    """``save_graph``, printing the fallback note (no Graphviz) instead of warning."""
    from chainrule.viz import save_graph

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        written = save_graph(dot_text, path)
    for w in caught:
        print(f"note: {w.message}", file=sys.stderr)
    return written


# ====================================================================== demo
def _rosenbrock_part(out_dir: Path) -> dict:
    import chainrule
    from chainrule.autograd.functional import hessian
    from chainrule.viz import draw_graph, save_graph

    p = ROSENBROCK_POINT
    f, leaves = rosenbrock_graph(p)
    x1, x2 = leaves["x1"], leaves["x2"]
    gradient = [x1.grad.item(), x2.grad.item()]
    h = hessian(rosenbrock, (chainrule.tensor(p[0], dtype=chainrule.float64),
                             chainrule.tensor(p[1], dtype=chainrule.float64)))
    hess = [[h[i][j].item() for j in range(2)] for i in range(2)]
    exact = rosenbrock_closed_form(*p)

    print(f"Rosenbrock f(x1, x2) = (1 - x1)**2 + 100*(x2 - x1**2)**2 at (x1, x2) = {p}")
    print(f"  {'':10s} {'autograd':>28s}   {'closed form':>28s}")
    print(f"  {'f':10s} {_fmt(f.item()):>28s}   {_fmt(exact['f']):>28s}")
    print(f"  {'gradient':10s} {_fmt(gradient):>28s}   {_fmt(exact['gradient']):>28s}")
    for i in range(2):
        name = "Hessian" if i == 0 else ""
        print(f"  {name:10s} {_fmt(hess[i]):>28s}   {_fmt(exact['hessian'][i]):>28s}")

    dot = draw_graph(f, leaves)
    files = [str(save_graph(dot, out_dir / "rosenbrock.dot"))]
    import shutil
    if shutil.which("dot"):
        files.append(str(_save_graph_quietly(dot, out_dir / "rosenbrock.svg")))
    print(f"  graph: {', '.join(files)}")
    return {"point": list(p), "f": f.item(), "gradient": gradient, "hessian": hess,
            "closed_form": exact, "graph_files": files}


def make_spirals(n_per_class: int, n_classes: int = 3, noise: float = 0.15, seed: int = 0):
    """``n_classes`` interleaved spiral arms in the plane: points (N, 2) float32 and labels (N,)
    int64. Radii and angles are fixed; the angular noise comes from ``chainrule.randn``."""
    import chainrule
    from chainrule.backend import np

    chainrule.manual_seed(seed)
    n = n_per_class * n_classes
    jitter = chainrule.randn(n, dtype=chainrule.float64).numpy() * noise
    r = np.tile(np.linspace(0.05, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    angle = 1.25 * math.pi * r + labels * (2 * math.pi / n_classes) + jitter
    points = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return (chainrule.tensor(points, dtype=chainrule.float32),
            chainrule.tensor(labels, dtype=chainrule.int64))


def _mlp_part(out_dir: Path, quick: bool) -> dict:
    import chainrule
    import chainrule.nn.functional as F

    n_per_class, n_classes, hidden = (60, 3, 32) if quick else (200, 3, 64)
    steps, lr = (150, 1.0) if quick else (400, 1.0)
    x, y = make_spirals(n_per_class, n_classes, seed=0)

    chainrule.manual_seed(1)
    W1 = (chainrule.randn(2, hidden) * math.sqrt(1 / 2)).requires_grad_()
    b1 = chainrule.zeros(hidden, requires_grad=True)
    W2 = (chainrule.randn(hidden, n_classes) * math.sqrt(1 / hidden)).requires_grad_()
    b2 = chainrule.zeros(n_classes, requires_grad=True)
    params = [W1, b1, W2, b2]

    def logits_of(inputs):
        return chainrule.tanh(inputs @ W1 + b1) @ W2 + b2

    print(f"\nMLP 2-{hidden}-{n_classes} (tanh) on {n_classes} spirals, {len(y)} points, "
          f"full-batch SGD lr={lr}, {steps} steps")
    every = max(1, steps // 10)
    losses = []
    start = time.perf_counter()
    for step in range(steps + 1):
        loss = F.cross_entropy(logits_of(x), y)
        losses.append(loss.item())
        if step % every == 0 or step == steps:
            print(f"  step {step:4d}  loss {losses[-1]:.4f}")
        if step == steps:
            break
        loss.backward()
        with chainrule.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    seconds = time.perf_counter() - start
    with chainrule.no_grad():
        predicted = logits_of(x).numpy().argmax(axis=1)
    accuracy = float((predicted == y.numpy()).mean())
    print(f"  loss {losses[0]:.4f} -> {losses[-1]:.4f}, training accuracy {accuracy:.1%} "
          f"({seconds:.2f} s)")
    result = {"dataset": f"{n_classes} spirals", "points": len(y), "hidden": hidden,
              "steps": steps, "lr": lr, "initial_loss": losses[0], "final_loss": losses[-1],
              "accuracy": accuracy, "seconds": seconds, "losses": losses}
    plot = _plot_losses(losses, out_dir / "loss.png")
    if plot is not None:
        result["loss_plot"] = str(plot)
        print(f"  loss curve: {plot}")
    return result


def _plot_losses(losses, path: Path):
    """The loss curve as a PNG, when matplotlib is installed (else ``None``)."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        return None
    fig = Figure(figsize=(5, 3.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(range(len(losses)), losses)
    ax.set_xlabel("SGD step")
    ax.set_ylabel("cross-entropy")
    ax.set_title("tiny MLP on spirals")
    fig.tight_layout()
    fig.savefig(path)
    return path


def demo(out: str = "runs/demo", quick: bool = False) -> dict:
    """Run the demo (see the module docstring); returns the report it writes."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"rosenbrock": _rosenbrock_part(out_dir), "mlp": _mlp_part(out_dir, quick),
              "quick": quick}
    path = out_dir / "report.json"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, path)
    print(f"\nreport: {path}")
    return report


def _fmt(x) -> str:
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return f"{x:.6g}"


# ====================================================================== graph
def graph(out: str | None = None, format: str | None = None) -> Path:
    """Draw the Rosenbrock graph at (-1.5, 2.0) after backward; returns the file written."""
    from chainrule.viz import draw_graph

    if format is None:
        format = Path(out).suffix.lstrip(".").lower() if out and Path(out).suffix else "svg"
    path = Path(out) if out else Path("runs/graph") / f"rosenbrock.{format}"
    if path.suffix.lstrip(".").lower() != format:
        path = path.with_name(path.name + f".{format}")
    f, leaves = rosenbrock_graph()
    written = _save_graph_quietly(draw_graph(f, leaves), path)
    print(f"wrote {written}")
    return written


# ====================================================================== train, summary
def _model_arg(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` -> (key, value), the value read as JSON when it parses (numbers, lists,
    true/false/null), else kept as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _input_size(text: str) -> tuple[int, ...]:
    """``C,H,W`` -> (C, H, W) of positive ints."""
    try:
        size = tuple(int(v) for v in text.split(","))
    except ValueError:
        size = ()
    if len(size) != 3 or min(size) < 1:
        raise argparse.ArgumentTypeError(f"expected C,H,W (three positive integers), got "
                                         f"{text!r}")
    return size


def train(args: argparse.Namespace) -> dict:
    """Run ``chainrule train`` from parsed arguments; returns the summary of the run."""
    from chainrule.train import TrainConfig, Trainer
    from chainrule.train_gan import GANRun, GANTrainConfig, is_gan
    from chainrule.train_generative import (GenerativeTrainConfig, GenerativeTrainer,
                                            is_generative)

    generative, gan = is_generative(args.model), is_gan(args.model)
    config_class, trainer_class = ((GenerativeTrainConfig, GenerativeTrainer) if generative
                                   else (GANTrainConfig, GANRun) if gan
                                   else (TrainConfig, Trainer))
    optimizer = args.optimizer if args.optimizer is not None or gan else "adam"
    config = config_class(
        model=args.model, dataset=args.dataset, epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, optimizer=optimizer, momentum=args.momentum,
        weight_decay=args.weight_decay, scheduler=args.scheduler, seed=args.seed,
        max_steps=args.max_steps, model_args=dict(args.model_arg), data_root=args.data_root,
        out=args.out)
    result = trainer_class(config, resume=args.resume).fit()
    if args.json:
        print(json.dumps(result))
    elif gan:
        toy = (f", {result['modes_covered']}/{result['modes_total']} modes, "
               f"{100 * result['high_quality_fraction']:.1f}% high quality"
               if "modes_covered" in result else "")
        print(f"{result['generator_steps']} generator steps{toy} after {result['epochs']} "
              f"epochs ({result['seconds']:.1f} s); files in {result['out']}")
    elif generative:
        bound = (f", test ELBO {result['test_elbo']:.2f} nats" if "test_elbo" in result
                 else "")
        print(f"test loss {result['test_loss']:.4f}{bound} after {result['epochs']} epochs "
              f"({result['seconds']:.1f} s); files in {result['out']}")
    else:
        print(f"test accuracy {result['test_accuracy']:.4f}, test loss "
              f"{result['test_loss']:.4f} after {result['epochs']} epochs "
              f"({result['seconds']:.1f} s); files in {result['out']}")
    return result


def evaluate(args: argparse.Namespace) -> dict:
    """``chainrule evaluate RUN``: the IWAE bounds of a trained VAE-family run (see
    ``chainrule.train_generative.evaluate_run``)."""
    from chainrule.train_generative import evaluate_run

    result = evaluate_run(args.run, tuple(args.k), args.images, args.seed, args.data_root)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['model']} on {result['dataset']} ({result['images']} test images, "
              f"epoch {result['epochs']}):")
        for k in args.k:
            print(f"  L_{k:<5d} {result[f'iwae_k{k}']:.3f} nats")
    return result


def summary(args: argparse.Namespace):
    """Print ``chainrule.analysis.summary`` of the model for one input of size C,H,W."""
    from chainrule.analysis import summary as model_summary
    from chainrule.train import ConfigError, make_model

    model = make_model(args.model, dict(args.model_arg))
    try:
        table = model_summary(model, (1, *args.input_size))
    except RuntimeError as e:
        raise ConfigError(f"{e}. For another input, build a model that takes it, e.g. "
                          f"--model-arg in_channels=3 --model-arg input_size=32") from None
    print(table)
    return table


def lab(args: argparse.Namespace) -> int:
    """``chainrule lab list`` (one experiment name per line) and ``chainrule lab run NAME|all``
    (each experiment's checks as PASS/FAIL lines, or one JSON line with ``--json``); the exit
    status is 1 when any check fails."""
    from chainrule import lab as lab_pkg

    if args.lab_command == "list":
        for name in sorted(lab_pkg.EXPERIMENTS):
            print(name)
        return 0
    names = sorted(lab_pkg.EXPERIMENTS) if args.name == "all" else [args.name]
    if args.name != "all" and args.name not in lab_pkg.EXPERIMENTS:
        raise ValueError(f"unknown experiment {args.name!r}; available: all, "
                         f"{', '.join(sorted(lab_pkg.EXPERIMENTS))}")
    report, failed = {}, 0
    for name in names:
        out = Path(args.out) / name
        started = time.perf_counter()
        checks = lab_pkg.run(name, quick=args.quick, out=out)
        failed += sum(not c.passed for c in checks)
        report[name] = {"out": str(out), "seconds": time.perf_counter() - started,
                        "checks": [c.to_dict() for c in checks]}
        if not args.json:
            print(f"{name} ({report[name]['seconds']:.1f} s, files in {out})")
            for c in checks:
                print(f"  {c}")
    if args.json:
        print(json.dumps({"quick": args.quick, "failed": failed, "experiments": report}))
    elif failed:
        print(f"{failed} check(s) failed")
    return 1 if failed else 0


# ====================================================================== entry point
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule", description="chainrule: a deep-learning "
                                     "framework built from the chain rule up.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("demo", help="Rosenbrock gradient/Hessian + a tiny MLP trained by SGD")
    p.add_argument("--out", default="runs/demo", metavar="DIR",
                   help="folder for report.json, the graph and the loss plot "
                        "(default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="a smaller, faster run")

    p = sub.add_parser("graph", help="draw the autograd graph of the Rosenbrock function")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="output file (default: runs/graph/rosenbrock.FORMAT)")
    p.add_argument("--format", choices=("svg", "png", "dot"), default=None,
                   help="file format (default: from --out's suffix, else svg)")

    from chainrule.models import GENERATIVE_MODELS, MODELS
    from chainrule.models.gan import GAN_VARIANTS
    from chainrule.train import DATASETS, OPTIMIZERS, SCHEDULERS
    from chainrule.train_gan import TOY_DATASETS
    models = sorted(MODELS)
    p = sub.add_parser("train", help="train a classifier, an autoencoder or a VAE on an "
                                     "MNIST-style dataset")
    p.add_argument("model", choices=sorted({**MODELS, **GENERATIVE_MODELS, **GAN_VARIANTS}),
                   help="model to train (classifiers: chainrule.train; autoencoders and the "
                        "VAE family: chainrule.train_generative; GANs: chainrule.train_gan)")
    p.add_argument("--dataset", choices=DATASETS + TOY_DATASETS, default="mnist-sample",
                   help="mnist-sample is shipped inside the package; ring8 and grid25 are 2-D "
                        "toy data for the GANs (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=5, metavar="N",
                   help="train until epoch N (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, metavar="B",
                   help="default: %(default)s")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 0.05 for sgd, 1e-3 otherwise)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                   help="default: adam (a GAN variant fixes its own)")
    p.add_argument("--momentum", type=float, default=None, metavar="M",
                   help="sgd and rmsprop only (default: 0.9 for sgd, 0 for rmsprop)")
    p.add_argument("--weight-decay", type=float, default=None, metavar="W",
                   help="default: the optimizer's (0, or 0.01 for adamw)")
    p.add_argument("--scheduler", choices=SCHEDULERS, default="none",
                   help="cosine: CosineAnnealingLR over the epochs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seeds initialisation, dropout and shuffling (default: %(default)s)")
    p.add_argument("--model-arg", type=_model_arg, action="append", default=[],
                   metavar="KEY=VALUE",
                   help="keyword argument of the model, e.g. hidden=128 (repeatable)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="run folder (default: runs/MODEL-DATASET)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in DIR from its checkpoint")
    p.add_argument("--json", action="store_true",
                   help="print the final summary as one JSON line (the last line of stdout)")
    p.add_argument("--data-root", default=None, metavar="PATH",
                   help="folder with the IDX files (mnist, fashion-mnist)")
    p.add_argument("--max-steps", type=int, default=None, metavar="N",
                   help="at most N batches per epoch (smoke runs)")

    p = sub.add_parser("evaluate", help="IWAE bounds (k = 5000: log p(x)) of a trained VAE "
                                        "run")
    p.add_argument("run", metavar="DIR", help="the run folder of `chainrule train vae|beta-vae"
                                              "|iwae`")
    p.add_argument("--k", type=int, nargs="+", default=[1, 5, 50, 5000],
                   help="numbers of importance samples (default: 1 5 50 5000)")
    p.add_argument("--images", type=int, default=1000, metavar="N",
                   help="the first N test images (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="default: %(default)s")
    p.add_argument("--data-root", default=None, metavar="PATH",
                   help="folder with the IDX files (mnist, fashion-mnist)")
    p.add_argument("--json", action="store_true", help="print one JSON line")

    p = sub.add_parser("summary", help="layer-by-layer table of a model")
    p.add_argument("model", choices=models, help="model to describe")
    p.add_argument("--input-size", type=_input_size, default=(1, 28, 28), metavar="C,H,W",
                   help="size of one input (default: 1,28,28)")
    p.add_argument("--model-arg", type=_model_arg, action="append", default=[],
                   metavar="KEY=VALUE", help="keyword argument of the model (repeatable)")

    p = sub.add_parser("lab", help="experiments that measure claims: list, run")
    lab_sub = p.add_subparsers(dest="lab_command", metavar="LAB_COMMAND")
    lab_sub.required = True
    lab_sub.add_parser("list", help="the experiments, one name per line")
    q = lab_sub.add_parser("run", help="run an experiment (or all); exit status 1 when a "
                                       "check fails")
    q.add_argument("name", help="an experiment name from `chainrule lab list`, or all")
    q.add_argument("--quick", action="store_true", help="the small variant (minutes or less)")
    q.add_argument("--out", default="runs/lab", metavar="DIR",
                   help="folder; each experiment writes into DIR/NAME (default: %(default)s)")
    q.add_argument("--json", action="store_true", help="print one JSON line of all checks")
    return parser


def main(argv=None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command in ("train", "summary", "evaluate"):
        from chainrule.train import ConfigError
        try:
            if args.command == "train":
                train(args)
            elif args.command == "evaluate":
                evaluate(args)
            else:
                summary(args)
        except (ConfigError, FileNotFoundError) as e:
            parser.exit(2, f"chainrule {args.command}: error: {e}\n")
    elif args.command == "demo":
        demo(args.out, args.quick)
    elif args.command == "graph":
        graph(args.out, args.format)
    elif args.command == "lab":
        try:
            return lab(args)
        except ValueError as e:
            parser.exit(2, f"chainrule lab: error: {e}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
