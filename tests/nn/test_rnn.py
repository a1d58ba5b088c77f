"""Recurrent layers (RNN, LSTM, GRU and their cells) against torch: same repr, state_dict names,
shapes and registration order; after loading torch's state_dict the outputs, final states and
the gradients of every parameter, the input and the initial states match (float32: 1e-5
forward, 1e-4 gradients). Plus shapes, argument and input errors, dropout between layers,
1,000-step backpropagation, and the create_graph path against the fast one."""
import inspect
import math
import sys
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as cnn

SEQ, BATCH, IN, HID = 5, 3, 4, 6


@pytest.fixture
def torch(torch):
    """torch with one thread while the test runs: its thread pool costs ~0.1 s per tiny
    recurrent call on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def _rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _pair(torch, ctor: str):
    """The same constructor call in both libraries; torch's weights loaded into chainrule."""
    t_mod = eval(ctor, {"nn": torch.nn})
    c_mod = eval(ctor, {"nn": cnn})
    result = c_mod.load_state_dict({k: v.detach().numpy() for k, v in
                                    t_mod.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    return c_mod, t_mod


def _run(lib, mod, x, states, lstm: bool):
    """forward + backward of sum(out * w) + sum of the final states * weights; returns
    (results, grads of input, states and parameters)."""
    xt = lib.tensor(x, requires_grad=True)
    st = [lib.tensor(s, requires_grad=True) for s in states]
    hx = None if not st else (tuple(st) if lstm else st[0])
    out, h = mod(xt, hx) if hx is not None else mod(xt)
    results = [out] + (list(h) if lstm else [h])
    loss = 0
    for k, r in enumerate(results):
        w = np.cos(np.arange(r.numel()) * (0.3 + k)).reshape(tuple(r.shape)).astype(np.float32)
        loss = loss + (r * lib.tensor(w)).sum()
    loss.backward()
    grads = [xt.grad] + [s.grad for s in st] + [p.grad for p in mod.parameters()]
    return results, grads


SEQUENCE_CONFIGS = [
    # (constructor, batched, batch_first, with initial state)
    ("nn.LSTM(4, 6)", True, False, False),
    ("nn.LSTM(4, 6, num_layers=2)", True, False, True),
    ("nn.LSTM(4, 6, num_layers=3, bidirectional=True)", True, False, True),
    ("nn.LSTM(4, 6, batch_first=True, bidirectional=True)", True, True, False),
    ("nn.LSTM(4, 6, num_layers=2, bias=False, batch_first=True)", True, True, True),
    ("nn.LSTM(4, 6, num_layers=2, bidirectional=True)", False, False, True),
    ("nn.LSTM(4, 6)", False, False, False),
    ("nn.LSTM(4, 6, proj_size=3)", True, False, True),
    ("nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True, proj_size=2)", True,
     True, True),
    ("nn.LSTM(4, 6, bias=False, proj_size=4)", False, False, True),
    ("nn.LSTM(4, 6, num_layers=2, proj_size=5)", True, False, False),
    ("nn.GRU(4, 6)", True, False, False),
    ("nn.GRU(4, 6, num_layers=3, bidirectional=True)", True, False, True),
    ("nn.GRU(4, 6, num_layers=2, bias=False, batch_first=True)", True, True, True),
    ("nn.GRU(4, 6, batch_first=True, bidirectional=True)", False, True, True),
    ("nn.RNN(4, 6)", True, False, True),
    ("nn.RNN(4, 6, num_layers=2, nonlinearity='relu', bidirectional=True)", True, False, True),
    ("nn.RNN(4, 6, 3, 'relu', False, True)", True, True, False),
    ("nn.RNN(4, 6, num_layers=2, batch_first=True)", False, True, True),
]


@pytest.mark.parametrize("ctor,batched,batch_first,with_state", SEQUENCE_CONFIGS,
                         ids=[f"{c[0]}-{'b' if c[1] else 'u'}-{'h0' if c[3] else 'none'}"
                              for c in SEQUENCE_CONFIGS])
def test_sequence_parity_with_torch(torch, ctor, batched, batch_first, with_state):
    c_mod, t_mod = _pair(torch, ctor)
    rng = np.random.default_rng(len(ctor))
    lstm = "LSTM" in ctor
    dirs = 2 if t_mod.bidirectional else 1
    lead = (t_mod.num_layers * dirs,) + ((BATCH,) if batched else ())
    if batched:
        x = _rand(rng, BATCH, SEQ, IN) if batch_first else _rand(rng, SEQ, BATCH, IN)
    else:
        x = _rand(rng, SEQ, IN)
    sizes = [getattr(t_mod, "proj_size", 0) or HID, HID][:2 if lstm else 1]    # h's, c's
    states = [_rand(rng, *lead, size) for size in sizes] if with_state else []
    c_res, c_grads = _run(cr, c_mod, x, states, lstm)
    t_res, t_grads = _run(torch, t_mod, x, states, lstm)
    for k, (c, t) in enumerate(zip(c_res, t_res)):
        assert tuple(c.shape) == tuple(t.shape), f"result {k}"
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), atol=1e-5,
                                   rtol=1e-5, err_msg=f"result {k}")
    assert len(c_grads) == len(t_grads)
    for k, (c, t) in enumerate(zip(c_grads, t_grads)):
        np.testing.assert_allclose(c.numpy(), t.numpy(), atol=1e-4, rtol=1e-4,
                                   err_msg=f"gradient {k}")


