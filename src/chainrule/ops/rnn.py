"""Recurrent ops: the Elman RNN (tanh or ReLU), LSTM and GRU, one step (``*_cell``) or whole
multi-layer sequences (``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``), with torch's functional
signatures, gate orders and parameter layouts.

Sequences: one Function per layer and direction, ``RNNLayer``, ``LSTMLayer``, ``GRULayer``,
taking the layer's input, weights, biases and initial state. Its forward projects the input of
every step at once (one batched GEMM), then runs the time loop on arrays: per step one GEMM
W_hh h and a few in-place pointwise passes. Its first-order backward is backpropagation through
time on arrays: per step one GEMM for the state gradient, a few pointwise passes (the
derivative factors of all steps are computed in vectorised passes before the loop) and the
weight-gradient GEMMs; the input gradient is one batched GEMM. No per-step graph nodes: a
1,000-step sequence is a handful of nodes and no Python recursion. Under ``create_graph`` the
same backpropagation is written in Tensor ops on a forward recomputed in Tensor ops from the
inputs, so gradients of gradients work.

Inside the loops the layout is feature-major, one column per sample: the LSTM's gates of a step
are W (x_t, h) (4H, B), so each gate is a contiguous (H, B) block and every pointwise pass runs
over contiguous memory (a gate as a column block of (B, 4H) costs NumPy about twice as much
per element). Results are given back sample-major (T, B, H), as torch's.

Sigmoid gates use sigma(x) = (1 + tanh(x / 2)) / 2: halving a pre-activation is exact in
floating point, so halving those rows of W_ih, W_hh and the biases once lets a single tanh pass
per step serve all gates.

The one-step ops ``LSTMPointwise`` and ``GRUPointwise`` fuse a cell's pointwise part (the gate
non-linearities and the state update) after its two projections (Tensor ops); ``rnn_*_cell``
is plain Tensor ops. A Function has one output, so ops with two states return them stacked:
``LSTMPointwise`` gives (h', c') as (2, B, H), and ``LSTMLayer`` h_1 .. h_T with the final
cell state appended, (T + 1, B, H).
"""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..backend import np
from ._util import Tensor, op_error, describe
from .dropout import dropout as _dropout
from .elementwise import sigmoid, tanh, relu
from .linalg import mm
from .shape import cat, stack

__all__ = ["rnn_tanh", "rnn_relu", "lstm", "gru", "rnn_tanh_cell", "rnn_relu_cell",
           "lstm_cell", "gru_cell"]


