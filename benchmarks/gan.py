"""One generator iteration of two GANs: chainrule vs PyTorch eager in one run, the same networks
from the same initial weights.

* ``wgan-gp toy``: the MLPs of ``chainrule train wgan-gp --dataset ring8`` (2-D noise, three ReLU
  layers of ``--hidden``), batch 256, 5 critic steps with the gradient penalty (a double
  backward through the critic) and one generator step, Adam (0.5, 0.9).
* ``dcgan``: the DCGAN nets of ``chainrule train nsgan --dataset fashion-mnist`` with 32 base
  channels (ConvTranspose2d + BatchNorm generator, Conv2d + BatchNorm discriminator), batch 128
  of 28 x 28 images, one discriminator step and one non-saturating generator step, Adam.

    python -m benchmarks.gan [--rounds 8] [--hidden 128]

The two libraries run in alternating blocks of iterations (``_harness.paired_times``). Prints
the median milliseconds per generator iteration, the median of the per-round ratios
chainrule/torch and their quartiles.
"""
from __future__ import annotations

import argparse

import numpy as np

from ._harness import (machine, paired_times, print_table, reexec_with_allocator_settings,
                       setup_torch)


def _torch_nets(torch, kind: str, hidden: int):
    """torch modules with the parameter names of chainrule.models.gan's nets."""
    nn = torch.nn

    class Holder(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            if kind == "dcgan" and x.ndim == 2:
                x = x.reshape(x.shape[0], -1, 1, 1)
            return self.net(x)

    def mlp(i, o):
        layers, w = [], i
        for _ in range(3):
            layers += [nn.Linear(w, hidden), nn.ReLU()]
            w = hidden
        return nn.Sequential(*layers, nn.Linear(w, o))

    if kind == "toy":
        return Holder(mlp(2, 2)), Holder(mlp(2, 1))
    c = 32
    g = nn.Sequential(nn.ConvTranspose2d(100, 2 * c, 7, 1, 0, bias=False), nn.BatchNorm2d(2 * c),
                      nn.ReLU(), nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False),
                      nn.BatchNorm2d(c), nn.ReLU(), nn.ConvTranspose2d(c, 1, 4, 2, 1, bias=False),
                      nn.Tanh())
    d = nn.Sequential(nn.Conv2d(1, c, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c),
                      nn.LeakyReLU(0.2), nn.Conv2d(2 * c, 1, 7, 1, 0), nn.Flatten())
    return Holder(g), Holder(d)


def _torch_step(torch, kind: str, G, D, real, latent: int):
    """One generator iteration in torch, the same algorithm as chainrule's GANTrainer.step."""
    F = torch.nn.functional
    if kind == "toy":
        opt_g = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.5, 0.9))
    else:
        opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    n = real.shape[0]

    def step():
        for _ in range(5 if kind == "toy" else 1):
            with torch.no_grad():
                fake = G(torch.randn(n, latent))
            d_real, d_fake = D(real).squeeze(-1), D(fake).squeeze(-1)
            if kind == "toy":
                loss = d_fake.mean() - d_real.mean()
                a = torch.rand(n, 1)
                x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
                s = D(x_hat).squeeze(-1)
                (g,) = torch.autograd.grad(s, x_hat, torch.ones_like(s), create_graph=True)
                loss = loss + 10 * ((g.reshape(n, -1).norm(2, dim=1) - 1) ** 2).mean()
            else:
                loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                        + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
        for p in D.parameters():
            p.requires_grad_(False)
        s = D(G(torch.randn(n, latent))).squeeze(-1)
        g_loss = -s.mean() if kind == "toy" else -F.logsigmoid(s).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        for p in D.parameters():
            p.requires_grad_(True)
    return step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=8,
                    help="alternating blocks of chainrule and torch iterations")
    ap.add_argument("--hidden", type=int, default=128)
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr
    from chainrule.train_gan import GANTrainConfig, build_gan

    rng = np.random.default_rng(0)
    # kind: variant, data, batch, model arguments, latent size, iterations per block
    work = {"toy": ("wgan-gp", "ring8", 256, {"hidden": [args.hidden] * 3}, 2, 4),
            "dcgan": ("nsgan", "fashion-mnist", 128, {"channels": 32}, 100, 2)}
    torch = setup_torch()
    rows = []
    for kind, (variant, data, batch, model_args, latent, block) in work.items():
        cr.manual_seed(0)
        config = GANTrainConfig(variant, data, batch_size=batch, model_args=model_args,
                                out="unused")
        G, D, gan = build_gan(config)
        shape = (batch, 2) if kind == "toy" else (batch, 1, 28, 28)
        real = rng.uniform(-1, 1, shape).astype(np.float32)
        torch.manual_seed(0)
        tG, tD = _torch_nets(torch, kind, args.hidden)
        for net, mine in zip((tG, tD), (G, D)):
            net.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                                 for k, v in mine.state_dict().items()})
        real_cr = cr.from_numpy(real)
        t = paired_times(lambda gan=gan, real_cr=real_cr: gan.step(real_cr),
                         _torch_step(torch, kind, tG, tD, torch.from_numpy(real), latent),
                         rounds=args.rounds, block=block, warmup=2)
        name = f"{variant} {'toy MLP' if kind == 'toy' else 'DCGAN'}"
        rows.append([name, str(batch), f"{t['a'] * 1e3:.1f}", f"{t['b'] * 1e3:.1f}",
                     f"{t['ratio']:.2f}", f"{t['q1']:.2f}-{t['q3']:.2f}"])
    print(f"machine: {machine()}, torch {torch.__version__}")
    print_table("one generator iteration (wgan-gp: 5 critic steps with the gradient penalty; "
                f"nsgan: 1 discriminator step; {args.rounds} alternating rounds)",
                ["workload", "batch", "chainrule ms", "torch ms", "chainrule/torch",
                 "ratio quartiles"], rows)

if __name__ == "__main__":
    main()
