"""Error paths of the linalg ops: each message names the op, the shapes or dtypes, and what was
expected. Plus a few values the registry cannot express (integer products, beta=0 with nan)."""
import math

import numpy as np
import pytest

import chainrule as cr


def _t(*shape, dtype=cr.float32):
    return cr.ones(*shape, dtype=dtype)


# ---------------------------------------------------------------- matmul family
@pytest.mark.parametrize("a, b, pattern", [
    ((3, 4), (5, 2), r"matmul: \(3, 4\) @ \(5, 2\): inner dimensions differ \(4 vs 5\)"),
    ((3,), (4,), r"matmul: \(3,\) @ \(4,\): inner dimensions differ \(3 vs 4\)"),
    ((3,), (4, 5), r"matmul: \(3,\) @ \(4, 5\): inner dimensions differ \(3 vs 4\)"),
    ((3, 4), (3,), r"matmul: \(3, 4\) @ \(3,\): inner dimensions differ \(4 vs 3\)"),
    ((2, 3, 4), (3, 4, 5), r"matmul: \(2, 3, 4\) @ \(3, 4, 5\): batch dimensions \(2,\) and "
                           r"\(3,\) do not broadcast"),
    ((), (3,), r"matmul: both arguments need to be at least 1-D, but they are 0-D and 1-D"),
])
def test_matmul_shape_errors(a, b, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        cr.matmul(_t(*a), _t(*b))


def test_matmul_operator_reports_the_same_error():
    with pytest.raises(RuntimeError, match=r"matmul: \(3, 4\) @ \(5, 2\)"):
        _t(3, 4) @ _t(5, 2)


def test_matmul_dtype_mismatch_like_torch():
    with pytest.raises(RuntimeError, match=r"matmul: expected m1 and m2 to have the same dtype, "
                                           r"but got: float32 != float64 \(shapes \(3, 4\) and "
                                           r"\(4, 2\)\)"):
        _t(3, 4) @ _t(4, 2, dtype=cr.float64)
    with pytest.raises(RuntimeError, match="mm: expected m1 and m2 to have the same dtype"):
        cr.mm(_t(3, 4), _t(4, 2, dtype=cr.int64))


def test_matmul_rejects_bool_and_non_tensors():
    with pytest.raises(RuntimeError, match="matmul: not implemented for 'Bool'"):
        _t(2, 2, dtype=cr.bool) @ _t(2, 2, dtype=cr.bool)
    with pytest.raises(TypeError, match=r"matmul\(\): argument 2 must be Tensor, not int"):
        cr.matmul(_t(3), 2)
    with pytest.raises(TypeError, match=r"dot\(\): argument 1 must be Tensor, not list"):
        cr.dot([1.0], _t(1))


def test_integer_matmul_works():
    a = cr.tensor([[1, 2], [3, 4]])
    assert (a @ a).tolist() == [[7, 10], [15, 22]]
    assert (a @ a).dtype == cr.int64


@pytest.mark.parametrize("fn, a, b, pattern", [
    (cr.mm, (3,), (3, 4), r"mm: expected input to be a 2-D tensor, but got shape \(3,\) \(1-D\)"),
    (cr.mm, (3, 4), (4,), r"mm: expected mat2 to be a 2-D tensor, but got shape \(4,\)"),
    (cr.mm, (3, 4), (3, 4), r"mm: \(3, 4\) @ \(3, 4\): inner dimensions differ \(4 vs 3\)"),
    (cr.bmm, (3, 4), (2, 4, 5), r"bmm: expected input to be a 3-D tensor, but got shape "
                                r"\(3, 4\)"),
    (cr.bmm, (2, 3, 4), (3, 4, 5), r"bmm: \(2, 3, 4\) @ \(3, 4, 5\): batch sizes differ "
                                   r"\(2 vs 3\)"),
    (cr.bmm, (2, 3, 4), (2, 5, 5), r"bmm: \(2, 3, 4\) @ \(2, 5, 5\): inner dimensions differ "
                                   r"\(4 vs 5\)"),
    (cr.mv, (3, 4), (5,), r"mv: \(3, 4\) @ \(5,\): inner dimensions differ \(4 vs 5\)"),
    (cr.mv, (3, 4), (4, 1), r"mv: expected vec to be a 1-D tensor, but got shape \(4, 1\)"),
    (cr.dot, (3,), (4,), r"dot: \(3,\) @ \(4,\): inner dimensions differ \(3 vs 4\)"),
    (cr.dot, (3, 1), (3,), r"dot: expected input to be a 1-D tensor, but got shape \(3, 1\)"),
    (cr.outer, (3,), (3, 2), r"outer: expected vec2 to be a 1-D tensor, but got shape "
                             r"\(3, 2\)"),
])
def test_fixed_rank_products_check_their_operands(fn, a, b, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        fn(_t(*a), _t(*b))


def test_addmm_and_baddbmm_check_the_added_input():
    with pytest.raises(RuntimeError, match=r"addmm: input of shape \(3, 3\) does not broadcast "
                                           r"to the product's shape \(2, 3\)"):
        cr.addmm(_t(3, 3), _t(2, 3), _t(3, 3))
    with pytest.raises(RuntimeError, match=r"addmm: input and the product must have the same "
                                           r"dtype, but got float64 and float32"):
        cr.addmm(_t(2, 3, dtype=cr.float64), _t(2, 3), _t(3, 3))
    with pytest.raises(RuntimeError, match=r"baddbmm: input of shape \(4,\) does not broadcast "
                                           r"to the product's shape \(2, 2, 3\)"):
        cr.baddbmm(_t(4), _t(2, 2, 3), _t(2, 3, 3))
    with pytest.raises(RuntimeError, match=r"addmm: expected mat1 to be a 2-D tensor, but got "
                                           r"shape \(3,\)"):
        cr.addmm(_t(3), _t(3), _t(3, 3))
    with pytest.raises(RuntimeError, match=r"baddbmm: expected batch2 to be a 3-D tensor"):
        cr.baddbmm(_t(3), _t(2, 2, 3), _t(3, 3))


def test_addmm_with_beta_zero_ignores_nan_in_input():
    c = cr.full((2, 2), math.nan, requires_grad=True)
    out = cr.addmm(c, _t(2, 3), _t(3, 2), beta=0, alpha=0.5)
    assert out.tolist() == [[1.5, 1.5], [1.5, 1.5]]
    out.sum().backward()
    assert c.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


# ---------------------------------------------------------------- einsum
@pytest.mark.parametrize("equation, shapes, pattern", [
    ("ij,jk->ik", [(3, 4), (5, 2)], r"einsum\(\): subscript j has size 5 for operand 1 which "
                                    r"does not broadcast with previously seen size 4"),
    ("ij,jk->ik", [(3, 4)], r"einsum\(\): fewer operands were provided than specified"),
    ("ij", [(2, 3), (2,)], r"einsum\(\): more operands were provided than specified"),
    ("ij,jk->ik", [(3, 4, 1), (4, 2)], r"einsum\(\): the number of subscripts in the equation "
                                       r"\(2\) does not match the number of dimensions \(3\) "
                                       r"for operand 0 and no ellipsis was given"),
    ("...ijk", [(2, 3)], r"einsum\(\): the number of subscripts in the equation \(3\) does not "
                        r"match the number of dimensions \(2\) for operand 0"),
    ("ij,jk->ikk", [(3, 4), (4, 2)], r"einsum\(\): output subscript k appears more than once"),
    ("ij,jk->iz", [(3, 4), (4, 2)], r"einsum\(\): output subscript z does not appear in the "
                                    r"equation for any input operand"),
    ("i1", [(3, 4)], r"einsum\(\): invalid subscript given at index 1 in the equation string, "
                     r"subscripts must be in \[a-zA-Z\]"),
    ("ij->i->j", [(2, 3)], r"einsum\(\): invalid equation 'ij->i->j'"),
    ("i.j", [(2, 3)], r"einsum\(\): found '.' for operand 0 that is not part of any ellipsis"),
    ("...i...", [(2, 3)], r"einsum\(\): found '.' for operand 0 for which an ellipsis was "
                          r"already found"),
    ("ij->i.", [(2, 3)], r"einsum\(\): found '.' for the output that is not part of any "
                         r"ellipsis"),
    ("ii->i", [(3, 4)], r"einsum\(\): subscript i is repeated for operand 0 but the sizes don't "
                        r"match, 3 != 4"),
])
def test_einsum_equation_errors(equation, shapes, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        cr.einsum(equation, *[_t(*s) for s in shapes])


def test_einsum_operand_errors():
    with pytest.raises(TypeError, match=r"einsum\(\): argument 'equation' must be str, not int"):
        cr.einsum(3, _t(2))
    with pytest.raises(TypeError, match=r"einsum\(\): operand 1 must be a Tensor, not float"):
        cr.einsum("i,i", _t(2), 1.0)
    with pytest.raises(RuntimeError, match=r"einsum\(\): must provide at least one operand"):
        cr.einsum("i")
    with pytest.raises(RuntimeError, match=r"einsum\(\): operands must have the same dtype, got "
                                           r"float32 \(operand 0\), float64 \(operand 1\)"):
        cr.einsum("i,i", _t(2), _t(2, dtype=cr.float64))
    with pytest.raises(RuntimeError, match=r"einsum\(\): not implemented for 'Bool'"):
        cr.einsum("i,i", _t(2, dtype=cr.bool), _t(2, dtype=cr.bool))


def test_einsum_values():
    a = cr.arange(6.0).reshape(2, 3)
    assert cr.einsum("ij->ji", a).tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert cr.einsum("ij", a).tolist() == a.tolist()            # implicit: sorted labels
    assert cr.einsum("ji", a).tolist() == a.t().tolist()
    assert cr.einsum("ij->", cr.tensor([[1, 2], [3, 4]])).item() == 10
    m = cr.arange(9.0).reshape(3, 3)
    assert cr.einsum("ii", m).item() == 12.0
    assert cr.einsum("ii->i", m).tolist() == [0.0, 4.0, 8.0]


def test_einsum_output_does_not_alias_its_input():
    a = cr.arange(4.0).reshape(2, 2)
    out = cr.einsum("ij->ji", a)
    out.add_(1)
    assert a.tolist() == [[0.0, 1.0], [2.0, 3.0]]


# ---------------------------------------------------------------- tensordot
@pytest.mark.parametrize("a, b, dims, kind, pattern", [
    ((3, 4), (4, 2), -1, RuntimeError, r"tensordot: expects dims >= 0, but got dims=-1"),
    ((3, 4), (4, 2), 3, RuntimeError, r"tensordot: expects dims <= ndim of both inputs \(2 and "
                                      r"2\), but got dims=3"),
    ((3, 4), (4, 2), ([1], [0, 1]), RuntimeError, r"tensordot: both dimension lists should have "
                                                  r"the same length, got \[1\] and \[0, 1\]"),
    ((3, 4), (5, 2), 1, RuntimeError, r"tensordot: contracted dimensions need to match, but "
                                      r"\(3, 4\) has size 4 in dim 1 and \(5, 2\) has size 5 in "
                                      r"dim 0"),
    ((3, 4), (4, 2), ([1], [0], [0]), TypeError, r"tensordot: dims must be an int or a pair"),
    ((3, 4), (4, 2), ([2], [0]), IndexError, r"tensordot: Dimension out of range"),
])
def test_tensordot_errors(a, b, dims, kind, pattern):
    with pytest.raises(kind, match=pattern):
        cr.tensordot(_t(*a), _t(*b), dims=dims)


def test_tensordot_dtype_mismatch():
    with pytest.raises(RuntimeError, match="tensordot: expected m1 and m2 to have the same "
                                           "dtype"):
        cr.tensordot(_t(3, 4), _t(4, 2, dtype=cr.float64), dims=1)


# ---------------------------------------------------------------- chainrule.linalg norms
def test_vector_norm_errors():
    with pytest.raises(TypeError, match=r"linalg.vector_norm: ord must be a number, got 'fro'"):
        cr.linalg.vector_norm(_t(3), ord="fro")
    with pytest.raises(RuntimeError, match=r"linalg.vector_norm: Expected a floating point "
                                           r"tensor as input. Got int64 \(shape \(3, 4\)\)"):
        cr.linalg.vector_norm(_t(3, 4, dtype=cr.int64))
    with pytest.raises(RuntimeError, match="linalg.vector_norm: dtype should be floating point, "
                                           "but got chainrule.int64"):
        cr.linalg.vector_norm(_t(3), dtype=cr.int64)
    with pytest.raises(RuntimeError, match=r"linalg.vector_norm: cannot compute the inf norm on "
                                           r"an empty tensor \(shape \(0, 4\)\)"):
        cr.linalg.vector_norm(_t(0, 4), ord=float("inf"))
    with pytest.raises(IndexError, match="linalg.vector_norm: Dimension out of range"):
        cr.linalg.vector_norm(_t(3), dim=1)


def test_vector_norm_values_and_dtype():
    x = cr.tensor([[3.0, -4.0], [0.0, 0.0]])
    assert cr.linalg.vector_norm(x, dim=1).tolist() == [5.0, 0.0]
    assert cr.linalg.vector_norm(x, 0, dim=1).tolist() == [2.0, 0.0]
    assert cr.linalg.vector_norm(x, dtype=cr.float64).dtype == cr.float64
    assert cr.linalg.vector_norm(_t(0, 4)).item() == 0.0


def test_matrix_norm_errors():
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: The input tensor A must have at "
                                           r"least 2 dimensions \(got shape \(4,\)\)"):
        cr.linalg.matrix_norm(_t(4))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: dim must be a 2-tuple. Got "
                                           r"\(0, 1, 2\)"):
        cr.linalg.matrix_norm(_t(2, 3, 4), dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: dims must be different. Got "
                                           r"\(0, 0\)"):
        cr.linalg.matrix_norm(_t(3, 4), dim=(0, 0))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: Order 2 not supported \(needs "
                                           r"an SVD\)"):
        cr.linalg.matrix_norm(_t(3, 4), ord=2)
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: Order 3 not supported\.$"):
        cr.linalg.matrix_norm(_t(3, 4), ord=3)


def test_linalg_norm_errors():
    with pytest.raises(RuntimeError, match="linalg.norm: If dim is not specified but ord is, the "
                                           "input must be 1D or 2D. Got 3D."):
        cr.linalg.norm(_t(3, 4, 5), ord=1)


def test_matrix_norm_values():
    a = cr.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert cr.linalg.matrix_norm(a, 1).item() == 6.0                 # max column abs-sum
    assert cr.linalg.matrix_norm(a, float("inf")).item() == 7.0      # max row abs-sum
    assert cr.linalg.matrix_norm(a, -1).item() == 4.0
    assert np.isclose(cr.linalg.matrix_norm(a).item(), math.sqrt(30))
