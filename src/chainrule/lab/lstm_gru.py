"""LSTM and GRU: parameter counts from the gate equations, and gradients through time.

Claim 1, parameters. A tanh RNN layer computes one affine map of (x_t, h_{t-1}),
h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), with W_ih (H, I), W_hh (H, H) and two bias
vectors (H,) (torch keeps both): H (I + H) + 2H parameters. An LSTM computes four such maps
(gates i, f, g, o), a GRU three (r, z, n), so per layer and direction

    RNN: H (I + H) + 2H,    LSTM: 4 [H (I + H) + 2H],    GRU: 3 [H (I + H) + 2H],

where the first layer reads I = input_size and every later one reads I = D H (D = 2 when
bidirectional: it sees both directions' outputs); without biases the 2H term drops. Summed over
layers and directions, this must equal sum(p.numel() for p in module.parameters()) of
chainrule.nn.RNN / LSTM / GRU exactly.

Claim 2, gradient through time. With a loss L on the last output h_T only,
dL/dx_t = (dh_t/dx_t)^T (dh_{t+1}/dh_t)^T ... (dh_T/dh_{T-1})^T dL/dh_T. For the tanh RNN each
factor is dh_k/dh_{k-1} = diag(1 - h_k^2) W_hh. Under torch's default initialisation
U(-1/sqrt(H), 1/sqrt(H)) the entries of W_hh have variance 1/(3H), so its spectral radius is
about sqrt(H / (3H)) = 1/sqrt(3) ~ 0.58 (the circular law), and diag(1 - h^2) <= 1 only shrinks
it further: the product decays geometrically, roughly like (0.58 rms(1 - h^2))^(T - t), i.e.
about 10^-0.3 per step -- at T = 100 the first step gets ~1e-30 of the last step's gradient.
An LSTM's cell path c_t = f_t * c_{t-1} + i_t * g_t gives dc_t/dc_{t-1} = diag(f_t) with no
weight matrix and no tanh' in it; a GRU's h_t = (1 - z_t) * n_t + z_t * h_{t-1} has the
identity path diag(z_t). At default initialisation the gate pre-activations are near 0, so
f_t ~ z_t ~ sigmoid(0) = 1/2 and these paths also decay (about 10^-0.2 per step measured) --
more slowly than the RNN, but not by much; the gates only earn their keep when they learn to stay
near 1. (How much more slowly depends on how hard the input drives the tanh: with input size 8
instead of 64 the RNN's 1 - h^2 stays near 1, it decays at ~10^-0.18 to 10^-0.27 per step, and
in one of six seeds tried the default LSTM decayed faster than the RNN. The margin checked
below is for input 64, where 6 of 6 seeds gave the LSTM and GRU 10^9.5 to 10^14 more at T = 100
and 10^2.7 to 10^4 more at T = 30.) Setting the LSTM's forget-gate bias to 1 (Jozefowicz et al.
2015; both b_if and b_hf +0.5 here) gives f ~ sigmoid(1) ~ 0.73 and a much slower decay from
the first step.

Measured here: the parameter counts of 4 configurations (input, hidden, layers, bidirectional,
bias) for each module; then an untrained RNN (tanh), LSTM, GRU and LSTM with forget bias 1
(hidden 64, input 64, default init with chainrule.manual_seed(0), float64 so nothing underflows)
read a batch of 16 standard-normal sequences of length T = 100 (quick: 30); the loss is the sum
of the last step's outputs and ||dL/dx_t|| (over the batch and features) is measured for every t
by autograd (``requires_grad`` on the input). ``lstm_gru.png`` plots log10 ||dL/dx_t|| against
T - t; ``lstm_gru.json`` holds the norms, the fitted decay per step, and the counts. Checked: the
counts match exactly; the RNN's first-step gradient is below 10^(-0.15 (T - 1)) of its last
(half the decay exponent predicted above, and far below the 1/100 of the usual statement); its
fitted decay per step (log10, least squares over T - t >= 5) is within 0.06 of
log10(rho(W_hh) rms(1 - h^2)) computed from its own W_hh and hidden states; the LSTM and the
GRU both keep at least 10x more of it than the RNN at the first step; the forget bias of 1
keeps at least 10x more than the default LSTM.

    python -m chainrule.lab.lstm_gru [--quick] [--out DIR]
"""
from __future__ import annotations

