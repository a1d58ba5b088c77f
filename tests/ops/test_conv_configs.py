"""Convolutions over a seeded sweep of random configurations (kernel, stride, padding incl.
'same', dilation, groups, output_padding, sizes), forward and both gradients against torch in
float64. The registry holds a few hand-picked cases per op; this sweep reaches the corners of
the im2col geometry (rows whose reads wrap into the next row's padding, outputs as wide as the
padded row, kernels that cover the input) that hand-picked cases miss. Skipped without torch."""
import random
import warnings

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _configs(count: int, seed: int = 0):
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        nd, transposed = rng.choice([1, 2]), rng.random() < 0.4
        kernel = [rng.randint(1, 4) for _ in range(nd)]
        stride = [rng.randint(1, 3) for _ in range(nd)]
        dilation = [rng.randint(1, 2) for _ in range(nd)]
        padding = [rng.randint(0, 3) for _ in range(nd)]
        size = [rng.randint(3, 9) for _ in range(nd)]
        groups = rng.choice([1, 2])
        c_in, c_out = 2 * groups, rng.choice([1, 3, 6]) * groups
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        if transposed:
            op = f"conv_transpose{nd}d"
            w_shape = (c_in, c_out // groups, *kernel)
            kw["output_padding"] = [rng.randint(0, max(0, min(s, d) - 1))
                                    for s, d in zip(stride, dilation)]
        else:
            op = f"conv{nd}d"
            w_shape = (c_out, c_in // groups, *kernel)
            if rng.random() < 0.2 and all(s == 1 for s in stride):
                kw["padding"] = "same"
        x = torch.zeros(1, c_in, *size)
        try:                            # keep the configurations torch accepts
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(torch.nn.functional, op)(x, torch.zeros(w_shape), **kw)
        except RuntimeError:
            continue
        out.append((op, (2, c_in, *size), w_shape, kw))
    return out


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("op,x_shape,w_shape,kw", _configs(120),
                         ids=lambda v: str(v) if isinstance(v, str) else None)
def test_conv_matches_torch(op, x_shape, w_shape, kw):
    rng = np.random.default_rng(len(str(kw)))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = getattr(torch.nn.functional, op)(tx, tw, **kw)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    cx = cr.tensor(x, requires_grad=True)
    cw = cr.tensor(w, requires_grad=True)
    cy = getattr(cr.nn.functional, op)(cx, cw, **kw)
    cy.backward(cr.tensor(g))
    np.testing.assert_allclose(cy.detach().numpy(), ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(cw.grad.numpy(), tw.grad.numpy(), atol=1e-10)
