"""The ``chainrule`` command (also ``python -m chainrule``).

Subcommands:

* ``demo [--out DIR] [--quick]``: the framework at work. Trains the CNN on the MNIST sample
  shipped in the package (``chainrule.train``, 3 epochs; ``--quick``: 1 epoch of 20 batches)
  into ``DIR/cnn``, then runs every lab experiment's quick variant and writes the HTML report
  ``DIR/lab/report.html`` (``chainrule.lab.report``); ``DIR/demo.json`` sums it up. Exit
  status 1 when a lab check fails.
* ``graph [--out FILE] [--format svg|png|dot]``: the Rosenbrock graph at (-1.5, 2.0) after
  ``backward``, with values, gradients and local derivatives, written as SVG/PNG (Graphviz) or
  DOT text.
* ``train MODEL --dataset NAME [options]``: train a classifier (``chainrule.train``), an
  autoencoder / VAE (``chainrule.train_generative``) or a GAN (``chainrule.train_gan``), with a
  progress bar, writing metrics, curves, config and a resumable checkpoint to ``--out``.
  ``train dqn|dqn-cnn|q-learning --env NAME [--steps N]``: reinforcement learning
  (``chainrule.train_rl``; gymnasium and MinAtar environments).
* ``evaluate RUN [--k 1 5 50 5000] [--images N]``: the IWAE bounds of a trained VAE run.
* ``summary MODEL [--input-size C,H,W]``: the layer table of ``chainrule.analysis.summary``.
* ``lab list`` / ``lab run NAME|all [--quick] [--out DIR] [--json]``: the experiments of
  ``chainrule.lab``; ``lab report [--quick] [--out DIR] [--only NAME ...]`` runs them and writes
  one self-contained HTML page (``chainrule.lab.report``); exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path


# ====================================================================== graph files
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
DEMO_EPOCHS = 3       # the CNN reaches about 0.97 test accuracy on the MNIST sample


def demo(out: str = "runs/demo", quick: bool = False) -> dict:
    """Run the demo (see the module docstring): train the CNN on the embedded MNIST sample into
    ``out/cnn``, then write the quick lab report into ``out/lab``; returns the summary it also
    writes to ``out/demo.json`` (``cnn``: the training summary, ``lab``: checks passed and
    failed, the report's files)."""
    from chainrule.lab import report
    from chainrule.train import TrainConfig, Trainer

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    epochs, max_steps = (1, 20) if quick else (DEMO_EPOCHS, None)
    steps = f", at most {max_steps} batches each" if max_steps else ""
    print(f"[1/2] training the CNN (chainrule.models.CNN, Adam) on the MNIST sample shipped in "
          f"the package: {epochs} epoch(s){steps}", flush=True)
    config = TrainConfig(model="cnn", dataset="mnist-sample", epochs=epochs,
                         max_steps=max_steps, out=str(out_dir / "cnn"))
    cnn = Trainer(config).fit()
    print(f"      test accuracy {cnn['test_accuracy']:.4f} after {cnn['epochs']} epoch(s) "
          f"({cnn['seconds']:.1f} s)\n", flush=True)
    print("[2/2] the lab: every experiment's quick variant (chainrule lab report --quick)",
          flush=True)
    lab_summary = report.build(out_dir / "lab", quick=True)
    result = {"quick": quick, "cnn": cnn,
              "lab": {k: lab_summary[k] for k in ("passed", "failed", "seconds", "html",
                                                   "json")}}
    path = out_dir / "demo.json"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, path)
    run = Path(cnn["out"])
    print(f"\nCNN run:    {run}/ (curves.png, metrics.jsonl, config.json, "
          f"checkpoint.safetensors)")
    print(f"lab report: {lab_summary['html']} ({lab_summary['passed']} of "
          f"{lab_summary['passed'] + lab_summary['failed']} checks passed; open it in a browser)")
    print(f"summary:    {path}")
    return result


