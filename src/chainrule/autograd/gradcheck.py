"""``gradcheck`` and ``gradgradcheck``: compare analytic gradients with float64 central
differences, as torch.autograd does (same argument names)."""
from __future__ import annotations

from ..backend import np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical derivatives disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _diff_inputs(inputs):
    from ..tensor import Tensor
    return [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]


def _flat_outputs(out):
    from ..tensor import Tensor
    return [o for o in _as_tuple(out) if isinstance(o, Tensor) and o._data.dtype.kind in "fc"]


def numerical_jacobian(fn, inputs, eps: float = 1e-6):
    """J[k][i, j] = d out_k[j] / d in_i[i] by central differences (one block per input/output)."""
    diff = _diff_inputs(inputs)
    # grad mode stays on: fn may differentiate inside (gradgradcheck does)
    outs = _flat_outputs(fn(*inputs))
    blocks = [[np.zeros((x._data.size, o._data.size)) for o in outs] for x in diff]
    for i, x in enumerate(diff):
        flat = x._data.reshape(-1)           # a view: perturb in place
        if not np.shares_memory(flat, x._data):
            raise GradcheckError("gradcheck: inputs must be contiguous tensors")
        for j in range(flat.size):
            orig = flat[j].item()
            flat[j] = orig + eps
            plus = [o._data.astype(np.float64).ravel().copy() for o in
                    _flat_outputs(fn(*inputs))]
            flat[j] = orig - eps
            minus = [o._data.astype(np.float64).ravel().copy() for o in
                     _flat_outputs(fn(*inputs))]
            flat[j] = orig
            for k in range(len(outs)):
                blocks[i][k][j] = (plus[k] - minus[k]) / (2 * eps)
    return blocks


def analytical_jacobian(fn, inputs):
    """The same blocks from reverse mode: one backward per output element."""
    from . import grad
    diff = _diff_inputs(inputs)
    outs = _flat_outputs(fn(*inputs))
    blocks = [[np.zeros((x._data.size, o._data.size)) for o in outs] for x in diff]
    from ..tensor import Tensor
    for k, o in enumerate(outs):
        for j in range(o._data.size):
            g = np.zeros(o._data.size, dtype=o._data.dtype)
            g[j] = 1
            if not o.requires_grad:
                continue
            gs = grad([o], diff, [Tensor._make(g.reshape(o._data.shape))], retain_graph=True,
                      allow_unused=True)
            for i, gi in enumerate(gs):
                if gi is not None:
                    blocks[i][k][:, j] = gi._data.reshape(-1)
    return blocks


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad=True,
              check_grad_dtypes=False, check_batched_grad=False, fast_mode=False,
              masked=None) -> bool:
    """True when the reverse-mode Jacobian of ``func`` at ``inputs`` matches central
    differences: |analytic - numeric| <= atol + rtol * |numeric| for every entry. Inputs that
    require grad should be float64."""
    inputs = _as_tuple(inputs)
    for t in _diff_inputs(inputs):
        if t._data.dtype != np.float64:
            import warnings
            warnings.warn(f"gradcheck: input of dtype {t.dtype} is not float64; the check may "
                          f"fail from rounding alone", stacklevel=2)
    num = numerical_jacobian(func, inputs, eps)
    ana = analytical_jacobian(func, inputs)
    for i, (nrow, arow) in enumerate(zip(num, ana)):
        for k, (n, a) in enumerate(zip(nrow, arow)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                err = np.abs(a - n).max()
                raise GradcheckError(
                    f"gradcheck: Jacobian mismatch for output {k} with respect to input {i} "
                    f"(max abs difference {err:.3e}),\nnumerical:\n{n}\nanalytical:\n{a}")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False) -> bool:
    """gradcheck of the first derivative: the function (inputs, grad_outputs) -> vector-Jacobian
    product, built with ``create_graph=True``, checked against central differences."""
    from ..tensor import Tensor
    from ..random import Generator
    from . import grad
    inputs = _as_tuple(inputs)
    outs = _flat_outputs(func(*inputs))
    if not any(o.requires_grad for o in outs):
        raise GradcheckError("gradgradcheck: no output of the function requires grad")
    if grad_outputs is None:
        gen = Generator().manual_seed(0)
        grad_outputs = tuple(Tensor._make(gen.rng.standard_normal(o._data.shape)
                                          .astype(o._data.dtype)).requires_grad_(True)
                             for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def vjp(*args):
        ins, gos = args[:n_in], args[n_in:]
        diff = _diff_inputs(ins)
        o = [x for x in _flat_outputs(func(*ins)) if x.requires_grad]
        gs = grad(o, diff, list(gos)[:len(o)], create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
