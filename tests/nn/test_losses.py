"""Loss modules against torch for every reduction and option (values and input gradients),
their state (weight buffers) and reprs, and every error path of the functional losses."""
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as cnn
import chainrule.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((4, 5))
LOGITS_2D = RNG.standard_normal((2, 3, 2, 2))
CLASSES = np.array([1, 0, 4, 4])
CLASSES_IGNORED = np.array([1, -100, 4, 2])
CLASSES_2D = RNG.integers(0, 3, (2, 2, 2))
WEIGHT = np.array([0.5, 1.0, 2.0, 1.5, 0.2])
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
PROBS = 1 / (1 + np.exp(-A))
TARGET_PROBS = 1 / (1 + np.exp(-B))

# (loss class, constructor kwargs (arrays become tensors), input, target, does input need
# log_softmax/sigmoid/nothing as a transform)
CASES = [
    ("L1Loss", {}, A, B),
    ("MSELoss", {}, A, B),
    ("SmoothL1Loss", {}, A, B),
    ("SmoothL1Loss", {"beta": 0.3}, A, B),
    ("SmoothL1Loss", {"beta": 0.0}, A, B),
    ("HuberLoss", {"delta": 0.5}, A, B),
    ("CrossEntropyLoss", {}, LOGITS, CLASSES),
    ("CrossEntropyLoss", {"weight": WEIGHT}, LOGITS, CLASSES),
    ("CrossEntropyLoss", {"ignore_index": -100, "weight": WEIGHT}, LOGITS, CLASSES_IGNORED),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, LOGITS, CLASSES_IGNORED),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "weight": WEIGHT}, LOGITS, CLASSES),
    ("CrossEntropyLoss", {}, LOGITS_2D, CLASSES_2D),
    ("CrossEntropyLoss", {"label_smoothing": 0.05}, LOGITS, np.exp(LOGITS) / np.exp(
        LOGITS).sum(1, keepdims=True)),
    ("CrossEntropyLoss", {}, LOGITS[0], np.array(3)),
    ("NLLLoss", {}, LOGITS, CLASSES),
    ("NLLLoss", {"weight": WEIGHT, "ignore_index": 4}, LOGITS, CLASSES),
    ("NLLLoss", {}, LOGITS_2D, CLASSES_2D),
    ("BCELoss", {}, PROBS, TARGET_PROBS),
    ("BCELoss", {"weight": np.array([1.0, 2.0, 0.5, 3.0])}, PROBS, TARGET_PROBS),
    ("BCEWithLogitsLoss", {}, A, TARGET_PROBS),
    ("BCEWithLogitsLoss", {"pos_weight": np.array([1.0, 2.0, 0.5, 3.0]),
                           "weight": np.array([[2.0], [1.0], [0.5]])}, A, TARGET_PROBS),
    ("KLDivLoss", {}, np.log(PROBS / PROBS.sum(1, keepdims=True)),
     TARGET_PROBS / TARGET_PROBS.sum(1, keepdims=True)),
    ("KLDivLoss", {"log_target": True}, np.log(PROBS), np.log(TARGET_PROBS)),
]


def _make(lib, name, kwargs, reduction, dtype):
    kw = {k: lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
          for k, v in kwargs.items()}
    return getattr(lib.nn, name)(reduction=reduction, **kw)


def _target(lib, t, dtype):
    return lib.tensor(t.astype(dtype) if t.dtype.kind == "f" else t)


RUNS = [(i, reduction) for i, case in enumerate(CASES)
        for reduction in REDUCTIONS + (["batchmean"] if case[0] == "KLDivLoss" else [])]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("index,reduction", RUNS,
                         ids=[f"{CASES[i][0]}-{i}-{r}" for i, r in RUNS])