CELL_CONFIGS = [
    ("nn.LSTMCell(4, 6)", True, True),
    ("nn.LSTMCell(4, 6, bias=False)", True, False),
    ("nn.LSTMCell(4, 6)", False, True),
    ("nn.GRUCell(4, 6)", True, True),
    ("nn.GRUCell(4, 6, bias=False)", False, False),
    ("nn.RNNCell(4, 6)", True, False),
    ("nn.RNNCell(4, 6, nonlinearity='relu')", False, True),
    ("nn.RNNCell(4, 6, False, 'relu')", True, True),
]


@pytest.mark.parametrize("ctor,batched,with_state", CELL_CONFIGS)
def test_cell_parity_with_torch(torch, ctor, batched, with_state):
    c_mod, t_mod = _pair(torch, ctor)
    rng = np.random.default_rng(len(ctor))
    lead = (BATCH,) if batched else ()
    x = _rand(rng, *lead, IN)
    lstm = "LSTM" in ctor
    states = [_rand(rng, *lead, HID) for _ in range(2 if lstm else 1)] if with_state else []

    def run(lib, mod):
        xt = lib.tensor(x, requires_grad=True)
        st = [lib.tensor(s, requires_grad=True) for s in states]
        hx = (tuple(st) if lstm else st[0]) if st else None
        res = mod(xt, hx)
        res = list(res) if lstm else [res]
        loss = sum((r * lib.tensor(np.linspace(-1, 1, r.numel(), dtype=np.float32)
                                   .reshape(tuple(r.shape)))).sum() for r in res)
        loss.backward()
        return res, [xt.grad] + [s.grad for s in st] + [p.grad for p in mod.parameters()]

    (c_res, c_grads), (t_res, t_grads) = run(cr, c_mod), run(torch, t_mod)
    for c, t in zip(c_res + c_grads, t_res + t_grads):
        assert tuple(c.shape) == tuple(t.shape)
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), atol=1e-5,
                                   rtol=1e-4)


# ------------------------------------------------------------------ construction
MODULES = ["nn.LSTM(10, 20, num_layers=2, batch_first=True)",
           "nn.LSTM(3, 4, 2, False, True, 0.5, True)",
           "nn.GRU(5, 7, bidirectional=True)", "nn.GRU(5, 7, bias=False, num_layers=3)",
           "nn.RNN(3, 4, nonlinearity='relu')", "nn.RNN(3, 4, 2, dropout=0.25)",
           "nn.LSTMCell(3, 4)", "nn.GRUCell(3, 4, bias=False)",
           "nn.RNNCell(3, 4, nonlinearity='relu')", "nn.RNNCell(3, 4, bias=False)"]