# ====================================================================== graph
def graph(out: str | None = None, format: str | None = None) -> Path:
    """Draw the Rosenbrock graph at (-1.5, 2.0) after backward; returns the file written."""
    from chainrule.viz import draw_graph

    if format is None:
        format = Path(out).suffix.lstrip(".").lower() if out and Path(out).suffix else "svg"
    path = Path(out) if out else Path("runs/graph") / f"rosenbrock.{format}"
    if path.suffix.lstrip(".").lower() != format:
        path = path.with_name(path.name + f".{format}")
    from chainrule.lab.computational_graph import rosenbrock_graph

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
    from chainrule.train_rl import RL_MODELS, run_from_args
    if args.model in RL_MODELS:
        return run_from_args(args)
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
        model=args.model, dataset=args.dataset, epochs=args.epochs,
        batch_size=64 if args.batch_size is None else args.batch_size,
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
    """``chainrule lab list`` (one experiment name per line), ``chainrule lab run NAME|all``
    (each experiment's checks as PASS/FAIL lines, or one JSON line with ``--json``) and
    ``chainrule lab report`` (``chainrule.lab.report``: the HTML page); the exit status is 1
    when any check fails."""
    from chainrule import lab as lab_pkg

    if args.lab_command == "list":
        for name in sorted(lab_pkg.EXPERIMENTS):
            print(name)
        return 0
    if args.lab_command == "report":
        from chainrule.lab import report
        return 1 if report.build(args.out, args.quick, args.only)["failed"] else 0
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

    p = sub.add_parser("demo", help="train the CNN on the MNIST sample, then write the lab's "
                                    "quick report (HTML)")
    p.add_argument("--out", default="runs/demo", metavar="DIR",
                   help="folder: DIR/cnn (the training run), DIR/lab/report.html, DIR/demo.json "
                        "(default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="train 1 epoch of at most 20 batches (for tests)")

    p = sub.add_parser("graph", help="draw the autograd graph of the Rosenbrock function")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="output file (default: runs/graph/rosenbrock.FORMAT)")
    p.add_argument("--format", choices=("svg", "png", "dot"), default=None,
                   help="file format (default: from --out's suffix, else svg)")

    from chainrule.models import GENERATIVE_MODELS, MODELS
    from chainrule.models.gan import GAN_VARIANTS
    from chainrule.train import DATASETS, OPTIMIZERS, SCHEDULERS
    from chainrule.train_gan import TOY_DATASETS
    from chainrule.train_rl import RL_MODELS, add_rl_arguments
    models = sorted(MODELS)
    p = sub.add_parser("train", help="train a classifier, an autoencoder or a VAE on an "
                                     "MNIST-style dataset")
    p.add_argument("model", choices=sorted({**MODELS, **GENERATIVE_MODELS, **GAN_VARIANTS,
                                            **dict.fromkeys(RL_MODELS)}),
                   help="model to train (classifiers: chainrule.train; autoencoders and the "
                        "VAE family: chainrule.train_generative; GANs: chainrule.train_gan)")
    p.add_argument("--dataset", choices=DATASETS + TOY_DATASETS, default="mnist-sample",
                   help="mnist-sample is shipped inside the package; ring8 and grid25 are 2-D "
                        "toy data for the GANs (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=5, metavar="N",
                   help="train until epoch N (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=None, metavar="B",
                   help="default: 64 (dqn-cnn: 32, as the MinAtar paper)")
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
    add_rl_arguments(p, _model_arg)

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

    p = sub.add_parser("lab", help="experiments that measure claims: list, run, report")
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
    q = lab_sub.add_parser("report", help="run the experiments and write one self-contained "
                                          "HTML page (DIR/report.html, DIR/report.json); exit "
                                          "status 1 when a check fails")
    q.add_argument("--quick", action="store_true", help="the small variants (for CI)")
    q.add_argument("--out", default="runs/lab", metavar="DIR",
                   help="folder; each experiment writes into DIR/NAME (default: %(default)s)")
    q.add_argument("--only", nargs="+", action="extend", default=None, metavar="NAME",
                   help="only these experiments (default: every one of `chainrule lab list`)")
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
        return 1 if demo(args.out, args.quick)["lab"]["failed"] else 0
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
