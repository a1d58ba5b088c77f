"""The computational-graph experiment: the Rosenbrock DAG, its derivatives, its checks."""
import json
import shutil

import pytest

from chainrule.lab import computational_graph as C


@pytest.mark.parametrize("point", [(-1.5, 2.0), (1.0, 1.0), (0.3, -0.8), (2.0, 3.0)])
def test_autodiff_gradient_and_hessian_equal_the_closed_forms(point):
    exact = C.rosenbrock_closed_form(*point)
    assert C.autodiff_gradient(point) == pytest.approx(exact["gradient"], rel=1e-13, abs=1e-13)
    hess = C.autodiff_hessian(point)
    for row, exact_row in zip(hess, exact["hessian"]):
        assert row == pytest.approx(exact_row, rel=1e-13)


def test_closed_form_at_the_drawn_point_by_hand():
    # r = 2 - 2.25 = -0.25; df/dx1 = -2 * 2.5 - 400 * (-1.5) * (-0.25) = -155
    exact = C.rosenbrock_closed_form(-1.5, 2.0)
    assert exact["f"] == 12.5
    assert exact["gradient"] == [-155.0, -50.0]
    assert exact["hessian"] == [[2 - 800 + 2700, 600.0], [600.0, 200.0]]


def test_central_difference_of_a_quadratic_is_exact_and_of_a_vector_is_a_jacobian():
    g = C.central_difference(lambda q: 3 * q[0] ** 2 + q[0] * q[1], (1.0, 2.0), 1e-3)
    assert g == pytest.approx([8.0, 1.0], rel=1e-9)
    jac = C.central_difference(lambda q: [q[0] * q[1], q[1]], (1.0, 2.0), 1e-3)
    assert jac.shape == (2, 2)
    assert jac.ravel().tolist() == pytest.approx([2.0, 1.0, 0.0, 1.0], abs=1e-9)


def test_relative_error_has_a_floor_of_one():
    assert C.relative_error([1e-3], [0.0]) == pytest.approx(1e-3)
    assert C.relative_error([101.0, 0.0], [100.0, 0.0]) == pytest.approx(0.01)


def test_graph_edges_carry_the_local_derivatives_and_paths_sum_to_the_gradient():
    f, leaves = C.rosenbrock_graph((-1.5, 2.0))
    nodes, edges = C.graph_edges(f)
    assert len([n for n in nodes if n[1] != "leaf"]) == 7
    x1, x2, root = id(leaves["x1"]), id(leaves["x2"]), id(f.grad_fn)
    # from x1: d(1 - x1)/dx1 = -1 and d(x1^2)/dx1 = 2 x1 = -3
    assert sorted(d for a, _, d in edges if a == x1) == [-3.0, -1.0]
    assert [d for a, _, d in edges if a == x2] == [1.0]
    assert C.path_sum(edges, x1, root) == -155.0       # 1*5*(-1) + 1*100*(-0.5)*(-1)*(-3)
    assert C.path_sum(edges, x2, root) == -50.0        # 1*100*(-0.5)*1


def test_path_sum_adds_parallel_paths():
    edges = [(0, 1, 2.0), (0, 2, 3.0), (1, 3, 5.0), (2, 3, 7.0)]
    assert C.path_sum(edges, 0, 3) == 2 * 5 + 3 * 7


def test_checks_pass_on_measured_and_fail_on_made_up_numbers():
    r = C.measure(C.QUICK)
    found = C.checks(r)
    assert all(c.passed for c in found), [str(c) for c in found]
    bad = json.loads(json.dumps(r))
    bad["graph"]["ops"] = 6                          # a node missing
    bad["path_sum_error"] = 1e-3                     # the paths don't add up
    bad["max_err_autodiff_hessian"] = 1e-9           # Hessian only roughly right
    bad["max_err_fd_gradient"] = 1e-4                # finite differences too far off
    bad["fd_best_step"] = 1e-12                      # no round-off seen
    outcome = {c.name: c.passed for c in C.checks(bad)}
    failed = {name for name, ok in outcome.items() if not ok}
    assert failed == {
        "graph: f is 7 ops (+, -, *, **) over 2 leaves",
        "chain rule on the DAG: sum over paths of products of edge derivatives = backward's "
        "gradient",
        "functional.hessian = closed-form Hessian",
        "central differences of f = closed-form gradient",
        "finite differences: best step between 1e-8 and 1e-3 (truncation vs round-off)",
    }
    bad = json.loads(json.dumps(r))
    bad["graph"]["x1_fan_out"] = 1
    bad["graph"]["unlabelled_edges"] = 2
    bad["max_err_autodiff_gradient"] = 1e-10
    bad["max_err_fd_hessian"] = 1e-5
    bad["fd_smallest_step_error"] = bad["fd_best_error"] * 10
    assert sum(not c.passed for c in C.checks(bad)) == 5


def test_quick_run_writes_json_dot_and_plot(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)     # works without Graphviz
    found = C.run(quick=True, out=tmp_path)
    assert all(c.passed for c in found), [str(c) for c in found]
    data = json.loads((tmp_path / "computational_graph.json").read_text())
    assert data["graph"]["gradient"] == [-155.0, -50.0]
    assert len(data["points"]) == len(C.FIXED_POINTS)
    assert data["graph_files"] == [str(tmp_path / "rosenbrock.dot")]
    dot = (tmp_path / "rosenbrock.dot").read_text()
    assert dot.startswith("digraph") and 'label="-155"' not in dot and "grad -155" in dot
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "computational_graph.png").stat().st_size > 1000


def test_draw_renders_svg_and_png_with_graphviz(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    info, files = C.draw(tmp_path)
    assert files == [str(tmp_path / f"rosenbrock.{s}") for s in ("dot", "svg", "png")]
    assert (tmp_path / "rosenbrock.png").read_bytes().startswith(b"\x89PNG")
    assert info["path_sum"] == [-155.0, -50.0]