@pytest.mark.parametrize("ctor", MODULES)
def test_repr_state_dict_names_shapes_and_order_match_torch(torch, ctor):
    c_mod, t_mod = eval(ctor, {"nn": cnn}), eval(ctor, {"nn": torch.nn})
    assert repr(c_mod) == repr(t_mod)
    c_sd, t_sd = c_mod.state_dict(), t_mod.state_dict()
    assert list(c_sd) == list(t_sd)
    assert [tuple(v.shape) for v in c_sd.values()] == [tuple(v.shape) for v in t_sd.values()]
    assert [n for n, _ in c_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]
    if hasattr(t_mod, "_flat_weights_names"):
        assert c_mod._flat_weights_names == t_mod._flat_weights_names
        assert c_mod._all_weights == t_mod._all_weights
        assert [[tuple(p.shape) for p in ws] for ws in c_mod.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in t_mod.all_weights]


def test_repr_examples():
    assert repr(cnn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(cnn.GRU(3, 4, bias=False, dropout=0.5, num_layers=2, bidirectional=True)) == \
        "GRU(3, 4, num_layers=2, bias=False, dropout=0.5, bidirectional=True)"
    assert repr(cnn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


@pytest.mark.parametrize("ctor,hidden", [("LSTM(3, 16, num_layers=2, bidirectional=True)", 16),
                                         ("GRU(3, 25)", 25), ("RNN(5, 9)", 9),
                                         ("LSTMCell(3, 16)", 16), ("GRUCell(2, 4)", 4)])
def test_default_initialisation_is_uniform_in_one_over_sqrt_hidden(ctor, hidden):
    cr.manual_seed(0)
    mod = eval(ctor, {**vars(cnn)})
    bound = 1 / math.sqrt(hidden)
    values = np.concatenate([p.detach().numpy().ravel() for p in mod.parameters()])
    assert values.dtype == np.float32
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound   # fills the range
    assert abs(values.mean()) < 0.1 * bound
    for p in mod.parameters():
        assert p.requires_grad


def test_dtype_argument_and_double():
    mod = cnn.GRU(3, 4, dtype=cr.float64)
    assert all(p.dtype == cr.float64 for p in mod.parameters())
    out, h = mod(cr.randn(2, 5, 3, dtype=cr.float64))
    assert out.dtype == cr.float64 and h.dtype == cr.float64
    lstm = cnn.LSTM(3, 4).double()
    out, (h, c) = lstm(cr.randn(2, 5, 3, dtype=cr.float64))
    assert out.dtype == c.dtype == cr.float64


def test_flatten_parameters_is_a_noop():
    mod = cnn.LSTM(3, 4, num_layers=2)
    before = {k: v.numpy().copy() for k, v in mod.state_dict().items()}
    assert mod.flatten_parameters() is None
    assert all(np.array_equal(before[k], v.numpy()) for k, v in mod.state_dict().items())


@pytest.mark.parametrize("ctor,shapes", [
    ("LSTM(4, 6, num_layers=2, bidirectional=True)",
     {"x": (7, 3, 4), "out": (7, 3, 12), "h": (4, 3, 6)}),
    ("LSTM(4, 6, batch_first=True)", {"x": (3, 7, 4), "out": (3, 7, 6), "h": (1, 3, 6)}),
    ("GRU(4, 6, num_layers=3)", {"x": (7, 4), "out": (7, 6), "h": (3, 6)}),
    ("GRU(4, 6, bidirectional=True, batch_first=True)",
     {"x": (7, 4), "out": (7, 12), "h": (2, 6)}),
    ("RNN(4, 6, bidirectional=True, batch_first=True)",
     {"x": (2, 1, 4), "out": (2, 1, 12), "h": (2, 2, 6)}),
])
def test_output_shapes(ctor, shapes):
    mod = eval(ctor, {**vars(cnn)})
    out, h = mod(cr.randn(*shapes["x"]))
    assert tuple(out.shape) == shapes["out"]
    for state in (h if isinstance(h, tuple) else (h,)):
        assert tuple(state.shape) == shapes["h"]


def test_final_states_are_the_last_outputs_of_each_direction():
    mod = cnn.LSTM(3, 4, bidirectional=True, batch_first=True)
    with cr.no_grad():
        out, (h, c) = mod(cr.randn(2, 5, 3))
    np.testing.assert_array_equal(h[0].numpy(), out[:, -1, :4].numpy())    # forward: last step
    np.testing.assert_array_equal(h[1].numpy(), out[:, 0, 4:].numpy())     # reverse: first step


def test_passing_back_the_state_continues_the_sequence():
    """Running 6 steps at once equals running 4 then 2 with the returned state."""
    for mod in (cnn.LSTM(3, 4, num_layers=2), cnn.GRU(3, 4), cnn.RNN(3, 4)):
        x = cr.randn(6, 2, 3)
        full, _ = mod(x)
        first, state = mod(x[:4])
        second, _ = mod(x[4:], state)
        np.testing.assert_allclose(cr.cat([first, second]).detach().numpy(),
                                   full.detach().numpy(), atol=1e-6)


def test_cells_unrolled_equal_the_sequence_layer():
    cr.manual_seed(1)
    for seq_cls, cell_cls in ((cnn.LSTM, cnn.LSTMCell), (cnn.GRU, cnn.GRUCell),
                              (cnn.RNN, cnn.RNNCell)):
        seq, cell = seq_cls(3, 5), cell_cls(3, 5)
        cell.load_state_dict({k[:-3]: v for k, v in seq.state_dict().items()})
        x = cr.randn(4, 2, 3)
        out, _ = seq(x)
        state = None
        for t in range(4):
            state = cell(x[t], state)
            h = state[0] if isinstance(state, tuple) else state
            np.testing.assert_allclose(h.detach().numpy(), out[t].detach().numpy(), atol=1e-6)


# ------------------------------------------------------------------ dropout, modes
def test_dropout_acts_between_layers_in_training_mode_only():
    cr.manual_seed(0)
    mod = cnn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = cr.randn(5, 4, 3)
    a, _ = mod(x)
    b, _ = mod(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())    # new masks each call
    mod.eval()
    c, (h, cell) = mod(x)
    d, _ = mod(x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())  # deterministic
    plain = cnn.LSTM(3, 8, num_layers=2)
    plain.load_state_dict(mod.state_dict())
    e, _ = plain(x)
    np.testing.assert_array_equal(c.detach().numpy(), e.detach().numpy())  # no dropout
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


def test_dropout_is_not_applied_after_the_last_layer():
    cr.manual_seed(0)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        mod = cnn.GRU(3, 4, num_layers=1, dropout=0.9)
    x = cr.randn(5, 2, 3)
    train_out, _ = mod(x)
    mod.eval()
    eval_out, _ = mod(x)
    np.testing.assert_array_equal(train_out.detach().numpy(), eval_out.detach().numpy())


def test_dropout_masks_the_first_layers_output(torch):
    """With dropout = 1 the second layer sees zeros: its output depends on its biases only."""
    mod = cnn.RNN(3, 4, num_layers=2, dropout=1.0)
    x = cr.randn(3, 2, 3)
    out, _ = mod(x)
    out2, _ = mod(x * 5)
    np.testing.assert_allclose(out.detach().numpy(), out2.detach().numpy())


# ------------------------------------------------------------------ long sequences, graphs
@pytest.mark.parametrize("cls", [cnn.LSTM, cnn.GRU])
def test_backward_through_1000_steps(cls):
    cr.manual_seed(0)
    mod = cls(2, 8)
    x = cr.randn(1000, 2, 2, requires_grad=True)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)    # no recursion per step anywhere
    try:
        out, _ = mod(x)
        out[-1].sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    grads = [x.grad] + [p.grad for p in mod.parameters()]
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
    assert np.abs(x.grad.numpy()[-1]).sum() > 0             # the last input matters
    assert np.abs(mod.weight_hh_l0.grad.numpy()).sum() > 0


def test_create_graph_gradients_equal_the_fast_ones():
    """With create_graph the sequence ops backpropagate in Tensor ops; the values agree with
    the array backward, and the result is differentiable again."""
    cr.manual_seed(0)
    for mod in (cnn.LSTM(3, 4, bidirectional=True), cnn.GRU(3, 4, num_layers=2,
                                                            bidirectional=True),
                cnn.RNN(3, 4, nonlinearity="relu", bidirectional=True)):
        mod.double()
        x = cr.randn(4, 2, 3, dtype=cr.float64, requires_grad=True)
        params = [x] + list(mod.parameters())
        out, _ = mod(x)
        loss = (out * out).sum()
        fast = cr.autograd.grad(loss, params, retain_graph=True)
        slow = cr.autograd.grad(loss, params, create_graph=True)
        for f, s in zip(fast, slow):
            np.testing.assert_allclose(f.numpy(), s.detach().numpy(), atol=1e-12)
        penalty = sum((g * g).sum() for g in slow)
        penalty.backward()
        assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all()
                   for p in mod.parameters())


