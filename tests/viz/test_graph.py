"""draw_graph: the DOT text of autograd graphs (structure, labels, values) and writing files."""
from __future__ import annotations

import re
import shutil
import sys
from collections import Counter

import pytest

import chainrule
from chainrule.autograd.function import Function
from chainrule.viz import draw_graph, keep_values, render, save_graph

NODE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"', re.M)
CONST = re.compile(r'^\s*(c\d+) \[label="((?:[^"\\]|\\.)*)"', re.M)
EDGE = re.compile(r'^\s*([nc]\d+) -> (n\d+)(?: \[label="([^"]*)"\])?', re.M)


def parse(dot: str):
    """{id: [label lines]} of op/leaf nodes, {id: text} of constants, [(src, dst, label)]."""
    nodes = {i: text.split("\\n") for i, text in NODE.findall(dot)}
    consts = dict(CONST.findall(dot))
    edges = [(s, d, lab or None) for s, d, lab in EDGE.findall(dot)]
    return nodes, consts, edges


def scalars(x1=-1.5, x2=2.0):
    return (chainrule.tensor(x1, dtype=chainrule.float64, requires_grad=True),
            chainrule.tensor(x2, dtype=chainrule.float64, requires_grad=True))


def rosenbrock(x1, x2):
    return (1 - x1) ** 2 + 100 * (x2 - x1 ** 2) ** 2


def titled_edges(nodes, edges):
    """Edges as (source title, target title, label), comparable as a multiset."""
    return Counter((nodes[s][0], nodes[d][0], lab) for s, d, lab in edges if s.startswith("n"))


# ---------------------------------------------------------------------- the Rosenbrock DAG
def test_rosenbrock_structure_and_local_derivatives():
    x1, x2 = scalars()
    f = rosenbrock(x1, x2)
    f.backward(retain_graph=True)
    dot = draw_graph(f, {"x1": x1, "x2": x2})
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    nodes, consts, edges = parse(dot)
    # 2 leaves + Sub, Pow, Pow, Sub, Pow, Mul, Add; one edge per differentiable input
    assert len(nodes) == 9 and len(edges) == 9 and consts == {}
    titles = Counter(lines[0] for lines in nodes.values())
    assert titles == Counter({"x1": 1, "x2": 1, "Sub": 2, "Pow (**2)": 3, "Mul": 1, "Add": 1})
    # local derivatives at (-1.5, 2): d(1-x1)/dx1 = -1, d(a**2)/da = 2a with a = 2.5, -1.5, -0.25
    assert titled_edges(nodes, edges) == Counter({
        ("x1", "Sub", "-1"): 1, ("Sub", "Pow (**2)", "5"): 1, ("x1", "Pow (**2)", "-3"): 1,
        ("x2", "Sub", "1"): 1, ("Pow (**2)", "Sub", "-1"): 1, ("Sub", "Pow (**2)", "-0.5"): 1,
        ("Pow (**2)", "Mul", "100"): 1, ("Mul", "Add", "1"): 1, ("Pow (**2)", "Add", "1"): 1})
    assert "local derivative" in dot


def test_rosenbrock_values_and_grads():
    x1, x2 = scalars()
    f = rosenbrock(x1, x2)
    f.backward(retain_graph=True)
    nodes, _, _ = parse(draw_graph(f, {"x1": x1, "x2": x2}))
    by_title = {}
    for lines in nodes.values():
        by_title.setdefault(lines[0], []).append(lines[1:])
    assert by_title["x1"] == [["shape ()", "value -1.5", "grad -155"]]
    assert by_title["x2"] == [["shape ()", "value 2", "grad -50"]]
    assert by_title["Add"] == [["shape ()", "value 12.5"]]        # the output is marked too
    # saved tensors tell the values of the two Subs and of the Pow the Mul consumed
    assert sorted(by_title["Sub"]) == [["shape ()", "value -0.25"], ["shape ()", "value 2.5"]]
    assert ["shape ()", "value 0.0625"] in by_title["Pow (**2)"]
    nodes, _, _ = parse(draw_graph(f, {"x1": x1, "x2": x2}, show_values=False, show_grads=False))
    assert all(not any(s.startswith(("value", "grad")) for s in v) for v in nodes.values())