from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "lstm-gru"
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
# (input_size, hidden_size, num_layers, bidirectional, bias)
CONFIGS = ((10, 20, 1, False, True), (10, 20, 2, False, True), (7, 16, 3, True, True),
           (5, 8, 2, True, False))
NETS = ("rnn", "lstm", "gru", "lstm_forget1")
FULL = {"length": 100, "batch": 16, "input": 64, "hidden": 64, "seed": 0}
QUICK = {"length": 30, "batch": 16, "input": 64, "hidden": 64, "seed": 0}
RNN_DECAY_EXPONENT = 0.15   # bound: first/last <= 10^(-0.15 (T - 1)); predicted ~0.3 per step
PREDICTION_TOL = 0.06       # |fitted - predicted| RNN log10 decay per step (measured <= 0.03)
GATED_MARGIN = 10.0         # the gated nets keep at least 10x more than the RNN at t = 1


def formula_count(mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                  bidirectional: bool = False, bias: bool = True) -> int:
    """The parameter count of the gate equations (see the module docstring)."""
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        reads = input_size if layer == 0 else directions * hidden_size
        per_gate = hidden_size * (reads + hidden_size) + (2 * hidden_size if bias else 0)
        total += directions * GATES[mode] * per_gate
    return total


def count_parameters() -> list[dict]:
    """For every module and configuration: the formula's count and the module's."""
    from .. import nn

    rows = []
    for mode in GATES:
        for inp, hid, layers, bidir, bias in CONFIGS:
            module = getattr(nn, mode)(inp, hid, layers, bias=bias, bidirectional=bidir)
            rows.append({"mode": mode, "input": inp, "hidden": hid, "layers": layers,
                         "bidirectional": bidir, "bias": bias,
                         "formula": formula_count(mode, inp, hid, layers, bidir, bias),
                         "module": int(sum(p.numel() for p in module.parameters()))})
    return rows


def make_net(name: str, input_size: int, hidden: int):
    """An untrained one-layer net (batch_first, float64) of the kind ``name`` in ``NETS``."""
    from .. import nn, no_grad

    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU, "lstm_forget1": nn.LSTM}[name]
    net = cls(input_size, hidden, batch_first=True).double()
    if name == "lstm_forget1":
        with no_grad():  # gates (i, f, g, o): the forget gate is the second chunk of H
            net.bias_ih_l0[hidden:2 * hidden] += 0.5
            net.bias_hh_l0[hidden:2 * hidden] += 0.5
    return net