# ======================================================================== pointwise step ops
class LSTMPointwise(Function):
    """One LSTM step after its projections. G = x W_ih^T + b_ih + h W_hh^T + b_hh (B, 4H) in
    torch's gate order (i, f, g, o), and c (B, H):
        i, f, o = sigma(G_i), sigma(G_f), sigma(G_o);  g = tanh(G_g)
        c' = f c + i g;  h' = o tanh(c');   y = stack(h', c')  (2, B, H)
    With dh' = dy[0], dc' = dy[1] and s = dc' + dh' o (1 - tanh(c')**2):
        dG_i = s g i (1 - i),  dG_f = s c f (1 - f),  dG_g = s i (1 - g**2),
        dG_o = dh' tanh(c') o (1 - o),  dc = s f."""

    op_name = "lstm_cell"

    def forward(ctx, gates, c):
        acts, c_new, tc = _lstm_pointwise_arrays(gates, c)
        y = np.empty((2,) + c_new.shape, dtype=c_new.dtype)
        np.multiply(acts[:, 3 * (gates.shape[1] // 4):], tc, out=y[0])
        y[1] = c_new
        ctx.acts, ctx.tc = acts, tc
        ctx.save_for_backward(gates, c)
        return y

    def backward(ctx, grad):
        gates, c = ctx.saved_tensors
        if is_grad_enabled():
            i, f, g, o, c_new, tc, _ = _lstm_step(gates, c)
        else:
            i, f, g, o = (Tensor._make(a) for a in _split(ctx.acts, 4))
            tc = Tensor._make(ctx.tc)
        dgates, dc = _lstm_step_grads(i, f, g, o, c, tc, grad[0], grad[1])
        need_g, need_c = ctx.needs_input_grad
        return (dgates if need_g else None), (dc if need_c else None)


class GRUPointwise(Function):
    """One GRU step after its projections: a = x W_ih^T + b_ih and b = h W_hh^T + b_hh, both
    (B, 3H) in torch's gate order (r, z, n), and h (B, H):
        r = sigma(a_r + b_r),  z = sigma(a_z + b_z),  n = tanh(a_n + r b_n)
        h' = (1 - z) n + z h
    With dh' the output gradient, e = dh' (1 - z) (1 - n**2) (the gradient of n's argument):
        da = (e b_n r (1 - r), dh' (h - n) z (1 - z), e),
        db = (da_r, da_z, e r),  dh = dh' z."""

    op_name = "gru_cell"

    def forward(ctx, a, b, h):
        r, z, n, h_new = _gru_pointwise_arrays(a, b, h)
        ctx.rzn = (r, z, n)
        ctx.save_for_backward(a, b, h)
        return h_new

    def backward(ctx, grad):
        a, b, h = ctx.saved_tensors
        hidden = h._data.shape[-1]
        bn = b[:, 2 * hidden:]
        if is_grad_enabled():
            r, z, n, _ = _gru_step(a, b, h)
        else:
            r, z, n = (Tensor._make(v) for v in ctx.rzn)
        da, db, dh = _gru_step_grads(r, z, n, bn, h, grad)
        need_a, need_b, need_h = ctx.needs_input_grad
        return (da if need_a else None), (db if need_b else None), (dh if need_h else None)


def _split(x, k: int):
    """The k equal column blocks of (..., k H) arrays (views)."""
    n = x.shape[-1] // k
    return [x[..., j * n:(j + 1) * n] for j in range(k)]


def _sigmoid_rows(gates: int, hidden: int, sigmoid_blocks, dtype):
    """The (gates * H,) scale that halves the sigmoid gates' pre-activations."""
    s = np.ones(gates * hidden, dtype=dtype)
    for j in sigmoid_blocks:
        s[j * hidden:(j + 1) * hidden] = 0.5
    return s


def _half_tanh_to_sigmoid(a) -> None:
    """tanh(x / 2) -> sigma(x) in place."""
    a *= 0.5
    a += 0.5


def _lstm_pointwise_arrays(gates, c):
    """(acts (B, 4H) = i, f, g, o; c'; tanh c') of one LSTM step on arrays."""
    hidden = c.shape[-1]
    acts = gates * _sigmoid_rows(4, hidden, (0, 1, 3), gates.dtype)
    np.tanh(acts, out=acts)
    _half_tanh_to_sigmoid(acts[:, :2 * hidden])
    _half_tanh_to_sigmoid(acts[:, 3 * hidden:])
    i, f, g, _ = _split(acts, 4)
    c_new = f * c
    c_new += i * g
    return acts, c_new, np.tanh(c_new)


def _gru_pointwise_arrays(a, b, h):
    hidden = h.shape[-1]
    rz = a[:, :2 * hidden] + b[:, :2 * hidden]
    rz *= 0.5
    np.tanh(rz, out=rz)
    _half_tanh_to_sigmoid(rz)
    r, z = rz[:, :hidden], rz[:, hidden:]
    n = r * b[:, 2 * hidden:]
    n += a[:, 2 * hidden:]
    np.tanh(n, out=n)
    h_new = h - n
    h_new *= z
    h_new += n
    return r, z, n, h_new


# ------------------------------------------------------------------------ the same in Tensor ops
def _lstm_step(gates: Tensor, c: Tensor):
    """One LSTM step in Tensor ops: (i, f, g, o, c', tanh c', h')."""
    gi, gf, gg, go = gates.chunk(4, 1)
    i, f, g, o = sigmoid(gi), sigmoid(gf), tanh(gg), sigmoid(go)
    c_new = f * c + i * g
    tc = tanh(c_new)
    return i, f, g, o, c_new, tc, o * tc


def _lstm_step_grads(i, f, g, o, c, tc, dh, dc):
    """(dG, dc_prev) of one LSTM step (see LSTMPointwise) in Tensor ops."""
    s = dh * o * (1 - tc * tc)
    if dc is not None:
        s = s + dc
    dgates = cat([s * g * i * (1 - i), s * c * f * (1 - f), s * i * (1 - g * g),
                  dh * tc * o * (1 - o)], 1)
    return dgates, s * f


def _gru_step(a: Tensor, b: Tensor, h: Tensor):
    """One GRU step in Tensor ops: (r, z, n, h')."""
    ar, az, an = a.chunk(3, 1)
    br, bz, bn = b.chunk(3, 1)
    r, z = sigmoid(ar + br), sigmoid(az + bz)
    n = tanh(an + r * bn)
    return r, z, n, n + z * (h - n)


def _gru_step_grads(r, z, n, bn, h, dh_new):
    """(da, db, dh) of one GRU step (see GRUPointwise) in Tensor ops."""
    e = dh_new * (1 - z) * (1 - n * n)
    dr = e * bn * r * (1 - r)
    dz = dh_new * (h - n) * z * (1 - z)
    return cat([dr, dz, e], 1), cat([dr, dz, e * r], 1), dh_new * z


# ======================================================================== whole-sequence ops
# (feature-major inside the time loops: see the module docstring)
def _order(steps: int, reverse: bool):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _project_steps(x, w, scale=None):
    """x_t W^T for every step, feature-major: (T, G, B), one GEMM per step (x may be a strided
    view: each (I, B) matrix is passed to BLAS as it is)."""
    if scale is not None:
        w = w * scale[:, None]
    return np.matmul(w, x.transpose(0, 2, 1))


def _input_grads(dgates, x, w_ih, need_x: bool, need_w: bool):
    """dx = sum over gates dG^T W_ih (T, B, I) and dW_ih = sum_t dG_t x_t (G, I)."""
    dx = np.matmul(dgates.transpose(0, 2, 1), w_ih) if need_x else None
    dw = None
    if need_w:
        dw = np.zeros(w_ih.shape, dtype=w_ih.dtype)
        tmp = np.empty_like(dw)
        for t in range(x.shape[0]):
            dw += np.matmul(dgates[t], x[t], out=tmp)
    return dx, dw


def _hidden_weight_grad(dgates, hs, h0, reverse: bool):
    """dW_hh = sum_t dG_t h_{t-1} with h_{t-1} (B, H) the state before step t (h0 first)."""
    dw = np.matmul(dgates[_first(hs.shape[0], reverse)], h0)
    tmp = np.empty_like(dw)
    for t in range(hs.shape[0]):
        prev = _prev(t, hs.shape[0], reverse)
        if prev is not None:
            dw += np.matmul(dgates[t], hs[prev], out=tmp)
    return dw


def _first(steps: int, reverse: bool) -> int:
    return steps - 1 if reverse else 0


def _prev(t: int, steps: int, reverse: bool):
    """The step processed just before t, or None for the first one."""
    p = t + 1 if reverse else t - 1
    return p if 0 <= p < steps else None


def _bias_grad(dgates):
    return dgates.sum(axis=2).sum(axis=0)


def _grads_out(arrays, need) -> tuple:
    return tuple(Tensor._make(a) if (n and a is not None) else None
                 for a, n in zip(arrays, need))


def _col(b, scale=None):
    """A bias (G,) as a column (G, 1), optionally scaled; None stays None."""
    if b is None:
        return None
    return (b if scale is None else b * scale)[:, None]


class RNNLayer(Function):
    """An Elman RNN over a sequence: x (T, B, I), W_ih (H, I), W_hh (H, H), biases (H,) or
    None, h0 (B, H):
        h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),  act = tanh or relu;
    y = (h_1 .. h_T), (T, B, H); ``reverse`` runs t = T .. 1 (h_{t+1} feeds h_t).
    Backward through time, with d_t = act' (1 - h_t**2, or [h_t > 0]):
        dpre_t = (dy_t + W_hh^T dpre_{t+1}) d_t;  dx_t = dpre_t W_ih;  dh0 = dpre_1 W_hh;
        dW_ih = sum_t dpre_t^T x_t;  dW_hh = sum_t dpre_t^T h_{t-1};  db = sum_t dpre_t."""

    op_name = "rnn"

    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, nonlinearity="tanh", reverse=False):
        steps, batch = x.shape[:2]
        pre = _project_steps(x, w_ih)              # (T, H, B)
        bias = _col(_bias_sum(b_ih, b_hh))
        hs = np.empty_like(pre)
        h = np.ascontiguousarray(h0.T)
        relu_act = nonlinearity == "relu"
        for t in _order(steps, reverse):
            a = pre[t]
            a += np.matmul(w_hh, h, out=hs[t])
            if bias is not None:
                a += bias
            if relu_act:
                np.maximum(a, 0, out=hs[t])
            else:
                np.tanh(a, out=hs[t])
            h = hs[t]
        ctx.nonlinearity, ctx.reverse = nonlinearity, reverse
        ctx.hs = hs
        y = np.ascontiguousarray(hs.transpose(0, 2, 1))
        _save_layer_inputs(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, y)
        return y

    def backward(ctx, grad):
        x, w_ih, w_hh, b_ih, b_hh, h0, y = _saved_layer_inputs(ctx)
        need = ctx.needs_input_grad
        if is_grad_enabled():
            return _rnn_layer_grads_graph(x, w_ih, w_hh, b_ih, b_hh, h0, grad, need,
                                          ctx.nonlinearity, ctx.reverse)
        hs, reverse = ctx.hs, ctx.reverse
        steps = hs.shape[0]
        d = (hs > 0).astype(hs.dtype) if ctx.nonlinearity == "relu" else 1 - hs * hs
        gy, w = grad._data, w_hh._data
        dpre = np.empty_like(hs)
        t_next = None
        for t in _order(steps, not reverse):
            a = dpre[t]
            if t_next is None:
                np.multiply(gy[t].T, d[t], out=a)
            else:
                np.matmul(w.T, dpre[t_next], out=a)
                a += gy[t].T
                a *= d[t]
            t_next = t
        dx, dw_ih = _input_grads(dpre, x._data, w_ih._data, need[0], need[1])
        dw_hh = _hidden_weight_grad(dpre, y._data, h0._data, reverse) if need[2] else None
        db = _bias_grad(dpre) if need[3] or need[4] else None
        dh0 = dpre[t_next].T @ w if need[5] else None
        return _grads_out((dx, dw_ih, dw_hh, db, db, dh0), need)


def _save_layer_inputs(ctx, x, w_ih, w_hh, b_ih, b_hh, *rest):
    """Save a layer op's inputs for its backward; a bias that is None is not saved."""
    ctx.has_bias = (b_ih is not None, b_hh is not None)
    ctx.save_for_backward(x, w_ih, w_hh, *(b for b in (b_ih, b_hh) if b is not None), *rest)


def _saved_layer_inputs(ctx):
    """What ``_save_layer_inputs`` saved: (x, w_ih, w_hh, b_ih, b_hh, *rest), None for a
    bias that was None."""
    x, w_ih, w_hh, *rest = ctx.saved_tensors
    b_ih = rest.pop(0) if ctx.has_bias[0] else None
    b_hh = rest.pop(0) if ctx.has_bias[1] else None
    return (x, w_ih, w_hh, b_ih, b_hh, *rest)


def _rnn_layer_grads_graph(x, w_ih, w_hh, b_ih, b_hh, h0, gy, need, nonlinearity, reverse):
    """RNNLayer's gradients in Tensor ops (differentiable: for create_graph)."""
    act = relu if nonlinearity == "relu" else tanh
    steps = x._data.shape[0]
    order = list(_order(steps, reverse))
    xw = _project(x, w_ih, _bias_sum(b_ih, b_hh))
    w_t = w_hh.t()
    h, hs, prev = h0, {}, {}
    for t in order:
        prev[t] = h
        h = hs[t] = act(xw[t] + mm(h, w_t))
    dpre, carry, dw = {}, None, None
    for t in reversed(order):
        dh = gy[t] if carry is None else gy[t] + carry
        deriv = (hs[t] > 0).to(hs[t].dtype) if nonlinearity == "relu" else 1 - hs[t] * hs[t]
        dpre[t] = dh * deriv
        carry = mm(dpre[t], w_hh)
        part = mm(dpre[t].t(), prev[t])
        dw = part if dw is None else dw + part
    dxw = stack([dpre[t] for t in range(steps)])
    return _graph_input_grads(dxw, x, w_ih, need, (dw, None, None, carry))


def _bias_sum(b_ih, b_hh):
    if b_ih is None or b_hh is None:
        return b_ih if b_hh is None else b_hh
    return b_ih + b_hh


def _graph_input_grads(dxw, x, w_ih, need, rest):
    """(dx, dW_ih, *rest) from the gradient of the projection xw = x W_ih^T + b (Tensor ops);
    a ``None`` in the bias slots of ``rest`` (its entries 1 and 2) is sum(dxw)."""
    steps, batch, width = dxw._data.shape
    d2 = dxw.reshape(-1, width)
    dx = mm(d2, w_ih).reshape(steps, batch, -1) if need[0] else None
    dw_ih = mm(d2.t(), x.reshape(-1, x._data.shape[-1])) if need[1] else None
    db = d2.sum(0) if need[3] or need[4] else None
    rest = [db if (r is None and k in (1, 2)) else r for k, r in enumerate(rest)]
    return tuple(g if n else None for g, n in zip([dx, dw_ih] + rest, need))


class LSTMLayer(Function):
    """An LSTM over a sequence: x (T, B, I), W_ih (4H, I), W_hh (4H, H), biases (4H,) or None
    (gate order i, f, g, o), h0 and c0 (B, H). Step t is LSTMPointwise on
    G_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh and c_{t-1}. y (T + 1, B, H) holds h_1 .. h_T
    and, last, the final cell state c_n (of the last step processed). ``reverse`` runs
    t = T .. 1.
    Backward through time: per step LSTMPointwise's rule with dh_t = dy_t + dG_{t+1} W_hh and
    dc_t = s_{t+1} f_{t+1} (dc_n for the last step);  dx_t = dG_t W_ih;  dh0 = dG_1 W_hh;
    dc0 = s_1 f_1;  dW_ih = sum_t dG_t^T x_t;  dW_hh = sum_t dG_t^T h_{t-1};
    db_ih = db_hh = sum_t dG_t.
    Each step is one GEMM [W_hh W_ih b] (h_{t-1}; x_t; 1), with the three stacked (in the
    order the steps run) in one array Z; the weight gradients are the per-step products
    dG_t Z_t^T, summed."""

    op_name = "lstm"

    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse=False):
        steps, batch, isize = x.shape
        hidden = w_hh.shape[1]
        bias = _bias_sum(b_ih, b_hh)
        width = hidden + isize + (bias is not None)
        scale = _sigmoid_rows(4, hidden, (0, 1, 3), x.dtype)
        w = np.empty((4 * hidden, width), dtype=x.dtype)
        w[:, :hidden] = w_hh
        w[:, hidden:hidden + isize] = w_ih
        if bias is not None:
            w[:, -1] = bias
        w *= scale[:, None]
        z = np.empty((steps + 1, width, batch), dtype=x.dtype)   # (h_prev; x; 1) per step
        np.copyto(z[:steps, hidden:hidden + isize], _in_order(x, reverse).transpose(0, 2, 1))
        if bias is not None:
            z[:steps, -1] = 1
        z[0, :hidden] = h0.T
        acts = np.empty((steps, 4 * hidden, batch), dtype=x.dtype)
        cs = np.empty((steps, hidden, batch), dtype=x.dtype)
        tcs = np.empty_like(cs)
        tmp = np.empty((hidden, batch), dtype=x.dtype)
        c = np.ascontiguousarray(c0.T)
        for k in range(steps):                  # k: steps in the order they run
            a = np.matmul(w, z[k], out=acts[k])
            np.tanh(a, out=a)
            _half_tanh_to_sigmoid(a[:2 * hidden])
            _half_tanh_to_sigmoid(a[3 * hidden:])
            i, f, g, o = _split_rows(a, 4)
            ct = cs[k]
            np.multiply(f, c, out=ct)
            ct += np.multiply(i, g, out=tmp)
            np.tanh(ct, out=tcs[k])
            np.multiply(o, tcs[k], out=z[k + 1, :hidden])
            c = ct
        y = np.empty((steps + 1, batch, hidden), dtype=x.dtype)
        np.copyto(y[:steps], _in_order(z[1:, :hidden], reverse).transpose(0, 2, 1))
        y[steps] = c.T
        ctx.acts, ctx.cs, ctx.tcs, ctx.z, ctx.reverse = acts, cs, tcs, z, reverse
        _save_layer_inputs(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0)
        return y

    def backward(ctx, grad):
        x, w_ih, w_hh, b_ih, b_hh, h0, c0 = _saved_layer_inputs(ctx)
        need = ctx.needs_input_grad
        if is_grad_enabled():
            return _lstm_layer_grads_graph(x, w_ih, w_hh, b_ih, b_hh, h0, c0, grad, need,
                                           ctx.reverse)
        reverse, z = ctx.reverse, ctx.z
        steps, hidden = ctx.cs.shape[:2]
        gy = grad._data
        dgates, dw, dh0, dc0 = _lstm_bptt(ctx.acts, ctx.cs, ctx.tcs, z, c0._data,
                                          w_hh._data, _in_order(gy[:steps], reverse),
                                          gy[steps])
        dx = None
        if need[0]:
            dxs = np.matmul(w_ih._data.T, dgates)           # (T, I, B), in run order
            dx = np.ascontiguousarray(_in_order(dxs, reverse).transpose(0, 2, 1))
        isize = x._data.shape[-1]
        db = dw[:, -1].copy() if z.shape[1] > hidden + isize else None
        return _grads_out((dx, dw[:, hidden:hidden + isize].copy(), dw[:, :hidden].copy(), db,
                           db, dh0, dc0), need)


def _in_order(a, reverse: bool):
    """``a`` (steps first) in the order the steps run (a view)."""
    return a[::-1] if reverse else a


def _split_rows(a, k: int):
    """The k equal row blocks of a (k H, B) array (contiguous views)."""
    n = a.shape[0] // k
    return [a[j * n:(j + 1) * n] for j in range(k)]


def _lstm_bptt(acts, cs, tcs, z, c0, w_hh, gh, gc):
    """LSTMLayer's backward through time on arrays, in run order k: returns dG (T, 4H, B),
    dW = sum_k dG_k z_k^T ([dW_hh dW_ih db]), dh0 and dc0 (B, H). ``gh`` (T, B, H) is the
    gradient of the outputs in run order, ``gc`` (B, H) that of the final cell state."""
    steps, width, batch = acts.shape
    hidden = width // 4
    i, f, g, o = (acts[:, j * hidden:(j + 1) * hidden] for j in range(4))
    # derivative factors of every step, vectorised: sigma' = s (1 - s), tanh' = 1 - t**2
    deriv = 1 - acts
    deriv *= acts
    gg = deriv[:, 2 * hidden:3 * hidden]
    np.multiply(g, g, out=gg)
    np.subtract(1, gg, out=gg)
    dc_from_h = 1 - tcs * tcs                  # ds/dh = o (1 - tanh(c)**2)
    dc_from_h *= o
    dgates = np.empty_like(acts)
    dw = np.zeros((width, z.shape[1]), dtype=acts.dtype)
    tmp = np.empty_like(dw)
    dh = np.empty((hidden, batch), dtype=acts.dtype)
    s = np.empty_like(dh)
    carry = None
    for k in range(steps - 1, -1, -1):
        if k == steps - 1:
            np.copyto(dh, gh[k].T)
        else:
            np.matmul(w_hh.T, dgates[k + 1], out=dh)
            dh += gh[k].T
        np.multiply(dh, dc_from_h[k], out=s)
        s += gc.T if carry is None else carry
        dg = dgates[k]
        di, df, dgg, do = _split_rows(dg, 4)
        np.multiply(s, g[k], out=di)
        np.multiply(s, cs[k - 1] if k else c0.T, out=df)
        np.multiply(s, i[k], out=dgg)
        np.multiply(dh, tcs[k], out=do)
        dg *= deriv[k]
        carry = np.multiply(s, f[k], out=carry)
        dw += np.matmul(dg, z[k].T, out=tmp)
    dh0 = dgates[0].T @ w_hh
    return dgates, dw, dh0, np.ascontiguousarray(carry.T)


def _lstm_layer_grads_graph(x, w_ih, w_hh, b_ih, b_hh, h0, c0, gy, need, reverse):
    """LSTMLayer's gradients in Tensor ops (differentiable: for create_graph)."""
    steps = x._data.shape[0]
    order = list(_order(steps, reverse))
    xw = _project(x, w_ih, _bias_sum(b_ih, b_hh))
    w_t = w_hh.t()
    h, c, saved = h0, c0, {}
    for t in order:
        i, f, g, o, c_new, tc, h_new = _lstm_step(xw[t] + mm(h, w_t), c)
        saved[t] = (i, f, g, o, c, tc, h)
        h, c = h_new, c_new
    dxw, carry_h, carry_c, dw = {}, None, gy[steps], None
    for t in reversed(order):
        i, f, g, o, c_prev, tc, h_prev = saved[t]
        dh = gy[t] if carry_h is None else gy[t] + carry_h
        dxw[t], carry_c = _lstm_step_grads(i, f, g, o, c_prev, tc, dh, carry_c)
        carry_h = mm(dxw[t], w_hh)
        part = mm(dxw[t].t(), h_prev)
        dw = part if dw is None else dw + part
    dxw = stack([dxw[t] for t in range(steps)])
    return _graph_input_grads(dxw, x, w_ih, need, (dw, None, None, carry_h, carry_c))


class GRULayer(Function):
    """A GRU over a sequence: x (T, B, I), W_ih (3H, I), W_hh (3H, H), biases (3H,) or None
    (gate order r, z, n), h0 (B, H). Step t is GRUPointwise on a = x_t W_ih^T + b_ih and
    b = h_{t-1} W_hh^T + b_hh; y = (h_1 .. h_T), (T, B, H); ``reverse`` runs t = T .. 1.
    Backward through time: per step GRUPointwise's rule with dh_t = dy_t + db_{t+1} W_hh +
    dh_{t+1} z_{t+1};  dx_t = da_t W_ih;  dh0 = db_1 W_hh + dh_1 z_1;
    dW_ih = sum_t da_t^T x_t;  dW_hh = sum_t db_t^T h_{t-1};  db_ih = sum da_t;
    db_hh = sum db_t."""

    op_name = "gru"

    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, reverse=False):
        steps, batch = x.shape[:2]
        hidden = w_hh.shape[1]
        scale = _sigmoid_rows(3, hidden, (0, 1), x.dtype)
        acts = _project_steps(x, w_ih, scale)      # (T, 3H, B): r, z become activations
        w_s = w_hh * scale[:, None]
        b_i, b_h = _col(b_ih, scale), _col(b_hh, scale)
        hg = np.empty_like(acts)                    # h W_hh^T + b_hh of every step (scaled)
        hs = np.empty((steps, hidden, batch), dtype=x.dtype)
        ns = np.empty_like(hs)
        h = np.ascontiguousarray(h0.T)
        for t in _order(steps, reverse):
            b = np.matmul(w_s, h, out=hg[t])
            if b_h is not None:
                b += b_h
            a = acts[t]
            if b_i is not None:
                a += b_i
            rz = a[:2 * hidden]
            rz += b[:2 * hidden]
            np.tanh(rz, out=rz)
            _half_tanh_to_sigmoid(rz)
            r, z = rz[:hidden], rz[hidden:]
            n = ns[t]
            np.multiply(r, b[2 * hidden:], out=n)
            n += a[2 * hidden:]
            np.tanh(n, out=n)
            ht = hs[t]
            np.subtract(h, n, out=ht)
            ht *= z
            ht += n
            h = ht
        ctx.acts, ctx.hg, ctx.hs, ctx.ns, ctx.reverse = acts, hg, hs, ns, reverse
        y = np.ascontiguousarray(hs.transpose(0, 2, 1))
        _save_layer_inputs(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, y)
        return y

    def backward(ctx, grad):
        x, w_ih, w_hh, b_ih, b_hh, h0, y = _saved_layer_inputs(ctx)
        need = ctx.needs_input_grad
        if is_grad_enabled():
            return _gru_layer_grads_graph(x, w_ih, w_hh, b_ih, b_hh, h0, grad, need,
                                          ctx.reverse)
        da, db, dh0 = _gru_bptt(ctx.acts, ctx.hg, ctx.hs, ctx.ns, h0._data, w_hh._data,
                                grad._data, ctx.reverse)
        dx, dw_ih = _input_grads(da, x._data, w_ih._data, need[0], need[1])
        dw_hh = _hidden_weight_grad(db, y._data, h0._data, ctx.reverse) if need[2] else None
        return _grads_out((dx, dw_ih, dw_hh, _bias_grad(da) if need[3] else None,
                           _bias_grad(db) if need[4] else None, dh0), need)


