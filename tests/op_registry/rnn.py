"""Registry cases: recurrent ops, against torch's own functional forms (torch.lstm, torch.gru,
torch.rnn_tanh, torch.rnn_relu and the *_cell functions, which take the same arguments). The
sequence cases return the output, h_n (and c_n) flattened into one tensor, so every result is
compared and differentiated. Tiny shapes: T = 3 steps, batch 2, input 3, hidden 2. The
double-backward cases take gradients with create_graph (the Tensor-op backward of the sequence
ops) and differentiate them again."""
from op_registry import OpCase, F

T_, B_, I_, H_ = 3, 2, 3, 2
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _flat(T, results):
    return T.cat([r.reshape(-1) for r in results])


def _seq(mode, layers=1, bidirectional=False, batch_first=False, bias=True, h0=True,
         dropout=0.0):
    """fn(T, x, *states, *params) -> the flattened results of T.<mode>(...)."""
    dirs = 2 if bidirectional else 1
    n_states = (2 if mode == "lstm" else 1) if h0 else 0

    def fn(T, x, *rest):
        states, params = rest[:n_states], list(rest[n_states:])
        if not h0:
            batch = x.shape[0] if batch_first else x.shape[1]
            z = T.zeros(layers * dirs, batch, H_, dtype=x.dtype)
            states = (z, z) if mode == "lstm" else (z,)
        hx = tuple(states) if mode == "lstm" else states[0]
        out = getattr(T, mode)(x, hx, params, bias, layers, dropout, False, bidirectional,
                               batch_first)
        return _flat(T, out)
    return fn


def _seq_inputs(mode, layers=1, bidirectional=False, batch_first=False, bias=True, h0=True):
    dirs = 2 if bidirectional else 1
    g = _GATES[mode] * H_
    x = F(B_, T_, I_) if batch_first else F(T_, B_, I_)
    states = (F(layers * dirs, B_, H_),) * ((2 if mode == "lstm" else 1) if h0 else 0)
    params = []
    for layer in range(layers):
        size = I_ if layer == 0 else H_ * dirs
        for _ in range(dirs):
            params += [F(g, size), F(g, H_)] + ([F(g), F(g)] if bias else [])
    return (x,) + states + tuple(params)


def _case(name, mode, gradgradcheck=True, **kw):
    return OpCase(name, _seq(mode, **kw), _seq_inputs(mode, **kw), gradgradcheck=gradgradcheck)


def _double_backward(mode, **kw):
    """Gradients of the sequence op taken with create_graph, then used as values."""
    f = _seq(mode, **kw)

    def fn(T, v, x, *rest):
        y = f(T, x, *rest)
        grads = T.autograd.grad((y * v[:y.shape[0]]).sum(), (x,) + rest, create_graph=True)
        return sum((gr * gr).sum() for gr in grads) + (grads[0] * x).sum()
    return fn


def _cell(mode, batched=True, bias=True, h=True):
    n_states = (2 if mode == "lstm_cell" else 1) if h else 0

    def fn(T, x, *rest):
        states, params = rest[:n_states], rest[n_states:]
        if not h:
            shape = (x.shape[0], H_) if batched else (H_,)
            z = T.zeros(*shape, dtype=x.dtype)
            states = (z, z) if mode == "lstm_cell" else (z,)
        hx = tuple(states) if mode == "lstm_cell" else states[0]
        out = getattr(T, mode)(x, hx, *params)
        return _flat(T, out) if mode == "lstm_cell" else out
    return fn


def _cell_inputs(mode, batched=True, bias=True, h=True):
    g = {"lstm_cell": 4, "gru_cell": 3}.get(mode, 1) * H_
    lead = (B_,) if batched else ()
    states = (F(*lead, H_),) * ((2 if mode == "lstm_cell" else 1) if h else 0)
    return (F(*lead, I_),) + states + (F(g, I_), F(g, H_)) + ((F(g), F(g)) if bias else ())


def _unbatched_torch(mode, **kw):
    """torch's *_cell functions want 2-D input (only its modules take 1-D): batch of one."""
    f = _cell(mode, **kw)

    def fn(T, x, *rest):
        return f(T, x[None], *(r[None] for r in rest[:len(rest) - 4]), *rest[-4:]).reshape(-1)
    return fn


