"""PyTorch programs run unchanged on chainrule.

Each file in ``programs/`` is a plain PyTorch program written the way the tutorials write it
(``import torch`` at the top). ``to_chainrule`` rewrites its import lines, and nothing else, to
chainrule's (``import torch`` -> ``import chainrule as torch``, ``import torch.nn as nn`` ->
``import chainrule.nn as nn``, ``from torch.utils.data import ...`` ->
``from chainrule.utils.data import ...``); the test runs that text with chainrule and the
original with PyTorch, each in a fresh namespace inside its own temporary folder, and checks:

- the printed lines agree, once each float literal is masked (the two libraries draw different
  random numbers, so losses differ) and the library's name in reprs (``chainrule.Size`` for
  ``torch.Size``) is normalised; lines a program marks as data-dependent have every number masked;
- each program's own claim holds for both libraries (its loss falls by a stated factor, its
  accuracy passes a bar, its scheduler gives the stated learning rates, ...);
- the trained models agree: chainrule's final ``state_dict`` has torch's keys and shapes, and,
  copied into torch's model, gives torch's outputs on the same input.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

PROGRAMS = Path(__file__).parent / "programs"

# ------------------------------------------------------------------ the import rewrite
_IMPORT = re.compile(r"^(?P<indent>\s*)import torch(?P<sub>(\.\w+)*)(?P<alias>\s+as\s+\w+)?\s*$")
_FROM = re.compile(r"^(?P<indent>\s*)from torch(?P<sub>(\.\w+)*) import (?P<names>.+)$")


def to_chainrule(source: str) -> str:
    """``source`` with its torch import lines turned into chainrule's; every other line is
    kept as it is. An import of a torch submodule without ``as`` (which would bind the name
    ``torch`` to a different module) is refused rather than guessed."""
    out = []
    for line in source.splitlines(keepends=True):
        body = line.rstrip("\n")
        end = line[len(body):]
        m = _IMPORT.match(body)
        if m:
            if m["sub"] and not m["alias"]:
                raise ValueError(f"to_chainrule: cannot rewrite {body.strip()!r}; "
                                 f"write 'import torch{m['sub']} as name'")
            alias = m["alias"] or " as torch"
            body = f"{m['indent']}import chainrule{m['sub']}{alias}"
        else:
            m = _FROM.match(body)
            if m:
                body = f"{m['indent']}from chainrule{m['sub']} import {m['names']}"
        out.append(body + end)
    return "".join(out)


def test_rewrite_touches_import_lines_only():
    src = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
           "from torch import nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
           "import numpy as np\nx = torch.zeros(2)  # import torch\n"
           "    import torch.optim as optim\n")
    assert to_chainrule(src) == (
        "import chainrule as torch\nimport chainrule.nn as nn\n"
        "import chainrule.nn.functional as F\nfrom chainrule import nn\n"
        "from chainrule.utils.data import DataLoader, TensorDataset\n"
        "import numpy as np\nx = torch.zeros(2)  # import torch\n"
        "    import chainrule.optim as optim\n")
    with pytest.raises(ValueError, match="import torch.nn as name"):
        to_chainrule("import torch.nn\n")


def test_rewrite_of_every_program_changes_only_import_lines():
    for path in sorted(PROGRAMS.glob("*.py")):
        src = path.read_text()
        new = to_chainrule(src)
        old_lines, new_lines = src.splitlines(), new.splitlines()
        assert len(old_lines) == len(new_lines), path.name
        changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
        assert changed, f"{path.name} imports nothing from torch"
        for a, b in changed:
            assert re.match(r"\s*(import|from) torch", a), (path.name, a)
            assert "chainrule" in b and "torch" not in b.replace(" as torch", ""), (a, b)
        assert "chainrule" not in src


# ------------------------------------------------------------------ running a program
@dataclass
class Run:
    namespace: dict
    stdout: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


_RUNS: dict[tuple[str, str], Run] = {}


def run_program(name: str, lib: str, tmp_path_factory) -> Run:
    """Run ``programs/<name>.py`` with ``lib`` ('chainrule' or 'torch') in a fresh namespace
    and a fresh working folder, capturing what it prints (cached per session)."""
    key = (name, lib)
    if key not in _RUNS:
        if lib == "torch":
            pytest.importorskip("torch")
        path = PROGRAMS / f"{name}.py"
        src = path.read_text()
        if lib == "chainrule":
            src = to_chainrule(src)
        code = compile(src, str(path), "exec")
        namespace = {"__name__": "__main__", "__file__": str(path)}
        buf = io.StringIO()
        cwd = os.getcwd()
        os.chdir(tmp_path_factory.mktemp(f"{name}-{lib}"))
        threads = _torch_threads(1) if lib == "torch" else None
        try:
            with contextlib.redirect_stdout(buf):
                exec(code, namespace)
        finally:
            os.chdir(cwd)
            if threads is not None:
                _torch_threads(threads)
        _RUNS[key] = Run(namespace, buf.getvalue())
    return _RUNS[key]


def _torch_threads(n: int) -> int:
    """Set torch's intra-op threads to ``n`` (these models are tiny: extra threads only spin on
    a shared machine); returns the previous number."""
    import torch
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    return old


_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+|\bnan\b|\binf\b")
_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


def normalise(lines: list[str], data_dependent: tuple[str, ...]) -> list[str]:
    """Mask float literals everywhere, every number on lines matching a ``data_dependent``
    pattern, and write chainrule's name in reprs as torch's."""
    out = []
    for line in lines:
        line = line.replace("chainrule.", "torch.")
        if any(re.search(p, line) for p in data_dependent):
            line = _NUMBER.sub("#", line)
        else:
            line = _FLOAT.sub("<f>", line)
        out.append(line.rstrip())
    return out


# ------------------------------------------------------------------ what each program promises
@dataclass
class Spec:
    """How to check one program: its claim (``check(namespace)``, asserted for both
    libraries), the input to compare the trained models on (a shape, float32 normal, or a
    function of a NumPy generator) and how to call the model (``call(lib, model, x)``)."""
    check: Callable[[dict], None]
    input: tuple | Callable | None = None
    call: Callable = field(default=lambda lib, model, x: model(x))
    data_dependent: tuple[str, ...] = ()
    model: str = "model"
    atol: float = 2e-5


def _check_quickstart(ns):
    assert ns["accuracy"] >= 0.9, ns["accuracy"]          # 4 well separated blobs
    assert ns["test_loss"] < 0.5, ns["test_loss"]


def _check_cnn(ns):
    assert ns["accuracy"] >= 80.0, ns["accuracy"]
    assert tuple(ns["output"].shape) == (5, 2)


def _check_rnn(ns):
    losses = ns["losses"]
    assert len(losses) == 15
    assert losses[-1] < 0.8 * losses[0], losses


def _check_lstm(ns):
    assert ns["total"] == 96
    assert tuple(ns["output"].shape) == (5, 4)


def _check_gru(ns):
    assert tuple(ns["out"].shape) == (5, 3)
    assert tuple(ns["h"].shape) == (2, 5, 12)
    assert not ns["model"].training


def _check_sine(ns):
    losses = ns["losses"]
    assert len(losses) == 40
    assert ns["final_loss"] < losses[0] / 5, (losses[0], ns["final_loss"])


def _check_bilstm(ns):
    hn, cn = ns["model"].last_states
    assert tuple(hn.shape) == tuple(cn.shape) == (4, 48, 8)
    # 2 layers x 2 directions: layer 0 sees 5 features, layer 1 sees 2 * 8
    per_dir = [4 * 8 * 5 + 4 * 8 * 8 + 2 * 4 * 8, 4 * 8 * 16 + 4 * 8 * 8 + 2 * 4 * 8]
    n = sum(p.numel() for p in ns["model"].parameters())
    assert n == 2 * sum(per_dir) + 8 * 2 * 2 + 2


def _check_scheduler(ns):
    assert ns["lrs"] == pytest.approx([0.05, 0.025, 0.0125]), ns["lrs"]
    assert ns["test_losses"][-1] < 0.6 * ns["test_losses"][0], ns["test_losses"]
    assert not ns["model"].training                          # test() ran last


def _check_save_load(ns):
    assert os.path.basename(ns["PATH"]) == "model_weights.pth"
    assert ns["epoch"] == 3


def _check_char_lstm(ns):
    losses = ns["losses"]
    assert len(losses) == 30
    assert np.mean(losses[-3:]) < 0.4 * losses[0], losses
    assert len(ns["generated"]) == 20 and set(ns["generated"]) <= set(ns["chars"])


def _check_polynomial(ns):
    losses = ns["losses"]
    assert losses[-1] < losses[0] / 3, (losses[0], losses[-1])
    assert ns["a"].grad is None and float(ns["d"].grad.sum()) == 0.0


def _check_binary(ns):
    train_loss, val_loss, val_acc = zip(*ns["history"])
    assert len(val_acc) == 12 and max(val_acc[-3:]) >= 0.9, val_acc
    assert ns["best_loss"] < val_loss[0] / 2, (val_loss[0], ns["best_loss"])
    assert abs(ns["best_val"] - ns["best_loss"]) < 1e-6       # the best weights came back
    lrs = [g["lr"] for g in ns["optimizer"].param_groups]
    assert lrs[0] <= 0.02


def _gru_call(lib, model, x):
    return model(x, model.init_hidden(x.size(0)))


def _char_input(rng):
    return rng.integers(0, 14, size=(3, 7))


def _char_call(lib, model, x):
    h = (lib.zeros(1, x.size(0), 32), lib.zeros(1, x.size(0), 32))
    return model(x, h)


SPECS = {
    "quickstart_mlp": Spec(_check_quickstart, input=(6, 8),
                           data_dependent=(r"Accuracy",)),
    "cnn_classifier": Spec(_check_cnn, input=(6, 1, 12, 12), atol=1e-4,
                           data_dependent=(r"Accuracy",)),
    "rnn_classifier": Spec(_check_rnn, input=(4, 10, 10)),
    "lstm_classifier": Spec(_check_lstm, input=(4, 8, 8), data_dependent=(r"^Accuracy",)),
    "gru_classifier": Spec(_check_gru, input=(3, 5, 6), call=_gru_call),
    "lstm_sine_regressor": Spec(_check_sine, input=(4, 12, 1)),
    "bilstm_tagger": Spec(_check_bilstm, input=(3, 9, 5)),
    "scheduler_eval": Spec(_check_scheduler, input=(5, 10),
                           data_dependent=(r"Test set: .*Accuracy",)),
    "save_load_state_dict": Spec(_check_save_load, input=(2, 3, 14, 14), atol=1e-4),
    "char_lstm": Spec(_check_char_lstm, input=_char_input, call=_char_call),
    "autograd_polynomial": Spec(_check_polynomial, model=None),
    "binary_classifier_utils": Spec(_check_binary, input=(7, 2)),
}


def test_every_program_has_a_spec():
    assert sorted(p.stem for p in PROGRAMS.glob("*.py")) == sorted(SPECS)


NAMES = sorted(SPECS)


# ------------------------------------------------------------------ the tests
@pytest.mark.parametrize("name", NAMES)
def test_program_runs_on_chainrule_and_keeps_its_promise(name, tmp_path_factory):
    run = run_program(name, "chainrule", tmp_path_factory)
    assert run.lines, f"{name} printed nothing"
    SPECS[name].check(run.namespace)


@pytest.mark.parametrize("name", NAMES)
def test_program_keeps_its_promise_on_torch(name, tmp_path_factory):
    """The same claim holds for PyTorch (so the thresholds are about the task, not about
    chainrule)."""
    run = run_program(name, "torch", tmp_path_factory)
    SPECS[name].check(run.namespace)


@pytest.mark.parametrize("name", NAMES)
def test_printed_lines_match_torch(name, tmp_path_factory):
    ours = run_program(name, "chainrule", tmp_path_factory)
    theirs = run_program(name, "torch", tmp_path_factory)
    spec = SPECS[name]
    assert normalise(ours.lines, spec.data_dependent) == \
        normalise(theirs.lines, spec.data_dependent)


def _as_torch(torch, value):
    if isinstance(value, (tuple, list)):
        return type(value)(_as_torch(torch, v) for v in value)
    return torch.from_numpy(np.array(value.detach().numpy(), copy=True))


def _flat_numpy(value) -> list:
    """The arrays of a tensor or a nested tuple/list of tensors, in order."""
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _flat_numpy(v)]
    return [value.detach().numpy()]


@pytest.mark.parametrize("name", [n for n in NAMES if SPECS[n].model])
def test_trained_model_matches_torch_with_the_same_weights(name, tmp_path_factory):
    torch = pytest.importorskip("torch")
    import chainrule as cr

    spec = SPECS[name]
    ours = run_program(name, "chainrule", tmp_path_factory).namespace[spec.model]
    theirs = run_program(name, "torch", tmp_path_factory).namespace[spec.model]
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for k in ours_sd:
        assert tuple(ours_sd[k].shape) == tuple(theirs_sd[k].shape), k
        assert ours_sd[k].dtype.name == str(theirs_sd[k].dtype).removeprefix("torch."), k

    theirs.load_state_dict({k: _as_torch(torch, v) for k, v in ours_sd.items()})
    ours.eval()
    theirs.eval()
    rng = np.random.default_rng(0)
    x = spec.input(rng) if callable(spec.input) else \
        rng.standard_normal(spec.input).astype(np.float32)
    with cr.no_grad():
        got = _flat_numpy(spec.call(cr, ours, cr.from_numpy(x)))
    with torch.no_grad():
        want = _flat_numpy(spec.call(torch, theirs, torch.from_numpy(x)))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, atol=spec.atol, rtol=1e-4)


def test_polynomial_fit_follows_torch_from_the_same_start(tmp_path_factory):
    """The hand-written gradient descent of ``autograd_polynomial`` replayed in PyTorch from
    the starting weights chainrule printed ends at chainrule's coefficients."""
    torch = pytest.importorskip("torch")
    run = run_program("autograd_polynomial", "chainrule", tmp_path_factory)
    start = [float(v) for v in re.findall(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?", run.lines[0])]
    assert run.lines[0].startswith("Initial:") and len(start) == 4
    x = torch.linspace(-np.pi, np.pi, 200)
    y = torch.sin(x)
    w = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in start]
    for _ in range(300):
        loss = (w[0] + w[1] * x + w[2] * x ** 2 + w[3] * x ** 3 - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for p in w:
                p -= 1e-5 * p.grad
                p.grad = None
    ns = run.namespace
    got = [ns[k].item() for k in "abcd"]
    np.testing.assert_allclose(got, [p.item() for p in w], rtol=1e-4, atol=1e-5)
    assert ns["losses"][-1] == pytest.approx(loss.item(), rel=1e-3)