def test_keep_values_shows_every_value_and_the_constants():
    x1, x2 = scalars()
    apply_before = Function.__dict__["apply"]
    with keep_values():
        f = rosenbrock(x1, x2)
    assert Function.__dict__["apply"] is apply_before
    f.backward(retain_graph=True)
    nodes, consts, edges = parse(draw_graph(f, {"x1": x1, "x2": x2}))
    values = sorted(lines[2] for lines in nodes.values() if not lines[0].startswith("x"))
    assert values == sorted(["value 2.5", "value 6.25", "value 2.25", "value -0.25",
                             "value 0.0625", "value 6.25", "value 12.5"])
    assert sorted(consts.values()) == ["1", "100"]
    const_edges = {(consts[s], nodes[d][0]) for s, d, _ in edges if s.startswith("c")}
    assert const_edges == {("1", "Sub"), ("100", "Mul")}
    assert len([e for e in edges if e[0].startswith("n")]) == 9


def test_keep_values_restores_apply_after_an_error():
    before = Function.__dict__["apply"]
    with pytest.raises(ZeroDivisionError):
        with keep_values():
            raise ZeroDivisionError
    assert Function.__dict__["apply"] is before


def test_labels_of_ops_that_saved_tensors_vanish_after_backward_frees_them():
    x1, x2 = scalars()
    f = rosenbrock(x1, x2)
    f.backward()
    nodes, _, edges = parse(draw_graph(f, {"x1": x1, "x2": x2}))
    assert len(nodes) == 9 and len(edges) == 9
    # Add and Sub saved nothing, so their derivatives are still known; Pow and Mul are freed
    assert titled_edges(nodes, edges) == Counter({
        ("x1", "Sub", "-1"): 1, ("Sub", "Pow (**2)", None): 2, ("x1", "Pow (**2)", None): 1,
        ("x2", "Sub", "1"): 1, ("Pow (**2)", "Sub", "-1"): 1,
        ("Pow (**2)", "Mul", None): 1, ("Mul", "Add", "1"): 1, ("Pow (**2)", "Add", "1"): 1})
    assert nodes["n0"][2:] == ["value -1.5", "grad -155"]


def test_mul_of_two_scalars_is_labelled_with_the_other_factor():
    a, b = scalars(3.0, -2.0)
    nodes, _, edges = parse(draw_graph(a * b, {"a": a, "b": b}))
    assert titled_edges(nodes, edges) == Counter({("a", "Mul", "-2"): 1, ("b", "Mul", "3"): 1})
    x, _ = scalars(3.0)
    nodes, _, edges = parse(draw_graph(x * x, {"x": x}))
    assert titled_edges(nodes, edges) == Counter({("x", "Mul", "3"): 2})  # two parallel edges


def test_pow_with_a_scalar_exponent():
    x, _ = scalars(2.0)
    nodes, _, edges = parse(draw_graph(x ** 3, {"x": x}))
    assert titled_edges(nodes, edges) == Counter({("x", "Pow (**3)", "12"): 1})  # 3 x**2


# ---------------------------------------------------------------------- tensors, names, misc
def test_tensors_small_values_big_shapes_and_no_labels():
    w = chainrule.tensor([1.0, 2.0, 3.0], requires_grad=True)
    big = chainrule.ones(10, requires_grad=True)
    y = (w * 2).sum() + big.sum()
    y.backward(retain_graph=True)
    nodes, _, edges = parse(draw_graph(y, {"w": w, "big": big}))
    leaves = {lines[0]: lines[1:] for lines in nodes.values() if lines[0] in ("w", "big")}
    assert leaves["w"] == ["shape (3,)", "value [1, 2, 3]", "grad [2, 2, 2]"]
    assert leaves["big"] == ["shape (10,)"]            # more than 6 elements: no numbers
    labels = {(nodes[s][0], nodes[d][0]): lab for s, d, lab in edges}
    assert labels[("w", "Mul")] is None                # d(vector)/d(vector) is no number
    assert labels[("Mul", "Sum")] is None
    assert labels[("Sum", "Add")] == "1"
    nodes, _, _ = parse(draw_graph(y, {"w": w, "big": big}, max_elements=10))
    assert any(s.startswith("value [1, 1,") for s in nodes[[k for k in nodes
                                                           if nodes[k][0] == "big"][0]])