def test_no_grad_forward_builds_no_graph():
    mod = cnn.LSTM(3, 4)
    with cr.no_grad():
        out, (h, c) = mod(cr.randn(5, 2, 3))
    assert out.grad_fn is None and not out.requires_grad and h.grad_fn is None


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("ctor,error,match", [
    ("LSTM(3, 4, dropout=1.5)", ValueError, "dropout should be a number in range"),
    ("LSTM(3, 4, dropout=True)", ValueError, "dropout should be a number in range"),
    ("GRU(3, 0)", ValueError, "hidden_size must be greater than zero"),
    ("GRU(3, 4, num_layers=0)", ValueError, "num_layers must be greater than zero"),
    ("RNN(3, 4.0)", TypeError, "hidden_size should be of type int"),
    ("RNN(3, 4, nonlinearity='sigmoid')", ValueError, "Unknown nonlinearity 'sigmoid'"),
    ("LSTM(3, 4, proj_size=4)", ValueError, "proj_size has to be smaller than hidden_size"),
    ("RNNBase('GRU', 3, 4, proj_size=2)", ValueError, "only supported for LSTM"),
    ("LSTM(3, 4, proj_size=-1)", ValueError, "proj_size should be a positive integer"),
    ("RNNCell(3, 4, nonlinearity='gelu')", ValueError, "Unknown nonlinearity 'gelu'"),
    ("GRUCell(3, -2)", ValueError, "hidden_size must be greater than zero"),
    ("LSTMCell(3.5, 2)", TypeError, "input_size should be of type int"),
])
def test_constructor_errors(ctor, error, match):
    with pytest.raises(error, match=match):
        eval(ctor, {**vars(cnn)})