def _gru_bptt(acts, hg, hs, ns, h0, w_hh, gy, reverse):
    """da (T, 3H, B) (input side), db (T, 3H, B) (hidden side) and dh0 (B, H) of GRULayer."""
    steps, width, batch = acts.shape
    hidden = width // 3
    r, z = acts[:, :hidden], acts[:, hidden:2 * hidden]
    bn = hg[:, 2 * hidden:]                     # unscaled: the n rows of W_hh are not halved
    h_prev = np.empty_like(hs)
    first = _first(steps, reverse)
    h_prev[first] = h0.T
    if steps > 1:
        if reverse:
            h_prev[:-1] = hs[1:]
        else:
            h_prev[1:] = hs[:-1]
    # dh' -> gradients of n's, z's and r's arguments, vectorised over the steps
    k_n = 1 - ns * ns
    k_n *= 1 - z
    k_z = h_prev - ns
    k_z *= z
    k_z *= 1 - z
    k_r = 1 - r
    k_r *= r
    k_r *= bn
    da = np.empty_like(acts)
    db = np.empty_like(acts)
    dh = np.empty((hidden, batch), dtype=acts.dtype)
    direct = t_next = None                      # t_next: the step processed after t
    for t in _order(steps, not reverse):
        if t_next is None:
            np.copyto(dh, gy[t].T)
        else:
            np.matmul(w_hh.T, db[t_next], out=dh)
            dh += gy[t].T
            dh += direct
        dar, daz, dan = _split_rows(da[t], 3)
        np.multiply(dh, k_n[t], out=dan)
        np.multiply(dan, k_r[t], out=dar)
        np.multiply(dh, k_z[t], out=daz)
        dbt = db[t]
        dbt[:2 * hidden] = da[t, :2 * hidden]
        np.multiply(dan, r[t], out=dbt[2 * hidden:])
        direct = np.multiply(dh, z[t], out=direct)
        t_next = t
    dh0 = db[t_next].T @ w_hh
    dh0 += direct.T
    return da, db, dh0


