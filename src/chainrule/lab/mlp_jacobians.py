"""The Jacobians of an MLP: backpropagation is a product of Jacobian matrices, taken from the left.

Claim. A 784-256-256-10 MLP with tanh hidden units, softmax and cross-entropy on one example
(x, y) computes

    a1 = W1 x + b1,  h1 = tanh(a1),  a2 = W2 h1 + b2,  h2 = tanh(a2),  z3 = W3 h2 + b3,
    p = softmax(z3),  L = -log p_y.

Writing each derivative as a Jacobian (rows: outputs, columns: inputs; L is a scalar, so dL/dv
is a 1 x dim(v) row), the chain rule is the matrix product

    dL/dx = dL/dp . dp/dz3 . dz3/dh2 . dh2/da2 . da2/dh1 . dh1/da1 . da1/dx
            (1x10) (10x10)  (10x256)  (256x256) (256x256) (256x256) (256x784)  =  1 x 784,

with dL/dp = -e_y^T / p_y, dp/dz3 = diag(p) - p p^T (so dL/dz3 = (p - e_y)^T, 1x10),
dz3/dh2 = W3, dh2/da2 = diag(1 - h2^2) (diagonal: tanh acts per unit), da2/dh1 = W2,
dh1/da1 = diag(1 - h1^2), da1/dx = W1. For the first layer's parameters, da1/db1 = I (256x256),
so dL/db1 = dL/da1 (1x256); and a1 depends on the 256 x 784 matrix W1 through the third-order
tensor da1/dW1 of shape 256 x 256 x 784, (da1/dW1)_{i,j,k} = d a1_i / d W1_{jk} = delta_ij x_k.
Contracting it with the row dL/da1 over i gives dL/dW1 as a 256 x 784 matrix:

    (dL/dW1)_{jk} = sum_i (dL/da1)_i delta_ij x_k = (dL/da1)_j x_k,   dL/dW1 = (dL/da1)^T x^T,

an outer product: for one example the weight gradient has rank one. Backpropagation evaluates
the product from the left, one vector-Jacobian product per factor (the diagonal ones are
elementwise products): 10 + 10*256 + 256 + 256*256 + 256 + 256*784 ~ 270,000 multiplications
for dL/dx. Multiplying the Jacobian matrices from the right instead (forward accumulation:
da1/dx = W1, dh1/dx = D1 W1, da2/dx = W2 (D1 W1), ...) carries 784 columns through every
factor: 256*784 + 256*256*784 + 256*784 + 10*256*784 + 10*10*784 + 10*784 ~ 54 million, 200x
more, because the output is one number and the input has 784.

Measured here: the MLP (torch's default init U(-1/sqrt(fan_in), 1/sqrt(fan_in)) by
chainrule.nn.Linear with chainrule.manual_seed(0), float64) on one real digit of the shipped
MNIST sample (pixels in [0, 1]). The hand-derived formulas are written in NumPy twice: as
vector-Jacobian products (what backward does) and as the explicit product of the full Jacobian
matrices; dL/dW1 once as the outer product and once as the contraction of the full
256 x 256 x 784 tensor da1/dW1 (411 MB in float64; the quick variant uses a 784-64-64-10 MLP,
so its tensor is 64 x 64 x 784). These are compared with chainrule's ``backward``, with the
Jacobians of every link computed by ``chainrule.autograd.functional.jacobian`` (shapes and
values, and their product), and with torch's autograd on the same weights when torch is
installed. Checked: every Jacobian has the shape in the table above; the tanh Jacobians are
diagonal (off-diagonal entries exactly 0); every pair of ways to get dL/dx, dL/db1, dL/dW1 agrees
to 1e-10 relative (max |a - b| / max |b|); dL/dW1 has rank one (sigma_2 / sigma_1 <= 1e-12).
``mlp_jacobians.png`` shows x, dL/dx, dL/dW1, a corner of the diagonal dh1/da1, the singular
values of dL/dW1 and the errors; ``mlp_jacobians.json`` holds the numbers and the shape table.

    python -m chainrule.lab.mlp_jacobians [--quick] [--out DIR]
"""
from __future__ import annotations

from pathlib import Path