def _lstm_call(mod, x, hx=None):
    return mod(x, hx)


@pytest.mark.parametrize("ctor,x,hx,error,match", [
    ("LSTM(3, 4)", (2, 5, 2, 3), None, ValueError,
     r"LSTM: Expected input to be 2D or 3D, got 4D input of shape \(2, 5, 2, 3\)"),
    ("GRU(3, 4)", (3,), None, ValueError, "GRU: Expected input to be 2D or 3D, got 1D"),
    ("LSTM(3, 4)", (5, 2, 7), None, RuntimeError,
     r"LSTM: input.size\(-1\) must be equal to input_size. Expected 3, got 7 \(input of "
     r"shape \(5, 2, 7\)\)"),
    ("RNN(3, 4, num_layers=2)", (5, 2, 3), [(1, 2, 4)], RuntimeError,
     r"RNN: Expected hx size \[2, 2, 4\], got \[1, 2, 4\]"),
    ("GRU(3, 4, batch_first=True)", (2, 5, 3), [(1, 5, 4)], RuntimeError,
     r"GRU: Expected hx size \[1, 2, 4\], got \[1, 5, 4\]"),
    ("RNN(3, 4)", (5, 2, 3), [(2, 4)], RuntimeError,
     "RNN: For batched 3-D input, hx should also be 3-D but got a 2-D tensor"),
    ("GRU(3, 4)", (5, 3), [(1, 2, 4)], RuntimeError,
     "GRU: For unbatched 2-D input, hx should also be 2-D but got a 3-D tensor"),
    ("LSTM(3, 4)", (5, 2, 3), [(1, 2, 4), (1, 3, 4)], RuntimeError,
     r"LSTM: Expected hx\[1\] size \[1, 2, 4\], got \[1, 3, 4\]"),
    ("LSTM(3, 4, bidirectional=True)", (5, 2, 3), [(1, 2, 4), (2, 2, 4)], RuntimeError,
     r"LSTM: Expected hx\[0\] size \[2, 2, 4\], got \[1, 2, 4\]"),
    # with projections h0 has proj_size features, c0 hidden_size
    ("LSTM(3, 4, proj_size=2)", (5, 2, 3), [(1, 2, 4), (1, 2, 4)], RuntimeError,
     r"LSTM: Expected hx\[0\] size \[1, 2, 2\], got \[1, 2, 4\]"),
    ("LSTM(3, 4, proj_size=2)", (5, 2, 3), [(1, 2, 2), (1, 2, 2)], RuntimeError,
     r"LSTM: Expected hx\[1\] size \[1, 2, 4\], got \[1, 2, 2\]"),
    ("LSTMCell(3, 4)", (2, 2, 3), None, ValueError,
     "LSTMCell: Expected input to be 1D or 2D, got 3D"),
    ("GRUCell(3, 4)", (2, 5), None, RuntimeError,
     r"GRUCell: input has inconsistent input_size: got 5, expected 3"),
    ("RNNCell(3, 4)", (2, 3), [(3, 4)], RuntimeError,
     r"RNNCell: hx has inconsistent shape: got \(3, 4\), expected \(2, 4\)"),
    ("LSTMCell(3, 4)", (2, 3), [(2, 4), (2, 1, 4)], ValueError,
     r"LSTMCell: Expected hx\[1\] to be 1D or 2D, got 3D"),
    ("LSTMCell(3, 4)", (3,), [(4,), (2, 4)], RuntimeError,
     r"LSTMCell: hx\[1\] has inconsistent shape: got \(2, 4\), expected \(4,\)"),
])
def test_input_and_state_errors(ctor, x, hx, error, match):
    mod = eval(ctor, {**vars(cnn)})
    states = None
    if hx is not None:
        ts = [cr.zeros(*s) for s in hx]
        states = tuple(ts) if len(ts) == 2 else ts[0]
    with pytest.raises(error, match=match):
        mod(cr.zeros(*x), states)