def _gru_layer_grads_graph(x, w_ih, w_hh, b_ih, b_hh, h0, gy, need, reverse):
    """GRULayer's gradients in Tensor ops (differentiable: for create_graph)."""
    steps = x._data.shape[0]
    order = list(_order(steps, reverse))
    xw = _project(x, w_ih, b_ih)
    w_t = w_hh.t()
    h, saved = h0, {}
    for t in order:
        b = mm(h, w_t)
        if b_hh is not None:
            b = b + b_hh
        r, z, n, h_new = _gru_step(xw[t], b, h)
        saved[t] = (r, z, n, b.chunk(3, 1)[2], h)
        h = h_new
    dxw, carry, dw, dbias = {}, None, None, None
    for t in reversed(order):
        r, z, n, bn, h_prev = saved[t]
        dh = gy[t] if carry is None else gy[t] + carry
        dxw[t], db, direct = _gru_step_grads(r, z, n, bn, h_prev, dh)
        carry = mm(db, w_hh) + direct
        part = mm(db.t(), h_prev)
        dw = part if dw is None else dw + part
        part = db.sum(0)
        dbias = part if dbias is None else dbias + part
    dxw = stack([dxw[t] for t in range(steps)])
    return _graph_input_grads(dxw, x, w_ih, need, (dw, None, dbias, carry))


