"""The receptive-field-and-shapes experiment: its formulas, its supports, its checks on made-up
numbers, the quick variant."""
import copy
import json

import numpy as np
import pytest

from chainrule.lab import receptive_field as R


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("receptive-field")
    found = R.run(quick=True, out=out)
    return out, found, json.loads((out / "receptive_field.json").read_text())


@pytest.mark.parametrize("n, k, s, p, d, expected", [
    (7, 3, 1, 0, 1, 5), (7, 3, 2, 1, 1, 4), (224, 11, 4, 2, 1, 55), (224, 7, 2, 3, 1, 112),
    (10, 4, 3, 1, 1, 3), (15, 3, 1, 0, 3, 9), (32, 3, 1, 2, 2, 32), (55, 3, 2, 0, 1, 27),
])
def test_output_size_formula(n, k, s, p, d, expected):
    assert R.out_size(n, k, s, p, d) == expected


def test_analytic_box_of_the_7_5_3_pool_stack():
    n, specs = R.STACKS["7x7, 5x5, 3x3 conv, 2x2 max-pool s2"]
    box = R.analytic_box(specs, n)
    # 32 -> 26 -> 22 -> 20 -> 10; r = 1 + 6 + 4 + 2 + 1 = 14, j = 2; output 4 sees 8..21
    assert (box["r"], box["j"], box["out_size"], box["centre_out"]) == (14, 2, 10, 4)
    assert (box["lo"], box["hi"], box["clipped"]) == (8, 21, False)


def test_support_of_one_strided_padded_conv_is_its_window():
    specs = [("conv", 3, 2, 1, 1)]
    grad = R.input_gradient(R.positive_stack(specs, avg_for_max=True), 9, 2)
    s = R.support(grad)
    assert (s["rows"], s["cols"], s["extent"], s["nonzero"]) == ([3, 4, 5], [3, 4, 5], 3, 9)
    assert np.all(grad[3:6, 3:6] >= 0.5)        # the positive weights themselves


def test_max_pool_routes_to_one_window_position():
    specs = [("max", 2, 2, 0, 1)]
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    grad = R.input_gradient(R.positive_stack(specs, avg_for_max=False), 4, 1, x)
    assert np.argwhere(grad).tolist() == [[3, 3]]   # the window rows 2-3, cols 2-3: max at (3, 3)
    avg = R.input_gradient(R.positive_stack(specs, avg_for_max=True), 4, 1, x)
    assert avg[2:4, 2:4].tolist() == [[0.25, 0.25], [0.25, 0.25]] and avg.sum() == 1.0


def test_shape_routes_on_a_224_stem():
    rows = R.shape_routes(R.NETS_224["ResNet stem"], (1, 3, 224, 224), width=2)
    assert [r["forward"] for r in rows] == [[1, 2, 112, 112], [1, 2, 112, 112], [1, 2, 56, 56]]
    assert all(r["formula"] == r["analysis"] == r["forward"] for r in rows)


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick):
    _, found, data = quick
    assert all(c.passed for c in R.checks(data)), [str(c) for c in R.checks(data)]
    bad = copy.deepcopy(data)
    bad["shapes"]["mismatches"] = 1                       # a layer whose shape disagrees
    first = bad["fields"][next(iter(R.STACKS))]
    first["support"]["row_hi"] += 1                       # support wider than the box
    first["support"]["extent"] = 15
    grid = bad["fields"][R.GRIDDING]
    grid["support"]["n_rows"] = 9                         # no holes
    first["max_pool"]["outside_box"] = 3                  # max-pool left the box
    first["max_pool"]["union_fraction_of_box"] = 0.5      # union did not cover
    outcome = {c.name: c.passed for c in R.checks(bad)}
    assert outcome == {
        "output size formula = analysis.output_shape = forward shape": False,
        "gradient support = analytic receptive field box": False,
        "7x7, 5x5, 3x3, 2x2/2 max-pool: r = 14": False,
        "dilated stack: support extent = r": True,
        "dilated stack: holes inside the box (gridding)": False,
        "max-pool: gradient support stays inside the box": False,
        "max-pool: one input reaches only part of the box": True,
        "max-pool: union over random inputs covers the box (2x2 pool)": False,
        "max-pool: union over random inputs covers most of every box": False,
    }


def test_quick_run_writes_json_and_plot(quick):
    out, found, data = quick
    assert all(c.passed for c in found), [str(c) for c in found]
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    alex = data["fields"]["AlexNet: 11x11 s4 p2, 3x3 max s2, 5x5 p2, 3x3 max s2"]
    assert (alex["r"], alex["j"], alex["support"]["extent"]) == (67, 16, 67)
    nets = data["shapes"]["nets_224"]
    assert nets["AlexNet features"][-1]["forward"][2:] == [6, 6]
    assert nets["VGG-16 blocks 1-2"][-1]["forward"][2:] == [56, 56]
    pytest.importorskip("matplotlib")
    assert (out / "receptive_field.png").stat().st_size > 1000