def test_functional_lstm_checks_projection_weights():
    """torch.lstm's flat parameters with projections: w_hr (P, H) after each direction's
    biases; a w_hr of the wrong shape, or w_hh not (4H, P), is named in the error."""
    x, h0, c0 = cr.zeros(5, 2, 3), cr.zeros(1, 2, 2), cr.zeros(1, 2, 4)
    w_ih, b = cr.zeros(16, 3), cr.zeros(16)
    with pytest.raises(RuntimeError, match=r"expected w_hr of shape \(2, 4\)"):
        cr.lstm(x, (h0, c0), [w_ih, cr.zeros(16, 2), b, b, cr.zeros(2, 3)], True, 1, 0.0,
                False, False, False)
    with pytest.raises(RuntimeError, match=r"expected w_ih \(16, 3\) and w_hh \(16, 2\)"):
        cr.lstm(x, (h0, c0), [w_ih, cr.zeros(16, 4), b, b, cr.zeros(2, 4)], True, 1, 0.0,
                False, False, False)


def test_type_errors():
    with pytest.raises(ValueError, match="LSTM: input must have the type chainrule.float32, "
                                         "got type chainrule.float64"):
        cnn.LSTM(3, 4)(cr.zeros(5, 2, 3, dtype=cr.float64))
    with pytest.raises(ValueError, match="GRU: hx must have the type chainrule.float32"):
        cnn.GRU(3, 4)(cr.zeros(5, 2, 3), cr.zeros(1, 2, 4, dtype=cr.float64))
    with pytest.raises(TypeError, match="LSTM: expected hx to be a tuple"):
        cnn.LSTM(3, 4)(cr.zeros(5, 2, 3), cr.zeros(1, 2, 4))
    with pytest.raises(TypeError, match="LSTMCell: expected hx to be a tuple"):
        cnn.LSTMCell(3, 4)(cr.zeros(2, 3), cr.zeros(2, 4))
    with pytest.raises(TypeError, match="RNN: expected input to be a Tensor"):
        cnn.RNN(3, 4)(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match="RNNCell: input must have the type"):
        cnn.RNNCell(3, 4)(cr.zeros(2, 3, dtype=cr.float64))
    with pytest.raises(ValueError, match="GRUCell: hx must have the type"):
        cnn.GRUCell(3, 4)(cr.zeros(2, 3), cr.zeros(2, 4, dtype=cr.float64))