def gradient_through_time(name: str, length: int, batch: int, input_size: int, hidden: int,
                          seed: int = 0) -> dict:
    """||dL/dx_t|| for t = 1..T, L = sum of the last step's outputs, for one untrained net."""
    import chainrule as cr

    cr.manual_seed(seed)
    net = make_net(name, input_size, hidden)
    x = np.random.default_rng(seed).standard_normal((batch, length, input_size))
    x = cr.tensor(x, dtype=cr.float64, requires_grad=True)
    out, _ = net(x)
    out[:, -1, :].sum().backward()
    g = x.grad.numpy()
    norms = np.sqrt((g * g).sum(axis=(0, 2)))
    log_norms = np.log10(np.maximum(norms, np.finfo(np.float64).tiny))
    lag = np.arange(length)[::-1]   # T - t
    tail = lag >= min(5, length // 2)
    slope = float(np.polyfit(lag[tail], log_norms[tail], 1)[0])
    result = {"net": name, "length": length, "norms": norms.tolist(),
              "first_over_last": float(norms[0] / norms[-1]),
              "log10_decay_per_step": slope}
    if name == "rnn":
        w_hh = net.weight_hh_l0.detach().numpy()
        h = out.detach().numpy()
        rho = float(np.abs(np.linalg.eigvals(w_hh)).max())
        rms = float(np.sqrt(((1 - h * h) ** 2).mean()))
        result.update({"spectral_radius_w_hh": rho, "rms_tanh_derivative": rms,
                       "predicted_log10_decay_per_step": float(np.log10(rho * rms))})
    return result


def checks(counts: list[dict], grads: list[dict]) -> list[Check]:
    """Exact counts per module; the RNN's vanishing gradient; the gated nets' slower decay."""
    found = []
    for mode in GATES:
        rows = [r for r in counts if r["mode"] == mode]
        formula, module = [r["formula"] for r in rows], [r["module"] for r in rows]
        found.append(Check(f"{mode} parameter count = {GATES[mode]} x [H(I + H) + 2H] per layer "
                           "and direction", formula == module, module, f"== {formula}",
                           "configs (input, hidden, layers, bidirectional, bias): "
                           + ", ".join(str(c) for c in CONFIGS)))
    by = {g["net"]: g for g in grads}
    rnn = by["rnn"]
    length = rnn["length"]
    bound = 10.0 ** (-RNN_DECAY_EXPONENT * (length - 1))
    found.append(at_most(f"tanh RNN gradient vanishes over T={length}", rnn["first_over_last"],
                         min(bound, 1e-2), "||dL/dx_1|| / ||dL/dx_T|| at default init"))
    found.append(at_most("tanh RNN decays at the rate rho(W_hh) rms(1 - h^2) per step",
                         abs(rnn["log10_decay_per_step"] - rnn["predicted_log10_decay_per_step"]),
                         PREDICTION_TOL,
                         f"|fitted - predicted| log10 decay per step; fitted "
                         f"{rnn['log10_decay_per_step']:.3f}, predicted "
                         f"{rnn['predicted_log10_decay_per_step']:.3f}"))
    for name in ("lstm", "gru"):
        found.append(at_least(f"{name.upper()} gradient decays more slowly than the RNN's",
                              by[name]["first_over_last"] / rnn["first_over_last"], GATED_MARGIN,
                              f"(first/last of {name.upper()}) / (first/last of RNN), "
                              f"T={length}"))
    found.append(at_least("forget bias 1 slows the LSTM's decay",
                          by["lstm_forget1"]["first_over_last"] / by["lstm"]["first_over_last"],
                          GATED_MARGIN, "(first/last, forget bias 1) / (first/last, default)"))
    return found


def plot(grads: list[dict], path: Path) -> Path | None:
    """log10 ||dL/dx_t|| against T - t for every net."""
    plt = pyplot()
    if plt is None:
        return None
    labels = {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU",
              "lstm_forget1": "LSTM, forget bias 1"}
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for g in grads:
        lag = np.arange(g["length"])[::-1]
        norms = np.maximum(np.asarray(g["norms"]), np.finfo(np.float64).tiny)
        ax.plot(lag, np.log10(norms),
                label=f"{labels[g['net']]} ({g['log10_decay_per_step']:+.2f} / step)")
    ax.set_xlabel("T - t (steps back from the loss)")
    ax.set_ylabel("log10 ||dL/dx_t||")
    ax.set_title(f"gradient through time, untrained nets, H = 64, T = {grads[0]['length']}")
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=120)


def run(quick: bool = False, out: Path | str = "runs/lab/lstm-gru") -> list[Check]:
    """Count parameters, measure the gradients through time; write the JSON and the plot."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    counts = count_parameters()
    grads = [gradient_through_time(name, budget["length"], budget["batch"], budget["input"],
                                   budget["hidden"], budget["seed"]) for name in NETS]
    found = checks(counts, grads)
    write_numbers(out / "lstm_gru.json", quick, budget,
                  {"counts": counts, "gradients": grads}, found)
    plot(grads, out / "lstm_gru.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
