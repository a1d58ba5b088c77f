"""Forward and backward parity with PyTorch for every registered op, in float32 and float64.
Skipped when torch is not installed."""
import numpy as np
import pytest

import chainrule as cr
from op_registry import all_cases, make_inputs, to_lib

torch = pytest.importorskip("torch")

CASES = [c for c in all_cases() if c.torch]


def _first_float(out):
    if isinstance(out, (tuple, list)):
        out = next(o for o in out if o.is_floating_point())
    return out


def _run(lib, case, arrays):
    ts = to_lib(lib, case, arrays)
    fn = case.torch_fn if (lib is torch and case.torch_fn is not None) else case.fn
    out = _first_float(fn(lib, *ts))
    return ts, out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_parity(case, dtype):
    np_dtype = np.dtype(dtype)
    arrays = make_inputs(case, np_dtype)
    c_in, c_out = _run(cr, case, arrays)
    t_in, t_out = _run(torch, case, arrays)
    if dtype == "float32":
        atol, gatol, rtol = case.parity_atol32, case.parity_atol32 * 10, 1e-4
    else:
        atol, gatol, rtol = 1e-10, 1e-10, 1e-7
    t_np = t_out.detach().numpy()
    assert c_out.shape == tuple(t_np.shape), f"shape {c_out.shape} vs torch {t_np.shape}"
    assert c_out.dtype.name == str(t_out.dtype).replace("torch.", ""), \
        f"dtype {c_out.dtype} vs torch {t_out.dtype}"
    np.testing.assert_allclose(c_out.detach().numpy(), t_np, atol=atol, rtol=rtol)

    if not c_out.requires_grad:
        return
    g = np.random.default_rng(1).standard_normal(t_np.shape).astype(t_np.dtype)
    c_diff = [t for t in c_in if isinstance(t, cr.Tensor) and t.requires_grad]
    t_diff = [t for t in t_in if isinstance(t, torch.Tensor) and t.requires_grad]
    c_grads = cr.autograd.grad(c_out, c_diff, cr.tensor(g), allow_unused=True)
    t_grads = torch.autograd.grad(t_out, t_diff, torch.tensor(g), allow_unused=True)
    for i, (cg, tg) in enumerate(zip(c_grads, t_grads)):
        if tg is None:
            assert cg is None or not np.any(cg.numpy()), f"input {i}: torch has no gradient"
            continue
        assert cg is not None, f"input {i}: chainrule has no gradient, torch has one"
        np.testing.assert_allclose(cg.numpy(), tg.numpy(), atol=gatol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")