def _cell_case(name, mode, **kw):
    torch_fn = _unbatched_torch(mode, **kw) if kw.get("batched") is False else None
    return OpCase(name, _cell(mode, **kw), _cell_inputs(mode, **kw), torch_fn=torch_fn)


P_ = 1      # the projection size of the LSTM cases with projections (torch's proj_size)


def _lstm_proj(name, layers=1, bidirectional=False, bias=True, gradgradcheck=True):
    """torch.lstm with projections: each layer and direction's w_hr (P, H) after its biases,
    w_hh (4H, P), h0 (L*D, B, P), c0 (L*D, B, H)."""
    dirs = 2 if bidirectional else 1

    def fn(T, x, h0, c0, *params):
        out = T.lstm(x, (h0, c0), list(params), bias, layers, 0.0, False, bidirectional, False)
        return _flat(T, out)
    g, params = 4 * H_, []
    for layer in range(layers):
        size = I_ if layer == 0 else P_ * dirs
        for _ in range(dirs):
            params += [F(g, size), F(g, P_)] + ([F(g), F(g)] if bias else []) + [F(P_, H_)]
    inputs = (F(T_, B_, I_), F(layers * dirs, B_, P_), F(layers * dirs, B_, H_)) + tuple(params)
    return OpCase(name, fn, inputs, gradgradcheck=gradgradcheck)


def _db_inputs(mode, bidirectional=True):
    return (F(200, grad=False),) + _seq_inputs(mode, bidirectional=bidirectional)


CASES = [
    # sequences
    _case("lstm", "lstm"),
    _case("lstm.zero_state", "lstm", h0=False),
    _case("lstm.no_bias", "lstm", bias=False),
    _case("lstm.bidirectional_batch_first", "lstm", bidirectional=True, batch_first=True,
          gradgradcheck=False),
    # second order of stacked layers is that of each layer (checked above): first order only
    _case("lstm.two_layers", "lstm", layers=2, bidirectional=True, gradgradcheck=False),
    _lstm_proj("lstm.projections"),
    _lstm_proj("lstm.projections_no_bias", bias=False),
    _lstm_proj("lstm.projections_two_layers_bidirectional", layers=2, bidirectional=True,
               gradgradcheck=False),
    _case("gru", "gru"),
    _case("gru.zero_state", "gru", h0=False, batch_first=True),
    _case("gru.no_bias", "gru", bias=False),
    _case("gru.two_layers_bidirectional", "gru", layers=2, bidirectional=True,
          gradgradcheck=False),
    _case("rnn_tanh", "rnn_tanh"),
    _case("rnn_tanh.two_layers_bidirectional", "rnn_tanh", layers=2, bidirectional=True,
          batch_first=True, gradgradcheck=False),
    _case("rnn_relu", "rnn_relu"),
    _case("rnn_relu.bidirectional_no_bias", "rnn_relu", bidirectional=True, bias=False),
    # gradients of gradients through the sequence ops (their Tensor-op backward); gradcheck of
    # these is a second-order check already (third order: not checked)
    OpCase("lstm.double_backward", _double_backward("lstm", bidirectional=True),
           _db_inputs("lstm"), gradgradcheck=False),
    OpCase("gru.double_backward", _double_backward("gru"), _db_inputs("gru", False),
           gradgradcheck=False),
    OpCase("rnn_tanh.double_backward", _double_backward("rnn_tanh", bidirectional=True),
           _db_inputs("rnn_tanh"), gradgradcheck=False),
    # cells
    _cell_case("lstm_cell", "lstm_cell"),
    _cell_case("lstm_cell.unbatched", "lstm_cell", batched=False),
    _cell_case("lstm_cell.zero_state_no_bias", "lstm_cell", h=False, bias=False),
    _cell_case("gru_cell", "gru_cell"),
    _cell_case("gru_cell.unbatched", "gru_cell", batched=False),
    _cell_case("gru_cell.zero_state_no_bias", "gru_cell", h=False, bias=False),
    _cell_case("rnn_tanh_cell", "rnn_tanh_cell"),
    _cell_case("rnn_relu_cell.unbatched", "rnn_relu_cell", batched=False),
]
