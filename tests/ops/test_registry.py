"""The registry covers every op: each Function subclass of chainrule is reached by a case."""
import numpy as np

import chainrule as cr
from chainrule.autograd import Function
from op_registry import all_cases, make_inputs, to_lib

# Function subclasses that are not public ops of their own
NOT_OPS = {"Function"}


def _all_functions():
    seen, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return {c for c in seen
            if c.__module__.startswith("chainrule.") and not c.__name__.startswith("_")
            and c.__name__ not in NOT_OPS}


def _graph_classes(out):
    found, stack, seen = set(), [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or not isinstance(node, Function) or id(node) in seen:
            continue
        seen.add(id(node))
        found.add(type(node))
        stack.extend(node.next)
    return found


def test_every_function_is_in_the_registry():
    reached = set()
    for case in all_cases():
        ts = to_lib(cr, case, make_inputs(case, np.float64))
        out = case.fn(cr, *ts)
        outs = out if isinstance(out, (tuple, list)) else [out]
        for o in outs:
            if isinstance(o, cr.Tensor) and o.grad_fn is not None:
                reached |= _graph_classes(o)
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in _all_functions() - reached)
    assert not missing, f"ops without a registry case (tests/op_registry): {missing}"


def test_case_names_are_unique_and_inputs_valid():
    cases = all_cases()
    assert len({c.name for c in cases}) == len(cases)
    for c in cases:
        assert c.inputs, c.name
