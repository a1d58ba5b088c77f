"""chainrule's intra-op threads (``chainrule.set_num_threads``): each step benchmark's chainrule
step on one thread against the same step on chainrule's default threads, in alternating blocks
(``_harness.paired_times``), all in one process and without torch.

    python -m benchmarks.threads [--rounds 10] [--block 5] [--only cnn,mlp64,...]

Prints per workload the median milliseconds on 1 and on N threads and the median of the
per-round ratios N/1 with its quartiles (below 1: the threads pay).
"""
from __future__ import annotations

import argparse

import numpy as np

from ._harness import (adam_classifier_step, machine, paired_times, print_table,
                       reexec_with_allocator_settings)


def _cnn(cr):
    from chainrule.models import CNN
    from .cnn import _data
    x, y = _data(128)
    cr.manual_seed(0)
    return adam_classifier_step(cr, CNN(), cr.from_numpy(x), cr.from_numpy(y))


def _mlp(batch: int):
    def build(cr):
        from .mlp import chainrule_step, data
        return chainrule_step(*data(batch))
    return build


def _rnn(kind: str):
    def build(cr):
        from .rnn import _data, _model
        x, y = _data(128, 28)
        cr.manual_seed(0)
        return adam_classifier_step(cr, _model(cr, kind, 128), cr.from_numpy(x),
                                    cr.from_numpy(y))
    return build


def _gan(kind: str):
    def build(cr):
        from chainrule.train_gan import GANTrainConfig, build_gan
        toy = kind == "toy"
        cr.manual_seed(0)
        config = GANTrainConfig("wgan-gp" if toy else "nsgan",
                                "ring8" if toy else "fashion-mnist",
                                batch_size=256 if toy else 128, out="unused",
                                model_args={"hidden": [128] * 3} if toy else {"channels": 32})
        gan = build_gan(config)[2]
        shape = (256, 2) if toy else (128, 1, 28, 28)
        real = cr.from_numpy(np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32))
        return lambda: gan.step(real)
    return build


WORKLOADS = {"cnn": _cnn, "mlp64": _mlp(64), "mlp256": _mlp(256), "lstm": _rnn("LSTM"),
             "gru": _rnn("GRU"), "wgan-gp-toy": _gan("toy"), "dcgan": _gan("dcgan")}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--block", type=int, default=5)
    ap.add_argument("--only", default=",".join(WORKLOADS),
                    help=f"comma-separated subset of {', '.join(WORKLOADS)}")
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr

    many = cr.get_num_threads()
    rows = []
    for name in args.only.split(","):
        step = WORKLOADS[name](cr)

        def on(n, step=step):
            def run():
                cr.set_num_threads(n)
                step()
            return run
        block = args.block if name != "dcgan" else max(1, args.block // 2)
        t = paired_times(on(1), on(many), rounds=args.rounds, block=block)
        cr.set_num_threads(many)
        rows.append([name, f"{t['a'] * 1e3:.1f}", f"{t['b'] * 1e3:.1f}", f"{1 / t['ratio']:.2f}",
                     f"{1 / t['q3']:.2f}-{1 / t['q1']:.2f}"])
    print(f"machine: {machine()}")
    print_table(f"chainrule steps on 1 and on {many} threads ({args.rounds} alternating rounds)",
                ["workload", "1 thread ms", f"{many} threads ms", f"{many}/1",
                 "ratio quartiles"], rows)


if __name__ == "__main__":
    main()
