"""Linear algebra: matmul and its fixed-rank forms (mm, bmm, mv, dot), outer, einsum, tensordot,
addmm/baddbmm, and the vector/matrix norms behind ``chainrule.linalg``.

All products reduce to two Functions: ``Matmul`` (one ``np.matmul`` call, torch's 1-D and batch
broadcasting rules) and ``Einsum`` (an explicit equation; its backward is an einsum with the
subscripts permuted). Everything else is built from them.
"""
from __future__ import annotations

import string

from .._threads import matmul as threaded_matmul
from ..autograd.function import Function
from ..backend import np
from ._util import Tensor, tensor_method, unbroadcast, op_error, wrap_dim, dims_of
from .elementwise import where
from .shape import Permute
from .reduction import _vector_norm, amax, amin

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "einsum", "tensordot",
           "addmm", "baddbmm"]


# ======================================================================== matmul family
def _shape_error(op: str, sa: tuple, sb: tuple) -> Exception:
    """The RuntimeError for operands of ``op`` whose shapes do not multiply."""
    if not sa or not sb:
        return op_error(RuntimeError, f"{op}: both arguments need to be at least 1-D, but they "
                                      f"are {len(sa)}-D and {len(sb)}-D ({sa} @ {sb})")
    k_a, k_b = sa[-1], (sb[0] if len(sb) == 1 else sb[-2])
    if k_a != k_b:
        return op_error(RuntimeError, f"{op}: {sa} @ {sb}: inner dimensions differ "
                                      f"({k_a} vs {k_b})")
    return op_error(RuntimeError, f"{op}: {sa} @ {sb}: batch dimensions {sa[:-2]} and {sb[:-2]} "
                                  f"do not broadcast")


class Matmul(Function):
    """y = a @ b with torch's rules: a 1-D ``a`` is a row (1, k) and a 1-D ``b`` a column (k, 1),
    the added dim removed from y; leading (batch) dims broadcast.
    da = dy @ b^T, db = a^T @ dy (summed over broadcast batch dims)."""

    op_name = "matmul"

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = threaded_matmul(a, b)
        except ValueError:
            raise _shape_error(ctx.op_name, a.shape, b.shape) from None
        return out if type(out) is np.ndarray else np.asarray(out)   # 1-D @ 1-D: a scalar

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        sa, sb = a._data.shape, b._data.shape
        if len(sa) == 2 and len(sb) == 2:                   # the common case, no reshaping
            return (Matmul.apply(grad, Permute.apply(b, (1, 0))) if na else None,
                    Matmul.apply(Permute.apply(a, (1, 0)), grad) if nb else None)
        a2 = a if len(sa) > 1 else a.reshape(1, sa[0])
        b2 = b if len(sb) > 1 else b.reshape(sb[0], 1)
        gshape = grad._data.shape
        if len(sb) == 1:
            gshape = gshape + (1,)
        if len(sa) == 1:
            gshape = gshape[:-1] + (1,) + gshape[-1:]
        g2 = grad.reshape(gshape)
        ga = unbroadcast(g2 @ b2.mT, a2._data.shape).reshape(sa) if na else None
        gb = unbroadcast(a2.mT @ g2, b2._data.shape).reshape(sb) if nb else None
        return ga, gb


class Mm(Matmul):
    """y = a @ b for matrices (n, k) @ (k, p);  da = dy b^T, db = a^T dy."""

    op_name = "mm"


class Bmm(Matmul):
    """y[i] = a[i] @ b[i] for batches of matrices (no broadcasting);  da = dy b^T, db = a^T dy."""

    op_name = "bmm"


class Mv(Matmul):
    """y = A x for a matrix and a vector;  dA = dy x^T, dx = A^T dy."""

    op_name = "mv"


class Dot(Matmul):
    """y = sum_i a_i b_i for two vectors;  da = dy b, db = dy a."""

    op_name = "dot"