def test_unnamed_leaves_named_intermediates_and_retained_grads():
    x, _ = scalars(2.0)
    h = x * 3
    h.retain_grad()
    y = h.exp()
    y.backward()
    nodes, _, _ = parse(draw_graph(y, {"h": h}))
    titles = sorted(lines[0] for lines in nodes.values())
    assert titles == ["Exp", "h", "leaf"]
    (named,) = [lines for lines in nodes.values() if lines[0] == "h"]
    assert named[1] == "Mul" and named[3] == "value 6" and named[4] == "grad 403.4"


def test_several_outputs_and_a_leaf_output():
    a, b = scalars(1.0, 2.0)
    s, p = a + b, a * b
    nodes, _, edges = parse(draw_graph([s, p], {"a": a, "b": b}))
    assert len(nodes) == 4 and len(edges) == 4
    assert draw_graph(a, {"a": a}).count("->") == 0
    nodes, _, _ = parse(draw_graph(a, {"a": a}))
    assert list(nodes.values()) == [["a", "shape ()", "value 1"]]
    with pytest.raises(TypeError, match="draw_graph"):
        draw_graph(3.0)
    with pytest.raises(TypeError, match="params"):
        draw_graph(s, {"a": 1.0})


def test_labels_are_escaped():
    x, _ = scalars(2.0)
    dot = draw_graph(x * 2, {'my "x"\\': x})
    assert 'label="my \\"x\\"\\\\\\nshape ()' in dot


def test_iterative_walk_on_a_10000_op_chain():
    x = chainrule.tensor(1.0, dtype=chainrule.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(200, len(_stack_depth()) + 100))  # any recursion would fail
    try:
        dot = draw_graph(y, {"x": x})
    finally:
        sys.setrecursionlimit(limit)
    nodes, _, edges = parse(dot)
    assert len(nodes) == 10_001 and len(edges) == 10_000
    assert all(lab == "1" for _, _, lab in edges)


def _stack_depth():
    frames, f = [], sys._getframe()
    while f is not None:
        frames.append(f)
        f = f.f_back
    return frames


def test_drawing_changes_nothing_in_the_graph():
    x1, x2 = scalars()
    f = rosenbrock(x1, x2)
    draw_graph(f)
    f.backward()                                    # still works: drawing freed nothing
    assert (x1.grad.item(), x2.grad.item()) == (-155.0, -50.0)


# ---------------------------------------------------------------------- files
def test_save_graph_writes_dot_text(tmp_path):
    x1, x2 = scalars()
    dot = draw_graph(rosenbrock(x1, x2))
    path = save_graph(dot, tmp_path / "sub" / "g.dot")
    assert path == tmp_path / "sub" / "g.dot" and path.read_text() == dot
    with pytest.raises(ValueError, match="format"):
        save_graph(dot, tmp_path / "g.jpeg")


def test_save_graph_without_graphviz_writes_dot_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    x1, x2 = scalars()
    dot = draw_graph(rosenbrock(x1, x2))
    with pytest.warns(RuntimeWarning, match="not on PATH"):
        path = save_graph(dot, tmp_path / "g.svg")
    assert path == tmp_path / "g.dot" and path.read_text() == dot
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_render_svg_and_png_with_graphviz(tmp_path):
    x1, x2 = scalars()
    f = rosenbrock(x1, x2)
    f.backward(retain_graph=True)
    svg = render(f, tmp_path / "g.svg", {"x1": x1, "x2": x2})
    text = svg.read_text()
    assert "<svg" in text and "x1" in text and "Rosenbrock" not in text
    png = render(f, tmp_path / "g.png", {"x1": x1, "x2": x2})
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg"]   # no temp files