def test_loss_matches_torch(torch, index, reduction, dtype):
    name, kwargs, x, y = CASES[index]
    outs, grads = [], []
    for lib in (cr, torch):
        loss = _make(lib, name, kwargs, reduction, dtype)
        xi = lib.tensor(x.astype(dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # KLDivLoss 'mean' warns in both
            out = loss(xi, _target(lib, y, dtype))
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
        (out * lib.tensor(g)).sum().backward()
        outs.append(out.detach().numpy())
        grads.append(xi.grad.numpy())
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert outs[0].shape == outs[1].shape
    np.testing.assert_allclose(outs[0], outs[1], rtol=tol * 10, atol=tol)
    np.testing.assert_allclose(grads[0], grads[1], rtol=tol * 10, atol=tol)


@pytest.mark.parametrize("name,kwargs,x,y", CASES[:8], ids=[c[0] for c in CASES[:8]])
def test_loss_state_and_repr_match_torch(torch, name, kwargs, x, y):
    c = _make(cr, name, kwargs, "mean", "float32")
    t = _make(torch, name, kwargs, "mean", "float32")
    assert repr(c) == repr(t)
    assert list(c.state_dict()) == list(t.state_dict())


def test_bce_with_logits_buffers_in_state_dict():
    m = cnn.BCEWithLogitsLoss(pos_weight=cr.tensor([2.0]))
    assert list(m.state_dict()) == ["pos_weight"]
    m.double()
    assert m.pos_weight.dtype == cr.float64


def test_bce_is_finite_at_saturated_probabilities(torch):
    x = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    for lib in (cr, torch):
        xi = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.binary_cross_entropy(xi, lib.tensor(y), reduction="sum")
        out.backward()
        if lib is cr:
            c_out, c_grad = out.item(), xi.grad.numpy()
        else:
            t_out, t_grad = out.item(), xi.grad.numpy()
    assert c_out == pytest.approx(t_out) and c_out == pytest.approx(200 + np.log(2))
    np.testing.assert_allclose(c_grad, t_grad, rtol=1e-8)    # torch: eps 1e-12 in float32
    assert np.isfinite(c_grad).all()


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = cr.randn(2, 3)
    assert np.isnan(F.cross_entropy(x, cr.tensor([-100, -100])).item())
    assert np.isnan(F.nll_loss(x, cr.tensor([-100, -100])).item())


def test_legacy_size_average_and_reduce(torch):
    x, y = cr.tensor(A), cr.tensor(B)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                         "please use reduction='sum' instead."):
        out = F.mse_loss(x, y, size_average=False)
    assert out.item() == pytest.approx(((A - B) ** 2).sum())
    with pytest.warns(UserWarning, match="reduction='none'"):
        m = cnn.L1Loss(reduce=False)
    assert m.reduction == "none"
    with pytest.warns(UserWarning):
        assert cnn.NLLLoss(size_average=True, reduce=True).reduction == "mean"


def test_size_mismatch_warnings():
    with pytest.warns(UserWarning, match="Using a target size \\(chainrule.Size\\(\\[1, 4\\]\\)\\) "
                                         "that is different to the input size"):
        F.l1_loss(cr.tensor(A), cr.tensor(B[:1]))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.smooth_l1_loss(cr.tensor(A), cr.tensor(B[:1]))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(cr.tensor(A), cr.tensor(B))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.mse_loss(cr.tensor(A), cr.tensor(B), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: F.kl_div(cr.tensor(A), cr.tensor(B), reduction="max"), ValueError,
     "max is not a valid value for reduction"),
    (lambda: F.cross_entropy(cr.tensor(LOGITS), cr.tensor(CLASSES), reduction="x"), ValueError,
     "x is not a valid value"),
    (lambda: F.l1_loss(A, cr.tensor(B)), TypeError, "argument 'input' must be Tensor"),
    (lambda: F.smooth_l1_loss(cr.tensor(A), cr.tensor(B), beta=-1.0), RuntimeError,
     "does not support negative values for beta"),
    (lambda: F.huber_loss(cr.tensor(A), cr.tensor(B), delta=0.0), RuntimeError,
     "does not support non-positive values for delta"),
    (lambda: F.mse_loss(cr.tensor(A), cr.tensor(B), weight=cr.ones(4)), ValueError,
     "Weights and input must have the same size"),
    (lambda: F.binary_cross_entropy(cr.tensor(PROBS), cr.tensor(TARGET_PROBS[:2])), ValueError,
     "Using a target size .* is deprecated. Please ensure they have the same size."),
    (lambda: F.binary_cross_entropy(cr.tensor(A), cr.tensor(TARGET_PROBS)), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(cr.tensor(PROBS), cr.tensor(A)), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(cr.tensor(PROBS), cr.tensor(PROBS), weight=cr.ones(3)),
     RuntimeError, "does not broadcast"),
    (lambda: F.binary_cross_entropy_with_logits(cr.tensor(A), cr.tensor(B[:2])), ValueError,
     "Target size .* must be the same as input size"),
    (lambda: F.cross_entropy(cr.tensor(LOGITS), cr.tensor(CLASSES), label_smoothing=1.5),
     RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.cross_entropy(cr.tensor(LOGITS), cr.tensor([0, 9, 1, 1])), IndexError,
     "Target 9 is out of bounds."),
    (lambda: F.nll_loss(cr.tensor(LOGITS), cr.tensor([0, 1])), ValueError,
     "Expected input batch_size \\(4\\) to match target batch_size \\(2\\)."),
    (lambda: F.nll_loss(cr.tensor(LOGITS_2D), cr.tensor(CLASSES_2D[:, :1])), RuntimeError,
     "Expected target size \\[2, 2, 2\\], got \\[2, 1, 2\\]"),
    (lambda: F.nll_loss(cr.tensor(LOGITS), cr.tensor(A[:, 0].repeat(1)[:4] * 0 + 1)),
     RuntimeError, "expected target dtype to be Long"),
    (lambda: F.nll_loss(cr.tensor(LOGITS), cr.tensor(CLASSES), weight=cr.ones(3)),
     RuntimeError, "weight tensor should be defined either for all 5 classes"),
    (lambda: F.cross_entropy(cr.tensor(LOGITS), cr.tensor(LOGITS[:2])), ValueError,
     "probability target .* must match input"),
    (lambda: F.nll_loss(cr.tensor(2.0), cr.tensor(0)), ValueError,
     "Expected 1 or more dimensions"),
])
def test_loss_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