from ..backend import np
from ._checks import (Check, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "mlp-jacobians"
FULL = {"sizes": [784, 256, 256, 10], "seed": 0, "example": 0}
QUICK = {"sizes": [784, 64, 64, 10], "seed": 0, "example": 0}
AGREE_TOL = 1e-10         # relative, float64
RANK_ONE_TOL = 1e-12      # sigma_2 / sigma_1 of dL/dW1


# ====================================================================== the network, in NumPy
def make_mlp(sizes, seed: int = 0) -> dict:
    """W1, b1, W2, b2, W3, b3 (NumPy float64) of ``chainrule.nn.Linear`` layers of ``sizes``,
    default-initialised after ``chainrule.manual_seed(seed)``."""
    import chainrule
    from chainrule import nn

    chainrule.manual_seed(seed)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        layer = nn.Linear(n_in, n_out).double()
        params[f"W{k}"] = layer.weight.detach().numpy().copy()
        params[f"b{k}"] = layer.bias.detach().numpy().copy()
    return params


def example(index: int = 0) -> tuple:
    """(x, y): test digit ``index`` of the shipped MNIST sample, flattened, in [0, 1]
    (float64), and its label."""
    from chainrule.data import MNISTSample

    data = MNISTSample(train=False)
    img, label = data[index]
    return img.numpy().reshape(-1).astype(np.float64) / 255.0, int(label)


def forward(params: dict, x) -> dict:
    """Every intermediate of the docstring's forward pass (NumPy)."""
    a1 = params["W1"] @ x + params["b1"]
    h1 = np.tanh(a1)
    a2 = params["W2"] @ h1 + params["b2"]
    h2 = np.tanh(a2)
    z3 = params["W3"] @ h2 + params["b3"]
    e = np.exp(z3 - z3.max())
    p = e / e.sum()
    return {"x": x, "a1": a1, "h1": h1, "a2": a2, "h2": h2, "z3": z3, "p": p}


def loss(params: dict, x, y: int) -> float:
    return float(-np.log(forward(params, x)["p"][y]))


def jacobians_by_hand(params: dict, x, y: int, with_tensor: bool = True) -> dict:
    """Every Jacobian of the chain as a NumPy matrix (rows: outputs), by the formulas of the
    docstring; ``da1/dW1`` as the full (H1, H1, 784) tensor delta_ij x_k when ``with_tensor``."""
    v = forward(params, x)
    p, n_out = v["p"], len(v["p"])
    e_y = np.eye(n_out)[y]
    h1n = len(v["a1"])
    jac = {
        "dL/dp": (-e_y / p[y])[None, :],
        "dp/dz3": np.diag(p) - np.outer(p, p),
        "dL/dz3": (p - e_y)[None, :],
        "dz3/dh2": params["W3"],
        "dh2/da2": np.diag(1 - v["h2"] ** 2),
        "da2/dh1": params["W2"],
        "dh1/da1": np.diag(1 - v["h1"] ** 2),
        "da1/dx": params["W1"],
        "da1/db1": np.eye(h1n),
    }
    if with_tensor:
        jac["da1/dW1"] = np.einsum("ij,k->ijk", np.eye(h1n), x)
    return jac


def gradients_by_hand(params: dict, x, y: int) -> dict:
    """dL/dx, dL/db1, dL/dW1 by vector-Jacobian products from the left (what backward does):
    the diagonal Jacobians as elementwise products, dL/dW1 as the outer product."""
    v = forward(params, x)
    g_z3 = v["p"] - np.eye(len(v["p"]))[y]
    g_a2 = (g_z3 @ params["W3"]) * (1 - v["h2"] ** 2)
    g_a1 = (g_a2 @ params["W2"]) * (1 - v["h1"] ** 2)
    return {"dL/dx": g_a1 @ params["W1"], "dL/db1": g_a1, "dL/dW1": np.outer(g_a1, x),
            "dL/da1": g_a1}


def gradients_by_jacobian_product(jac: dict) -> dict:
    """dL/dx, dL/db1 and dL/dW1 as products of the full Jacobian matrices (and, for dL/dW1,
    the contraction of the row dL/da1 with the tensor da1/dW1 over its first index)."""
    g_a1 = (jac["dL/dp"] @ jac["dp/dz3"] @ jac["dz3/dh2"] @ jac["dh2/da2"] @ jac["da2/dh1"]
            @ jac["dh1/da1"])
    out = {"dL/dx": (g_a1 @ jac["da1/dx"])[0], "dL/db1": (g_a1 @ jac["da1/db1"])[0]}
    if "da1/dW1" in jac:
        out["dL/dW1"] = np.tensordot(g_a1[0], jac["da1/dW1"], axes=1)
    return out


def expected_shapes(sizes) -> dict:
    """The shape of every Jacobian of the chain for an MLP of ``sizes`` (L scalar: 1 x n rows)."""
    n_in, h1, h2, n_out = sizes
    return {"dL/dp": [1, n_out], "dp/dz3": [n_out, n_out], "dL/dz3": [1, n_out],
            "dz3/dh2": [n_out, h2], "dh2/da2": [h2, h2], "da2/dh1": [h2, h1],
            "dh1/da1": [h1, h1], "da1/dx": [h1, n_in], "da1/db1": [h1, h1],
            "da1/dW1": [h1, h1, n_in], "dL/dW1": [h1, n_in], "dL/db1": [h1], "dL/dx": [n_in]}


# ====================================================================== chainrule, torch
def chainrule_gradients(params: dict, x, y: int) -> dict:
    """dL/dx, dL/db1, dL/dW1 by chainrule's ``backward`` (float64)."""
    import chainrule
    import chainrule.nn.functional as F

    t = {k: chainrule.tensor(v, dtype=chainrule.float64, requires_grad=True)
         for k, v in params.items()}
    tx = chainrule.tensor(x, dtype=chainrule.float64, requires_grad=True)
    h1 = chainrule.tanh(t["W1"] @ tx + t["b1"])
    h2 = chainrule.tanh(t["W2"] @ h1 + t["b2"])
    z3 = t["W3"] @ h2 + t["b3"]
    loss = F.cross_entropy(z3.unsqueeze(0), chainrule.tensor([y]))
    loss.backward()
    return {"loss": loss.item(), "dL/dx": tx.grad.numpy(), "dL/db1": t["b1"].grad.numpy(),
            "dL/dW1": t["W1"].grad.numpy()}


def chainrule_jacobians(params: dict, x, y: int) -> dict:
    """Every Jacobian of the chain by ``chainrule.autograd.functional.jacobian`` at the
    network's own intermediates (NumPy arrays of torch's shape out.shape + in.shape; the
    loss is made a 1-element vector so its Jacobians are 1 x n rows)."""
    import chainrule
    import chainrule.nn.functional as F
    from chainrule.autograd.functional import jacobian

    v = forward(params, x)
    T = {k: chainrule.tensor(a, dtype=chainrule.float64) for k, a in {**params, **v}.items()}
    target = chainrule.tensor([y])

    def ce(z):
        return F.cross_entropy(z.unsqueeze(0), target)

    def whole(W1=T["W1"], b1=T["b1"], x=T["x"]):
        h1 = chainrule.tanh(W1 @ x + b1)
        return ce(T["W3"] @ chainrule.tanh(T["W2"] @ h1 + T["b2"]) + T["b3"])

    links = {
        "dL/dp": (lambda p: -chainrule.log(p[y]).reshape(1), "p"),
        "dp/dz3": (lambda z: F.softmax(z, dim=0), "z3"),
        "dL/dz3": (lambda z: ce(z).reshape(1), "z3"),
        "dz3/dh2": (lambda h: T["W3"] @ h + T["b3"], "h2"),
        "dh2/da2": (chainrule.tanh, "a2"),
        "da2/dh1": (lambda h: T["W2"] @ h + T["b2"], "h1"),
        "dh1/da1": (chainrule.tanh, "a1"),
        "da1/dx": (lambda u: T["W1"] @ u + T["b1"], "x"),
        "da1/db1": (lambda b: T["W1"] @ T["x"] + b, "b1"),
        "da1/dW1": (lambda W: W @ T["x"] + T["b1"], "W1"),
        "dL/dW1": (lambda W: whole(W1=W), "W1"),
        "dL/db1": (lambda b: whole(b1=b), "b1"),
        "dL/dx": (lambda u: whole(x=u), "x"),
    }
    return {name: jacobian(fn, T[at]).numpy() for name, (fn, at) in links.items()}


def torch_gradients(params: dict, x, y: int) -> dict | None:
    """dL/dx, dL/db1, dL/dW1 by torch's autograd on the same weights (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    h1 = torch.tanh(t["W1"] @ tx + t["b1"])
    h2 = torch.tanh(t["W2"] @ h1 + t["b2"])
    loss = torch.nn.functional.cross_entropy((t["W3"] @ h2 + t["b3"]).unsqueeze(0),
                                             torch.tensor([y]))
    loss.backward()
    return {"loss": loss.item(), "dL/dx": tx.grad.numpy(), "dL/db1": t["b1"].grad.numpy(),
            "dL/dW1": t["W1"].grad.numpy()}


def relative_error(a, b) -> float:
    """max |a - b| / max |b|."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ====================================================================== measure
GRADS = ("dL/dx", "dL/db1", "dL/dW1")


def measure(budget: dict) -> dict:
    """All ways to the three gradients, the Jacobians' shapes and values (see the docstring)."""
    sizes = budget["sizes"]
    params = make_mlp(sizes, budget["seed"])
    x, y = example(budget["example"])
    vjp = gradients_by_hand(params, x, y)
    hand_jac = jacobians_by_hand(params, x, y)
    product = gradients_by_jacobian_product(hand_jac)
    auto = chainrule_gradients(params, x, y)
    auto_jac = chainrule_jacobians(params, x, y)
    ref = torch_gradients(params, x, y)
    auto_product = gradients_by_jacobian_product(
        {k: v for k, v in auto_jac.items() if k in hand_jac})

    # pairs of ways to each gradient, all compared against the hand-derived VJP formulas
    ways = {"hand: product of Jacobian matrices": product,
            "chainrule backward": auto,
            "chainrule functional.jacobian of L": {g: auto_jac[g] for g in GRADS},
            "product of chainrule's link Jacobians": auto_product}
    if ref is not None:
        ways["torch autograd"] = ref
    agreement = {way: {g: relative_error(vals[g], vjp[g]) for g in GRADS if g in vals}
                 for way, vals in ways.items()}
    if ref is not None:
        agreement["chainrule backward vs torch autograd"] = {
            g: relative_error(auto[g], ref[g]) for g in GRADS}
    jac_errors = {name: relative_error(auto_jac[name], hand_jac[name]) for name in hand_jac}
    shapes = {name: list(j.shape) for name, j in auto_jac.items()}
    off_diagonal = {name: float(np.max(np.abs(auto_jac[name] - np.diag(np.diag(auto_jac[name])))))
                    for name in ("dh1/da1", "dh2/da2")}
    sv = np.linalg.svd(auto["dL/dW1"], compute_uv=False)
    v = forward(params, x)
    return {
        "sizes": sizes, "label": y, "loss": loss(params, x, y),
        "loss_chainrule": auto["loss"], "loss_torch": None if ref is None else ref["loss"],
        "predicted": int(np.argmax(v["p"])),
        "shapes": shapes, "expected_shapes": expected_shapes(sizes),
        "jacobian_errors": jac_errors, "tanh_off_diagonal": off_diagonal,
        "agreement": agreement,
        "max_agreement_error": max(e for d in agreement.values() for e in d.values()),
        "torch": ref is not None,
        "dLdW1_singular_values": sv[:8].tolist(),
        "dLdW1_rank_ratio": float(sv[1] / sv[0]),
        "tensor_shape": list(hand_jac["da1/dW1"].shape),
        "tensor_megabytes": hand_jac["da1/dW1"].nbytes / 2 ** 20,
        "images": {"x": x.tolist(), "dL/dx": vjp["dL/dx"].tolist(),
                   "dL/dW1": vjp["dL/dW1"].tolist(),
                   "dh1/da1 corner": auto_jac["dh1/da1"][:24, :24].tolist()},
    }


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    shapes, expected = r["shapes"], r["expected_shapes"]
    wrong = sorted(k for k in expected if shapes.get(k) != expected[k])
    found = [
        Check("every Jacobian of the chain has its expected shape", not wrong,
              len(expected) - len(wrong), f"== {len(expected)}",
              "shapes right, from functional.jacobian" + (f"; wrong: {wrong}" if wrong else "")),
        at_most("functional.jacobian of every link = its hand-derived matrix",
                max(r["jacobian_errors"].values()), AGREE_TOL,
                f"max relative error over {len(r['jacobian_errors'])} Jacobians "
                "(W's, diag(1 - h^2), diag(p) - p p^T, I, the delta_ij x_k tensor)"),
        at_most("tanh Jacobians dh/da are diagonal", max(r["tanh_off_diagonal"].values()), 0.0,
                "max |off-diagonal entry| of dh1/da1 and dh2/da2"),
    ]
    for way, errs in r["agreement"].items():
        vs = way if " vs " in way else f"{way} vs hand-derived VJPs (outer product)"
        found.append(at_most(f"dL/dx, dL/db1, dL/dW1 agree: {vs}", max(errs.values()),
                             AGREE_TOL, "max relative error over the three gradients, float64"))
    found.append(at_most("dL/dW1 = (dL/da1)^T x^T has rank one", r["dLdW1_rank_ratio"],
                         RANK_ONE_TOL, "sigma_2 / sigma_1"))
    return found


# ====================================================================== plot, run
def plot(r: dict, path: Path) -> Path | None:
    """x, dL/dx, dL/dW1, a corner of dh1/da1, singular values of dL/dW1, the errors."""
    plt = pyplot()
    if plt is None:
        return None
    im = {k: np.asarray(v) for k, v in r["images"].items()}
    fig, axes = plt.subplots(2, 3, figsize=(15, 9))
    axes[0, 0].imshow(im["x"].reshape(28, 28), cmap="gray_r")
    axes[0, 0].set_title(f"x (label {r['label']}, predicted {r['predicted']}, "
                         f"L = {r['loss']:.3f})")
    g = im["dL/dx"].reshape(28, 28)
    lim = float(np.abs(g).max())
    axes[0, 1].imshow(g, cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[0, 1].set_title("dL/dx (1 x 784, shown 28 x 28)")
    w = im["dL/dW1"]
    lim = float(np.abs(w).max())
    axes[0, 2].imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto",
                      interpolation="nearest")
    axes[0, 2].set_title(f"dL/dW1 = (dL/da1)^T x^T  ({w.shape[0]} x {w.shape[1]}, rank 1)")
    axes[0, 2].set_xlabel("k (input pixel)")
    axes[0, 2].set_ylabel("j (hidden unit)")
    for ax in (axes[0, 0], axes[0, 1]):
        ax.set_xticks([])
        ax.set_yticks([])
    axes[1, 0].imshow(im["dh1/da1 corner"], cmap="viridis")
    axes[1, 0].set_title("dh1/da1 = diag(1 - h1^2): first 24 x 24 entries")
    sv = np.maximum(np.asarray(r["dLdW1_singular_values"]), 1e-300)
    axes[1, 1].semilogy(np.arange(1, len(sv) + 1), sv, "o-")
    axes[1, 1].set_title("singular values of dL/dW1 (chainrule backward)")
    axes[1, 1].set_xlabel("index")
    names, errs = [], []
    for name, e in r["jacobian_errors"].items():
        names.append(name)
        errs.append(e)
    for way, d in r["agreement"].items():
        names.append(way.replace("chainrule ", "").replace("functional.", "")[:34])
        errs.append(max(d.values()))
    floor = 1e-18
    axes[1, 2].barh(np.arange(len(names)), [max(e, floor) for e in errs], color="tab:blue")
    axes[1, 2].set_yticks(np.arange(len(names)))
    axes[1, 2].set_yticklabels(names, fontsize=7)
    axes[1, 2].set_xscale("log")
    axes[1, 2].set_xlim(floor / 10, 1e-6)
    axes[1, 2].axvline(AGREE_TOL, color="tab:red", ls="--", lw=1, label="tolerance 1e-10")
    axes[1, 2].set_title(f"relative errors (0 drawn at {floor:g})")
    axes[1, 2].legend(fontsize=8)
    fig.suptitle(f"MLP {'-'.join(map(str, r['sizes']))}, tanh, softmax + cross-entropy, float64")
    return save_figure(fig, path, dpi=100)


def run(quick: bool = False, out: Path | str = "runs/lab/mlp-jacobians") -> list[Check]:
    """Measure; write ``mlp_jacobians.json`` and ``mlp_jacobians.png`` into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(budget)
    found = checks(r)
    numbers = {k: v for k, v in r.items() if k != "images"}
    write_numbers(out / "mlp_jacobians.json", quick, budget, numbers, found)
    plot(r, out / "mlp_jacobians.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