def test_functional_errors():
    x = cr.zeros(5, 2, 3)
    w = [cr.zeros(16, 3), cr.zeros(16, 4)]
    with pytest.raises(RuntimeError, match=r"lstm: expected a 3-D input"):
        cr.lstm(cr.zeros(5, 3), None, w, False, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"lstm: expected 4 parameter tensors \(1 layers x 1 "
                                           r"directions x 4\), got 2"):
        cr.lstm(x, None, w, True, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"gru: layer 0: expected w_ih \(12, 3\)"):
        cr.gru(x, None, w, False, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match="expected a sequence length larger than 0"):
        cr.lstm(cr.zeros(0, 2, 3), None, w, False, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"lstm: expected c0 of shape \(1, 2, 4\)"):
        cr.lstm(x, (cr.zeros(1, 2, 4), cr.zeros(2, 4)), w, False, 1, 0.0, False, False, False)
    with pytest.raises(TypeError, match="lstm: expected hx to be a pair"):
        cr.lstm(x, cr.zeros(1, 2, 4), w, False, 1, 0.0, False, False, False)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        cr.rnn_tanh(x, None, [cr.zeros(4, 3), cr.zeros(4, 4)], False, 1, 2.0, True, False,
                    False)
    with pytest.raises(RuntimeError, match="rnn_relu: expected params.1. to have the input's "
                                           "dtype float32"):
        cr.rnn_relu(x, None, [cr.zeros(4, 3), cr.zeros(4, 4, dtype=cr.float64)], False, 1,
                    0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"lstm_cell: input has inconsistent input_size: "
                                           r"got 5, expected 3"):
        cr.lstm_cell(cr.zeros(2, 5), None, w[0], w[1])
    with pytest.raises(TypeError, match="lstm_cell: expected hx to be a tuple"):
        cr.lstm_cell(cr.zeros(2, 3), cr.zeros(2, 4), w[0], w[1])
    with pytest.raises(RuntimeError, match=r"gru_cell: expected hx of shape \(2, 4\)"):
        cr.gru_cell(cr.zeros(2, 3), cr.zeros(3, 4), cr.zeros(12, 3), cr.zeros(12, 4))
    with pytest.raises(RuntimeError, match=r"rnn_tanh_cell: expected b_hh of shape \(4,\)"):
        cr.rnn_tanh_cell(cr.zeros(2, 3), None, cr.zeros(4, 3), cr.zeros(4, 4), cr.zeros(4),
                         cr.zeros(5))


def test_module_construction_emits_no_warning_without_dropout():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cnn.LSTM(3, 4, num_layers=1)
        cnn.GRU(3, 4, num_layers=2, dropout=0.3)