# ======================================================================== functional forms
def _check_tensor(t, op: str, name: str):
    if not isinstance(t, Tensor):
        raise op_error(TypeError, f"{op}: expected {name} to be a Tensor, got "
                                  f"{type(t).__name__}")


def _check_dtypes(op: str, input: Tensor, others) -> None:
    if input._data.dtype.kind != "f":
        raise op_error(RuntimeError, f"{op}: expected a floating point input, got "
                                     f"{describe(input)}")
    for name, t in others:
        if t is not None and t._data.dtype != input._data.dtype:
            raise op_error(RuntimeError, f"{op}: expected {name} to have the input's dtype "
                                         f"{input.dtype.name}, got {describe(t)}")


def _project(x: Tensor, w: Tensor, b) -> Tensor:
    """x W^T + b over the last dim of (T, B, I), as one GEMM."""
    shape = x._data.shape
    out = mm(x.reshape(-1, shape[-1]), w.t()).reshape(shape[0], shape[1], w._data.shape[0])
    return out if b is None else out + b


def _cell_args(op: str, input, hx_list, w_ih, w_hh, b_ih, b_hh, gates: int):
    """Check a cell's arguments; returns (input, [states], batched) with 2-D input/states."""
    _check_tensor(input, op, "input")
    _check_tensor(w_ih, op, "w_ih")
    _check_tensor(w_hh, op, "w_hh")
    if input._data.ndim not in (1, 2):
        raise op_error(ValueError, f"{op}: expected input to be 1-D or 2-D, got "
                                   f"{input._data.ndim}-D input {describe(input)}")
    if w_ih._data.ndim != 2 or w_hh._data.ndim != 2:
        raise op_error(RuntimeError, f"{op}: expected 2-D weights, got w_ih {describe(w_ih)} "
                                     f"and w_hh {describe(w_hh)}")
    hidden = w_hh._data.shape[1]
    size = input._data.shape[-1]
    if w_hh._data.shape != (gates * hidden, hidden):
        raise op_error(RuntimeError, f"{op}: expected w_hh of shape "
                                     f"{(gates * hidden, hidden)}, got {describe(w_hh)}")
    if w_ih._data.shape[0] != gates * hidden:
        raise op_error(RuntimeError, f"{op}: expected w_ih with {gates * hidden} rows (like "
                                     f"w_hh {describe(w_hh)}), got {describe(w_ih)}")
    if w_ih._data.shape[1] != size:
        raise op_error(RuntimeError, f"{op}: input has inconsistent input_size: got {size}, "
                                     f"expected {w_ih._data.shape[1]} (input {describe(input)}, "
                                     f"w_ih {describe(w_ih)})")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None:
            _check_tensor(b, op, name)
            if b._data.shape != (gates * hidden,):
                raise op_error(RuntimeError, f"{op}: expected {name} of shape "
                                             f"{(gates * hidden,)}, got {describe(b)}")
    batched = input._data.ndim == 2
    batch = input._data.shape[0] if batched else 1
    states = []
    for k, h in enumerate(hx_list):
        name = "hx" if len(hx_list) == 1 else f"hx[{k}]"
        if h is None:
            states.append(Tensor._make(np.zeros((batch, hidden), dtype=input._data.dtype)))
            continue
        _check_tensor(h, op, name)
        want = (batch, hidden) if batched else (hidden,)
        if h._data.shape != want:
            raise op_error(RuntimeError, f"{op}: expected {name} of shape {want} for input "
                                         f"{describe(input)}, got {describe(h)}")
        states.append(h if batched else h.reshape(1, hidden))
    _check_dtypes(op, input, [("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih), ("b_hh", b_hh)]
                  + [(f"hx[{k}]", h) for k, h in enumerate(states)])
    x = input if batched else input.reshape(1, size)
    return x, states, batched


def _linear(x, w, b):
    out = mm(x, w.t())
    return out if b is None else out + b


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (torch.lstm_cell): input (B, I) or (I,), hx = (h, c) each (B, H) or (H,);
    weights (4H, I) and (4H, H) in gate order i, f, g, o. Returns (h', c'):
        G = x W_ih^T + b_ih + h W_hh^T + b_hh;  i, f, o = sigma(G_i, G_f, G_o), g = tanh(G_g)
        c' = f c + i g,  h' = o tanh(c')."""
    op = "lstm_cell"
    if hx is None:
        hx = (None, None)
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise op_error(TypeError, f"{op}: expected hx to be a tuple (h, c) of two Tensors, got "
                                  f"{type(hx).__name__}")
    x, (h, c), batched = _cell_args(op, input, list(hx), w_ih, w_hh, b_ih, b_hh, 4)
    gates = _linear(x, w_ih, b_ih) + _linear(h, w_hh, b_hh)
    y = LSTMPointwise.apply(gates, c)
    h_new, c_new = y[0], y[1]
    if not batched:
        h_new, c_new = h_new[0], c_new[0]
    return h_new, c_new


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (torch.gru_cell): input (B, I) or (I,), hx (B, H) or (H,); weights (3H, I)
    and (3H, H) in gate order r, z, n. Returns h':
        a = x W_ih^T + b_ih,  b = h W_hh^T + b_hh
        r = sigma(a_r + b_r), z = sigma(a_z + b_z), n = tanh(a_n + r b_n), h' = (1 - z) n + z h."""
    x, (h,), batched = _cell_args("gru_cell", input, [hx], w_ih, w_hh, b_ih, b_hh, 3)
    out = GRUPointwise.apply(_linear(x, w_ih, b_ih), _linear(h, w_hh, b_hh), h)
    return out if batched else out[0]


def _rnn_cell(op, act, input, hx, w_ih, w_hh, b_ih, b_hh):
    x, (h,), batched = _cell_args(op, input, [hx], w_ih, w_hh, b_ih, b_hh, 1)
    out = act(_linear(x, w_ih, b_ih) + _linear(h, w_hh, b_hh))
    return out if batched else out[0]


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step (torch.rnn_tanh_cell): h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _rnn_cell("rnn_tanh_cell", tanh, input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step (torch.rnn_relu_cell): h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _rnn_cell("rnn_relu_cell", relu, input, hx, w_ih, w_hh, b_ih, b_hh)


# ------------------------------------------------------------------------ sequences
def _sequence(op, mode, input, hx, params, has_biases, num_layers, dropout, train,
              bidirectional, batch_first):
    """The multi-layer, optionally bidirectional recurrence of torch.lstm/gru/rnn_*.
    Returns (output, h_n, c_n) (c_n None except for LSTM)."""
    _check_tensor(input, op, "input")
    if input._data.ndim != 3:
        raise op_error(RuntimeError, f"{op}: expected a 3-D input (seq_len, batch, input_size) "
                                     f"or (batch, seq_len, input_size) with batch_first, got "
                                     f"{describe(input)}")
    if not isinstance(num_layers, int) or num_layers < 1:
        raise op_error(ValueError, f"{op}: num_layers must be a positive int, got "
                                   f"{num_layers!r}")
    if not 0 <= dropout <= 1:
        raise op_error(ValueError, f"{op}: dropout should be a number in range [0, 1], got "
                                   f"{dropout}")
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    dirs = 2 if bidirectional else 1
    per = 4 if has_biases else 2
    params = list(params)
    # an LSTM with projections has a fifth (third) tensor per layer and direction: w_hr
    proj = mode == "lstm" and len(params) == num_layers * dirs * (per + 1)
    per += proj
    if len(params) != num_layers * dirs * per:
        raise op_error(RuntimeError, f"{op}: expected {num_layers * dirs * per} parameter "
                                     f"tensors ({num_layers} layers x {dirs} directions x "
                                     f"{per}), got {len(params)}")
    for k, p in enumerate(params):
        _check_tensor(p, op, f"params[{k}]")
    hidden = params[0]._data.shape[0] // gates if proj else params[1]._data.shape[-1]
    out_size = params[per - 1]._data.shape[0] if proj else hidden     # h's size
    x_shape = input._data.shape
    seq, batch = (x_shape[1], x_shape[0]) if batch_first else x_shape[:2]
    if seq == 0:
        raise op_error(RuntimeError, f"{op}: expected a sequence length larger than 0, got "
                                     f"input {describe(input)}")
    states = _initial_states(op, mode, hx, num_layers * dirs, batch, (out_size, hidden), input)
    _check_dtypes(op, input, [(f"params[{k}]", p) for k, p in enumerate(params)]
                  + [("hx", s) for s in states if s is not None])
    x = input.transpose(0, 1) if batch_first else input    # time-major (a view)
    h_n, c_n = [], []
    for layer in range(num_layers):
        size = x._data.shape[-1]
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            group = params[k * per:(k + 1) * per]
            w_hr = group.pop() if proj else None
            w_ih, w_hh, b_ih, b_hh = (group + [None, None])[:4]
            if w_ih._data.shape != (gates * hidden, size) or \
                    w_hh._data.shape != (gates * hidden, out_size):
                raise op_error(RuntimeError, f"{op}: layer {layer}{' reverse' if d else ''}: "
                                             f"expected w_ih {(gates * hidden, size)} and w_hh "
                                             f"{(gates * hidden, out_size)}, got "
                                             f"{describe(w_ih)} and {describe(w_hh)}")
            if proj and w_hr._data.shape != (out_size, hidden):
                raise op_error(RuntimeError, f"{op}: layer {layer}: expected w_hr of shape "
                                             f"{(out_size, hidden)}, got {describe(w_hr)}")
            for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
                if b is not None and b._data.shape != (gates * hidden,):
                    raise op_error(RuntimeError, f"{op}: layer {layer}: expected {name} of "
                                                 f"shape {(gates * hidden,)}, got {describe(b)}")
            h0 = _state(states[0], k, batch, out_size, input)
            if mode == "gru":
                out = GRULayer.apply(x, w_ih, w_hh, b_ih, b_hh, h0, reverse=bool(d))
            elif proj:
                c0 = _state(states[1], k, batch, hidden, input)
                out, c_last = _lstm_projected_layer(x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0,
                                                    reverse=bool(d))
                c_n.append(c_last)
            elif mode == "lstm":
                c0 = _state(states[1], k, batch, hidden, input)
                y = LSTMLayer.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse=bool(d))
                out = y[:seq]
                c_n.append(y[seq])
            else:
                out = RNNLayer.apply(x, w_ih, w_hh, b_ih, b_hh, h0, nonlinearity=mode,
                                     reverse=bool(d))
            outs.append(out)
            h_n.append(out[0 if d else -1])
        x = outs[0] if dirs == 1 else cat(outs, 2)
        if dropout and train and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    output = x.transpose(0, 1) if batch_first else x
    return output, stack(h_n), (stack(c_n) if mode == "lstm" else None)


def _lstm_projected_layer(x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, reverse: bool):
    """One direction of an LSTM layer with projections (torch's proj_size), in Tensor ops:
    G_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, then ``LSTMPointwise`` gives o tanh(c_t)
    and c_t, and h_t = (o tanh(c_t)) W_hr^T (B, P). A graph node per step (slower than the
    fused ``LSTMLayer``, and differentiable to any order). Returns (h_1 .. h_T as (T, B, P),
    the last step's c (B, H))."""
    seq = x._data.shape[0]
    pre = _project(x, w_ih, b_ih)               # every step's input projection at once
    h, c, outs = h0, c0, [None] * seq
    for t in (range(seq - 1, -1, -1) if reverse else range(seq)):
        y = LSTMPointwise.apply(pre[t] + _linear(h, w_hh, b_hh), c)
        c = y[1]
        h = outs[t] = mm(y[0], w_hr.t())
    return stack(outs), c


def _initial_states(op, mode, hx, count, batch, sizes, input):
    """The (h0,) or (h0, c0) tensors (count, B, size), or None for zeros, checked; ``sizes``
    (h's, c's): they differ in an LSTM with projections."""
    if mode == "lstm":
        if hx is None:
            hx = (None, None)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise op_error(TypeError, f"{op}: expected hx to be a pair (h0, c0), got "
                                      f"{type(hx).__name__}")
        names = ("h0", "c0")
    else:
        hx = (hx,)
        names = ("hx",)
    for name, s, size in zip(names, hx, sizes):
        if s is None:
            continue
        _check_tensor(s, op, name)
        want = (count, batch, size)
        if s._data.shape != want:
            raise op_error(RuntimeError, f"{op}: expected {name} of shape {want} for input "
                                         f"{describe(input)}, got {describe(s)}")
    return list(hx)


def _state(s, k, batch, hidden, input):
    if s is None:
        return Tensor._make(np.zeros((batch, hidden), dtype=input._data.dtype))
    return s[k]


def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first):
    """A multi-layer Elman RNN (torch.rnn_tanh): h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T
    + b_hh) per layer and direction. ``params`` is torch's flat list (per layer, per direction:
    w_ih, w_hh[, b_ih, b_hh]); hx (layers * dirs, B, H). Returns (output, h_n); dropout (while
    ``train``) on the outputs of every layer but the last."""
    out, h_n, _ = _sequence("rnn_tanh", "tanh", input, hx, params, has_biases, num_layers,
                            dropout, train, bidirectional, batch_first)
    return out, h_n


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first):
    """As ``rnn_tanh`` with h_t = relu(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""
    out, h_n, _ = _sequence("rnn_relu", "relu", input, hx, params, has_biases, num_layers,
                            dropout, train, bidirectional, batch_first)
    return out, h_n


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
         batch_first):
    """A multi-layer LSTM (torch.lstm): per layer and direction, lstm_cell over the sequence.
    hx = (h0, c0), each (layers * dirs, B, H); returns (output, h_n, c_n). With projections
    (torch's proj_size P), ``params`` holds w_hr (P, H) after each layer and direction's
    biases, w_hh is (4H, P), h0, h_n and the output have P features and c0, c_n H."""
    return _sequence("lstm", "lstm", input, hx, params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first)


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """A multi-layer GRU (torch.gru): per layer and direction, gru_cell over the sequence.
    Returns (output, h_n)."""
    out, h_n, _ = _sequence("gru", "gru", input, hx, params, has_biases, num_layers, dropout,
                            train, bidirectional, batch_first)
    return out, h_n