def _check_pair(op: str, a, b) -> None:
    """TypeError unless both are Tensors; RuntimeError unless they share a numeric dtype."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad, pos = (a, 1) if not isinstance(a, Tensor) else (b, 2)
        raise op_error(TypeError, f"{op}(): argument {pos} must be Tensor, not "
                                  f"{type(bad).__name__}")
    da = a._data.dtype
    if da != b._data.dtype:
        raise op_error(RuntimeError, f"{op}: expected m1 and m2 to have the same dtype, but got: "
                                     f"{a.dtype.name} != {b.dtype.name} (shapes "
                                     f"{tuple(a._data.shape)} and {tuple(b._data.shape)})")
    if da.kind == "b":
        raise op_error(RuntimeError, f"{op}: not implemented for 'Bool' tensors")


def _check_ndim(op: str, t: Tensor, ndim: int, name: str) -> None:
    if t._data.ndim != ndim:
        raise op_error(RuntimeError, f"{op}: expected {name} to be a {ndim}-D tensor, but got "
                                     f"shape {tuple(t._data.shape)} ({t._data.ndim}-D)")


@tensor_method
def matmul(input, other):
    """Matrix product with torch's rules: 1-D @ 1-D is a dot product, a 1-D operand is a row
    (left) or column (right) vector, and batch dims broadcast: (j, 1, n, k) @ (m, k, p) ->
    (j, m, n, p)."""
    _check_pair("matmul", input, other)
    return Matmul.apply(input, other)


@tensor_method
def mm(input, mat2):
    """(n, k) @ (k, p) -> (n, p); no broadcasting."""
    _check_pair("mm", input, mat2)
    _check_ndim("mm", input, 2, "input")
    _check_ndim("mm", mat2, 2, "mat2")
    return Mm.apply(input, mat2)


@tensor_method
def bmm(input, mat2):
    """(b, n, k) @ (b, k, p) -> (b, n, p); the batch sizes must be equal (no broadcasting)."""
    _check_pair("bmm", input, mat2)
    _check_ndim("bmm", input, 3, "input")
    _check_ndim("bmm", mat2, 3, "mat2")
    sa, sb = input._data.shape, mat2._data.shape
    if sa[0] != sb[0]:
        raise op_error(RuntimeError, f"bmm: {sa} @ {sb}: batch sizes differ ({sa[0]} vs "
                                     f"{sb[0]})")
    return Bmm.apply(input, mat2)


@tensor_method
def mv(input, vec):
    """(n, k) @ (k,) -> (n,)."""
    _check_pair("mv", input, vec)
    _check_ndim("mv", input, 2, "input")
    _check_ndim("mv", vec, 1, "vec")
    return Mv.apply(input, vec)


@tensor_method
def dot(input, tensor):
    """sum_i input_i * tensor_i for two 1-D tensors of the same length."""
    _check_pair("dot", input, tensor)
    _check_ndim("dot", input, 1, "input")
    _check_ndim("dot", tensor, 1, "tensor")
    return Dot.apply(input, tensor)


@tensor_method
def inner(input, other):
    """sum over the last dims: inner(a, b)[i..., j...] = sum_k a[i..., k] b[j..., k]."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


@tensor_method
def outer(input, vec2):
    """out[i, j] = input[i] * vec2[j] for two 1-D tensors (dtypes promote, as torch)."""
    _check_ndim("outer", input, 1, "input")
    _check_ndim("outer", vec2, 1, "vec2")
    return input.unsqueeze(1) * vec2


ger = outer
tensor_method(outer, name="ger")


def _check_bias(op: str, input, product_shape: tuple, dtype) -> None:
    shape = tuple(input._data.shape)
    if input._data.dtype != dtype:
        raise op_error(RuntimeError, f"{op}: input and the product must have the same dtype, "
                                     f"but got {input.dtype.name} and "
                                     f"{Tensor._dtype_of(dtype).name}")
    try:
        ok = np.broadcast_shapes(shape, product_shape) == product_shape
    except ValueError:
        ok = False
    if not ok:
        raise op_error(RuntimeError, f"{op}: input of shape {shape} does not broadcast to the "
                                     f"product's shape {product_shape}")


def _scaled_sum(op: str, input, product: Tensor, beta, alpha) -> Tensor:
    """beta * input + alpha * product. With beta == 0 the values of ``input`` are ignored (nan
    and inf do not propagate) but it still gets a zero gradient, as torch."""
    _check_bias(op, input, tuple(product._data.shape), product._data.dtype)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + where(np.asarray(True), 0.0, input)
    return product + (input if beta == 1 else input * beta)


