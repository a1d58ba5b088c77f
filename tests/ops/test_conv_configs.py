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


# Strides in the rows with a kernel height they divide: the wide grid stores the padded rows
# in phases (conv._Geometry.phases); these shapes take that path (checked in the test).
PHASED = [
    ("conv2d", (2, 8, 12, 12), (6, 8, 3, 3), dict(stride=3, padding=1)),
    ("conv2d", (2, 4, 14, 14), (8, 4, 4, 4), dict(stride=2, padding=1)),          # DCGAN
    ("conv2d", (2, 4, 15, 13), (8, 4, 4, 4), dict(stride=2, padding=1)),          # odd sizes
    ("conv2d", (2, 6, 9, 11), (4, 3, 2, 3), dict(stride=(2, 1), padding=(0, 1), groups=2)),
    ("conv2d", (2, 4, 12, 12), (6, 4, 3, 3), dict(stride=3, padding=2, dilation=(1, 2))),
    ("conv2d", (2, 4, 10, 10), (5, 4, 6, 2), dict(stride=(3, 2), padding=(2, 0))),
    ("conv_transpose2d", (2, 8, 7, 7), (8, 4, 4, 4), dict(stride=2, padding=1)),  # DCGAN
    ("conv_transpose2d", (2, 8, 5, 6), (8, 3, 4, 4), dict(stride=2, padding=1,
                                                          output_padding=1)),
    ("conv_transpose2d", (2, 6, 4, 5), (6, 2, 3, 2), dict(stride=(3, 2), padding=(1, 0),
                                                          groups=2)),
]


@pytest.mark.parametrize("op,x_shape,w_shape,kw", PHASED,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PHASED)])
def test_row_phased_grid_matches_torch(op, x_shape, w_shape, kw):
    from chainrule.ops import conv as C
    built = []
    init = C._Geometry.__init__

    def spy(self, *args, **kwargs):
        init(self, *args, **kwargs)
        built.append(self.phases)
    C._Geometry.__init__ = spy
    try:
        test_conv_matches_torch(op, x_shape, w_shape, kw)
    finally:
        C._Geometry.__init__ = init
    assert max(built) > 1, "the phased grid was not used"