def test_more_functional_errors():
    x = cr.zeros(5, 2, 3)
    w = [cr.zeros(4, 3), cr.zeros(4, 4)]
    args = (False, 1, 0.0, False, False, False)
    with pytest.raises(ValueError, match="rnn_tanh: num_layers must be a positive int, got 0"):
        cr.rnn_tanh(x, None, w, False, 0, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match="rnn_tanh: expected a floating point input"):
        cr.rnn_tanh(cr.zeros(5, 2, 3, dtype=cr.int64), None, w, *args)
    with pytest.raises(TypeError, match="rnn_tanh: expected input to be a Tensor"):
        cr.rnn_tanh(np.zeros((5, 2, 3)), None, w, *args)
    with pytest.raises(TypeError, match=r"rnn_tanh: expected params\[1\] to be a Tensor"):
        cr.rnn_tanh(x, None, [w[0], np.zeros((4, 4))], *args)
    with pytest.raises(RuntimeError, match=r"rnn_tanh: layer 0: expected b_ih of shape \(4,\)"):
        cr.rnn_tanh(x, None, w + [cr.zeros(3), cr.zeros(4)], True, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"gru: expected hx of shape \(1, 2, 4\)"):
        cr.gru(x, cr.zeros(2, 2, 4), [cr.zeros(12, 3), cr.zeros(12, 4)], *args)
    with pytest.raises(ValueError, match="lstm_cell: expected input to be 1-D or 2-D"):
        cr.lstm_cell(cr.zeros(1, 2, 3), None, cr.zeros(16, 3), cr.zeros(16, 4))
    with pytest.raises(RuntimeError, match="gru_cell: expected 2-D weights"):
        cr.gru_cell(cr.zeros(2, 3), None, cr.zeros(36), cr.zeros(12, 4))
    with pytest.raises(RuntimeError, match=r"gru_cell: expected w_hh of shape \(12, 4\)"):
        cr.gru_cell(cr.zeros(2, 3), None, cr.zeros(12, 3), cr.zeros(11, 4))
    with pytest.raises(RuntimeError, match=r"gru_cell: expected w_ih with 12 rows"):
        cr.gru_cell(cr.zeros(2, 3), None, cr.zeros(9, 3), cr.zeros(12, 4))
    with pytest.raises(TypeError, match="rnn_tanh_cell: expected b_ih to be a Tensor"):
        cr.rnn_tanh_cell(cr.zeros(2, 3), None, cr.zeros(4, 3), cr.zeros(4, 4), 1.0)
    with pytest.raises(TypeError, match="gru_cell: expected w_ih to be a Tensor"):
        cr.gru_cell(cr.zeros(2, 3), None, None, cr.zeros(12, 4))
    with pytest.raises(RuntimeError, match=r"gru_cell: expected hx\[0\] to have the input's "
                                           r"dtype float32"):
        cr.gru_cell(cr.zeros(2, 3), cr.zeros(2, 4, dtype=cr.float64), cr.zeros(12, 3),
                    cr.zeros(12, 4))


def test_more_module_errors():
    with pytest.raises(ValueError, match="Unrecognized RNN mode: FOO"):
        cnn.RNNBase("FOO", 3, 4)
    with pytest.raises(ValueError, match="LSTM: input_size must be non-negative"):
        cnn.LSTM(-1, 4)
    with pytest.raises(TypeError, match="GRU: num_layers should be of type int"):
        cnn.GRU(3, 4, num_layers=2.0)
    with pytest.raises(TypeError, match=r"LSTM: expected hx\[1\] to be a Tensor"):
        cnn.LSTM(3, 4)(cr.zeros(5, 2, 3), (cr.zeros(1, 2, 4), None))
    with pytest.raises(TypeError, match="GRUCell: expected hx to be a Tensor"):
        cnn.GRUCell(3, 4)(cr.zeros(2, 3), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="LSTMCell: expected input to be a Tensor"):
        cnn.LSTMCell(3, 4)([1.0, 2.0, 3.0])