@tensor_method
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2); ``input`` broadcasts to (n, p)."""
    _check_ndim("addmm", mat1, 2, "mat1")
    _check_ndim("addmm", mat2, 2, "mat2")
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


@tensor_method
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2); ``input`` broadcasts to (b, n, p)."""
    _check_ndim("baddbmm", batch1, 3, "batch1")
    _check_ndim("baddbmm", batch2, 3, "batch2")
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


# ======================================================================== einsum
_LETTERS = string.ascii_letters


class Einsum(Function):
    """y = einsum(equation, *operands) for an explicit equation ('ij,jk->ik': no ellipsis, sizes
    already consistent). For operand i, dx_i = einsum(dy, the other operands -> subscripts of
    x_i): the output's subscripts become an input. A label repeated in x_i (a diagonal, 'ii')
    gets a new letter plus an identity matrix operand; a label only x_i has (summed away) gets a
    ones vector, which broadcasts the gradient along it."""

    def forward(ctx, *arrays, equation):
        lhs, ctx.out = equation.split("->")
        ctx.subs = lhs.split(",")
        ctx.save_for_backward(*arrays)
        # a planned einsum contracts through BLAS (much faster on big operands) but planning
        # costs ~7 us, more than the whole product of small ones
        plan = len(arrays) > 2 or (len(arrays) == 2 and max(a.size for a in arrays) >= 1024)
        out = np.einsum(equation, *arrays, optimize=plan)
        if len(arrays) == 1 and np.may_share_memory(out, arrays[0]):
            out = out.copy()                    # einsum may return a view ('ij->ji')
        return np.asarray(out)

    def backward(ctx, grad):
        operands = ctx.saved_tensors
        return tuple(_einsum_grad(grad, operands, ctx.subs, ctx.out, i) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


def _einsum_grad(grad: Tensor, operands, subs, out: str, i: int) -> Tensor:
    """d(einsum)/d(operand i) applied to ``grad`` (see Einsum)."""
    x = operands[i]
    sizes = dict(zip(subs[i], x._data.shape))
    dtype = grad._data.dtype
    others = [(s, t) for j, (s, t) in enumerate(zip(subs, operands)) if j != i]
    known = set(out).union(*(s for s, _ in others))
    spare = iter(c for c in _LETTERS if c not in known and c not in subs[i])
    target, extra = [], []
    for c in subs[i]:
        if c in target:                          # repeated: x[.., c, .., c'] on the diagonal
            r = next(spare)
            target.append(r)
            extra.append((c + r, np.eye(sizes[c], dtype=dtype)))
        else:
            target.append(c)
            if c not in known:
                extra.append((c, np.ones(sizes[c], dtype=dtype)))
    terms = [(out, grad)] + others + extra
    equation = ",".join(s for s, _ in terms) + "->" + "".join(target)
    return Einsum.apply(*(t for _, t in terms), equation=equation)


def _einsum_error(message: str) -> Exception:
    return op_error(RuntimeError, f"einsum(): {message}")


def _split_ellipsis(term: str, where: str) -> tuple:
    """(labels before '...', labels after, has_ellipsis) of one term ('operand 0', 'the
    output')."""
    if "..." in term:
        left, _, right = term.partition("...")
        if "." in right:
            raise _einsum_error(f"found '.' for {where} for which an ellipsis was already "
                                f"found")
        if "." in left:
            raise _einsum_error(f"found '.' for {where} that is not part of any ellipsis")
        return left, right, True
    if "." in term:
        raise _einsum_error(f"found '.' for {where} that is not part of any ellipsis")
    return term, "", False


def _parse_einsum(equation: str, shapes: list) -> tuple:
    """The explicit form of ``equation`` for operands of ``shapes``: (subscripts per operand,
    output subscripts, size of each label). Ellipses become spare letters; the implicit
    output is the ellipsis dims, then the labels used once, in ASCII order (as torch)."""
    eq = equation.replace(" ", "")
    for pos, c in enumerate(eq):
        if c not in _LETTERS and c not in ".,->":
            raise _einsum_error(f"invalid subscript given at index {pos} in the equation "
                                f"string, subscripts must be in [a-zA-Z]")
    lhs, arrow, rhs = eq.partition("->")
    if "-" in lhs or ">" in lhs or "-" in rhs or ">" in rhs or "," in rhs:
        raise _einsum_error(f"invalid equation {equation!r}: '->' must appear at most once")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise _einsum_error("fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise _einsum_error("more operands were provided than specified in the equation")
    parts = [_split_ellipsis(t, f"operand {k}") for k, t in enumerate(terms)]
    spare = [c for c in _LETTERS if c not in eq]
    ell_ndim = 0
    for k, ((left, right, has_ell), shape) in enumerate(zip(parts, shapes)):
        n_labels = len(left) + len(right)
        if (has_ell and n_labels > len(shape)) or (not has_ell and n_labels != len(shape)):
            raise _einsum_error(f"the number of subscripts in the equation ({n_labels}) does not "
                                f"match the number of dimensions ({len(shape)}) for operand {k}"
                                f"{'' if has_ell else ' and no ellipsis was given'}")
        if has_ell:
            ell_ndim = max(ell_ndim, len(shape) - n_labels)
    ell = "".join(spare[:ell_ndim])
    subs = []
    for (left, right, has_ell), shape in zip(parts, shapes):
        n = len(shape) - len(left) - len(right)
        subs.append(left + (ell[ell_ndim - n:] if has_ell else "") + right)
    out = _einsum_output(arrow, rhs, subs, ell)
    return subs, out, _label_sizes(subs, shapes)


def _einsum_output(arrow: str, rhs: str, subs: list, ell: str) -> str:
    if not arrow:
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        return ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    left, right, has_ell = _split_ellipsis(rhs, "the output")
    out = left + (ell if has_ell else "") + right
    used = set("".join(subs))
    for c in out:
        if out.count(c) > 1:
            raise _einsum_error(f"output subscript {c} appears more than once in the output")
        if c not in used:
            raise _einsum_error(f"output subscript {c} does not appear in the equation for any "
                                f"input operand")
    return out


def _label_sizes(subs: list, shapes: list) -> dict:
    """The size of each label: equal wherever it appears, or 1 (which broadcasts)."""
    sizes = {}
    for k, (s, shape) in enumerate(zip(subs, shapes)):
        own = {}
        for c, n in zip(s, shape):
            if c in own and own[c] != n:
                raise _einsum_error(f"subscript {c} is repeated for operand {k} but the sizes "
                                    f"don't match, {own[c]} != {n}")
            own[c] = n
        for c, n in own.items():
            seen = sizes.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                raise _einsum_error(f"subscript {c} has size {n} for operand {k} which does not "
                                    f"broadcast with previously seen size {seen}")
            sizes[c] = max(seen, n)
    return sizes


def einsum(equation, *operands):
    """Einstein summation: ``einsum('bij,bjk->bik', a, b)`` (or the operands as one list).
    Supports implicit output, ellipsis ('...ij->...ji'), repeated labels (diagonals, 'ii->i')
    and size-1 broadcasting of labels."""
    if not isinstance(equation, str):
        raise op_error(TypeError, f"einsum(): argument 'equation' must be str, not "
                                  f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for k, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise op_error(TypeError, f"einsum(): operand {k} must be a Tensor, not "
                                      f"{type(t).__name__}")
    if not operands:
        raise _einsum_error("must provide at least one operand")
    dtypes = {t._data.dtype for t in operands}
    if len(dtypes) > 1:
        names = ", ".join(f"{t.dtype.name} (operand {k})" for k, t in enumerate(operands))
        raise _einsum_error(f"operands must have the same dtype, got {names}")
    if operands[0]._data.dtype.kind == "b":
        raise _einsum_error("not implemented for 'Bool' tensors")
    subs, out, sizes = _parse_einsum(equation, [t._data.shape for t in operands])
    operands = [t if all(n == sizes[c] for c, n in zip(s, t._data.shape))
                else t.expand(tuple(sizes[c] for c in s)) for s, t in zip(subs, operands)]
    return Einsum.apply(*operands, equation=",".join(subs) + "->" + out)


def _tensordot_dims(dims, nd_a: int, nd_b: int) -> tuple:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise op_error(RuntimeError, f"tensordot: expects dims >= 0, but got dims={dims}")
        if dims > min(nd_a, nd_b):
            raise op_error(RuntimeError, f"tensordot: expects dims <= ndim of both inputs "
                                         f"({nd_a} and {nd_b}), but got dims={dims}")
        return tuple(range(nd_a - dims, nd_a)), tuple(range(dims))
    if len(dims) != 2:
        raise op_error(TypeError, f"tensordot: dims must be an int or a pair of dim lists, got "
                                  f"{dims!r}")
    da, db = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
    if len(da) != len(db):
        raise op_error(RuntimeError, f"tensordot: both dimension lists should have the same "
                                     f"length, got {da} and {db}")
    return (tuple(wrap_dim(d, nd_a, "tensordot") for d in da),
            tuple(wrap_dim(d, nd_b, "tensordot") for d in db))


def tensordot(a, b, dims=2):
    """Sum of products over ``dims``: an int n contracts the last n dims of ``a`` with the first
    n of ``b``; a pair of lists names the dims of each. out = free dims of a, then of b."""
    _check_pair("tensordot", a, b)
    sa, sb = a._data.shape, b._data.shape
    da, db = _tensordot_dims(dims, len(sa), len(sb))
    letters = iter(_LETTERS)
    la = [next(letters) for _ in sa]
    lb = [next(letters) for _ in sb]
    for i, j in zip(da, db):
        if sa[i] != sb[j]:
            raise op_error(RuntimeError, f"tensordot: contracted dimensions need to match, but "
                                         f"{sa} has size {sa[i]} in dim {i} and {sb} has size "
                                         f"{sb[j]} in dim {j}")
        lb[j] = la[i]
    out = [c for k, c in enumerate(la) if k not in da] + \
          [c for k, c in enumerate(lb) if k not in db]
    return Einsum.apply(a, b, equation=f"{''.join(la)},{''.join(lb)}->{''.join(out)}")


# ======================================================================== norms (chainrule.linalg)
def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    """(sum_i |x_i|**ord)**(1/ord) over ``dim`` (all dims when None); ord may be inf, -inf or
    0 (the count of non-zeros)."""
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype, op="linalg.vector_norm")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """A matrix norm over the two dims ``dim``: 'fro' (sqrt of the sum of squares), 1 / -1
    (max / min column abs-sum), inf / -inf (max / min row abs-sum). 2, -2 and 'nuc' need an
    SVD, which chainrule does not have."""
    op = "linalg.matrix_norm"
    if A._data.ndim < 2:
        raise op_error(RuntimeError, f"{op}: The input tensor A must have at least 2 dimensions "
                                     f"(got shape {tuple(A._data.shape)})")
    if len(dim) != 2:
        raise op_error(RuntimeError, f"{op}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (wrap_dim(d, A._data.ndim, op) for d in dim)
    if d0 == d1:
        raise op_error(RuntimeError, f"{op}: dims must be different. Got {tuple(dim)}")
    if ord == "fro":
        return _vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype, op=op)
    if ord not in (1, -1, float("inf"), float("-inf")):
        raise op_error(RuntimeError, f"{op}: Order {ord} not supported"
                                     f"{' (needs an SVD)' if ord in (2, -2, 'nuc') else ''}.")
    if dtype is not None:
        A = A.to(dtype)
    summed, kept = (d0, d1) if ord in (1, -1) else (d1, d0)
    pick = amax if ord > 0 else amin
    out = pick(A.abs().sum(dim=summed, keepdim=True), dim=kept, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """torch.linalg.norm: a vector norm for 1-D input or an int ``dim``, a matrix norm for 2-D
    input or a 2-tuple ``dim``; with ``ord=None``, the 2-norm of all elements."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        dim = tuple(dim)
    if ord is None:
        return _vector_norm(A, 2, dim, keepdim, dtype=dtype, op="linalg.norm")
    if dim is None:
        if A._data.ndim not in (1, 2):
            raise op_error(RuntimeError, f"linalg.norm: If dim is not specified but ord is, the "
                                         f"input must be 1D or 2D. Got {A._data.ndim}D.")
        dim = 0 if A._data.ndim == 1 else (0, 1)
    if isinstance(dim, tuple) and len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    dims_of(dim, A._data.ndim, "linalg.norm")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)
