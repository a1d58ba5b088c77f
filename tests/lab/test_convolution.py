"""The convolution experiment: the loops, the algebra, its checks on made-up numbers, the quick
variant."""
import copy
import json

import numpy as np
import pytest

from chainrule.lab import convolution as C


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("convolution")
    found = C.run(quick=True, out=out)
    return out, found, json.loads((out / "convolution.json").read_text())


def test_by_hand_on_a_small_example():
    x = np.arange(16.0).reshape(4, 4)
    k = np.array([[1.0, 0.0], [0.0, -1.0]])
    # x[i, j] - x[i + 1, j + 1] = -5 everywhere
    assert C.by_hand(x, k).tolist() == [[-5.0] * 3] * 3
    # stride 2, padding 1: (4 + 2 - 2) // 2 + 1 = 3; y[i, j] = x[2i-1, 2j-1] - x[2i, 2j] (0 off x)
    assert C.by_hand(x, k, stride=2, padding=1).tolist() == [[0.0, -2.0, 0.0], [-8.0, -5.0, 7.0],
                                                             [0.0, 13.0, 15.0]]


def test_worked_example_numbers():
    w = C.worked_example()
    assert w["stride1"]["shape"] == [5, 5] and w["stride2_pad1"]["shape"] == [4, 4]
    # y[0, 0] = (3 + 2*1 + 2) - (1 + 2*8 + 2) = 7 - 19 = -12
    assert w["stride1"]["conv2d"][0][0] == -12.0
    assert w["stride1"]["max_abs_diff"] == 0 and w["stride2_pad1"]["max_abs_diff"] == 0


def test_full_convolution_and_correlation_against_numpy():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5])
    assert C.convolve_full(a, b).tolist() == np.convolve(a, b).tolist()
    assert C.correlate_full(a, b).tolist() == np.correlate(a, b, mode="full").tolist()
    # a (x) b is b (x) a reversed, not b (x) a
    assert C.correlate_full(a, b).tolist() == C.correlate_full(b, a)[::-1].tolist()
    assert C.correlate_full(a, b).tolist() != C.correlate_full(b, a).tolist()


def test_two_d_convolution_commutes():
    gen = np.random.default_rng(0)
    a, b = gen.standard_normal((3, 4)), gen.standard_normal((2, 5))
    np.testing.assert_allclose(C.convolve_full(a, b), C.convolve_full(b, a), atol=1e-14)
    assert C.convolve_full(a, b).shape == (4, 8)


def test_pooling_routes():
    p = C.pooling_routes()
    grad = np.array(p["max_grad"])
    assert (grad != 0).sum() == 16
    assert np.allclose(np.array(p["avg_grad"]).sum(), np.array(p["upstream"]).sum())
    # every element's max-pool gradient is either 0 or its window's upstream value
    up = np.kron(np.array(p["upstream"]), np.ones((2, 2)))
    assert np.all((grad == 0) | (grad == up))


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick):
    _, _, data = quick
    assert all(c.passed for c in C.checks(data)), [str(c) for c in C.checks(data)]
    bad = copy.deepcopy(data)
    bad["worked"]["stride2_pad1"]["max_abs_diff"] = 1.0       # off by one somewhere
    bad["algebra"]["worst"]["convolution"]["associativity"] = 1e-3
    bad["algebra"]["worst"]["cross_correlation"]["commutativity"] = 0.0
    bad["weight_gradient"]["max_rel_err"]["weight_stride2"] = 0.5
    bad["pooling"]["max_nonzero"] = 64                         # spread like avg-pool
    outcome = {c.name: c.passed for c in C.checks(bad)}
    assert outcome == {
        "worked 7x7 * 3x3, stride 1: by hand = conv2d": True,
        "worked 7x7 * 3x3, stride 2 pad 1: by hand = conv2d": False,
        "both are linear": True,
        "true convolution is commutative": True,
        "true convolution is associative": False,
        "cross-correlation is not commutative": False,
        "cross-correlation is not associative": True,
        "loops = scipy.signal; conv2d(flipped kernel, pad k-1) = true convolution": True,
        "dL/dw = cross-correlation of input and output gradient": False,
        "dL/dx = conv_transpose2d(g, w)": True,
        "max-pool sends each gradient to its window's argmax only": False,
        "avg-pool spreads g / 4 over each 2x2 window": True,
        "overlapping max-pool: a winner of several windows gets their sum": True,
    }


def test_quick_run_writes_json_and_plots(quick):
    out, found, data = quick
    assert all(c.passed for c in found), [str(c) for c in found]
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    assert data["worked"]["stride2_pad1"]["conv2d"][3][3] == 13.0
    pytest.importorskip("matplotlib")
    for name in ("convolution_worked.png", "convolution_pooling.png"):
        assert (out / name).stat().st_size > 1000
