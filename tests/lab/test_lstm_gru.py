"""The lstm-gru experiment: the count formula, its checks on made-up numbers, the quick variant."""
import json

import pytest

from chainrule.lab import lstm_gru as L


def test_formula_count_by_hand():
    # one layer, I = 10, H = 20: 20 * 30 + 40 = 640 per gate block
    assert L.formula_count("RNN", 10, 20) == 640
    assert L.formula_count("LSTM", 10, 20) == 4 * 640
    assert L.formula_count("GRU", 10, 20) == 3 * 640
    # second bidirectional layer reads 2H; no biases
    assert L.formula_count("GRU", 5, 8, 2, True, False) == 2 * 3 * (8 * 13 + 8 * 24)


def test_counts_match_torch():
    torch = pytest.importorskip("torch")
    for row in L.count_parameters():
        module = getattr(torch.nn, row["mode"])(row["input"], row["hidden"], row["layers"],
                                                bias=row["bias"],
                                                bidirectional=row["bidirectional"])
        assert row["module"] == row["formula"] == sum(p.numel() for p in module.parameters())


def _grad(net, first_over_last, slope=-0.3, predicted=-0.3):
    return {"net": net, "length": 100, "first_over_last": first_over_last,
            "log10_decay_per_step": slope, "predicted_log10_decay_per_step": predicted}


def test_checks_pass_and_fail_on_made_up_numbers():
    counts = L.count_parameters()
    good = [_grad("rnn", 1e-30), _grad("lstm", 1e-20), _grad("gru", 1e-21),
            _grad("lstm_forget1", 1e-9)]
    assert all(c.passed for c in L.checks(counts, good))
    wrong = [dict(r) for r in counts]
    wrong[5]["module"] += 1   # an LSTM with one parameter too many
    bad = [_grad("rnn", 1e-3, slope=-0.03, predicted=-0.3), _grad("lstm", 1e-3),
           _grad("gru", 0.5), _grad("lstm_forget1", 2e-3)]
    outcome = {c.name: c.passed for c in L.checks(wrong, bad)}
    assert outcome == {
        "RNN parameter count = 1 x [H(I + H) + 2H] per layer and direction": True,
        "LSTM parameter count = 4 x [H(I + H) + 2H] per layer and direction": False,
        "GRU parameter count = 3 x [H(I + H) + 2H] per layer and direction": True,
        "tanh RNN gradient vanishes over T=100": False,
        "tanh RNN decays at the rate rho(W_hh) rms(1 - h^2) per step": False,
        "LSTM gradient decays more slowly than the RNN's": False,
        "GRU gradient decays more slowly than the RNN's": True,
        "forget bias 1 slows the LSTM's decay": False,
    }


def test_quick_run_writes_json_and_plot(tmp_path):
    checks = L.run(quick=True, out=tmp_path)
    data = json.loads((tmp_path / "lstm_gru.json").read_text())
    assert [g["net"] for g in data["gradients"]] == list(L.NETS)
    for g in data["gradients"]:
        assert len(g["norms"]) == L.QUICK["length"] and min(g["norms"]) > 0
        assert g["first_over_last"] == pytest.approx(g["norms"][0] / g["norms"][-1])
    assert [c["name"] for c in data["checks"]] == [c.name for c in checks]
    assert all(c.passed for c in checks), [str(c) for c in checks]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "lstm_gru.png").stat().st_size > 1000
