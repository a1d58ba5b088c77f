"""The batchnorm experiment: the two modes, the network, its checks on made-up numbers, the
quick variant."""
import copy
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.lab import batchnorm as B


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("batchnorm")
    found = B.run(quick=True, out=out)
    return out, found, json.loads((out / "batchnorm.json").read_text())


def test_batch_of_two_on_one_position_normalises_to_plus_minus_one():
    bn = nn.BatchNorm2d(4, eps=0.0).double()
    x = cr.from_numpy(np.array([[3.0, -1.0, 0.5, 7.0], [1.0, 2.0, 0.25, -7.0]])[:, :, None, None])
    y = bn(x).detach().numpy()[:, :, 0, 0]
    # (x1 - x2) / |x1 - x2| whatever the values: only the sign of the difference is left
    assert y.tolist() == [[1.0, -1.0, 1.0, 1.0], [-1.0, 1.0, -1.0, -1.0]]


def test_modes_match_the_formulas():
    m = B.modes(ema_steps=30)
    assert m["train_err"] < 1e-12 and m["eval_err"] < 1e-12 and m["ema_formula_err"] < 1e-12
    dep = m["sample0_change"]
    assert dep["batch_train"] > 0.05
    assert dep["batch_eval"] == dep["group_train"] == dep["layer_train"] == 0.0
    assert len(m["running_mean_trace"]) == 30


@pytest.mark.parametrize("kind", B.NORMS)
def test_network_shapes_and_norm_layers(kind):
    model = B.build(kind)
    assert tuple(model(cr.zeros((3, 1, 14, 14))).shape) == (3, 10)
    last_norm = model[9]
    expected = {"batch": nn.BatchNorm2d, "layer": nn.LayerNorm, "group": nn.GroupNorm,
                "instance": nn.Identity}[kind]
    assert type(last_norm) is expected


def test_unknown_norm_is_an_error():
    with pytest.raises(ValueError, match="unknown norm 'weight'"):
        B.build("weight")


def test_load_data_is_pooled_and_standardised():
    x, y, xt, yt = B.load_data(200, 100, side=14)
    assert x.shape == (200, 1, 14, 14) and xt.shape == (100, 1, 14, 14)
    assert x.dtype == np.float32 and y.dtype == np.int64 and set(np.unique(y)) <= set(range(10))
    assert abs(float(x.mean())) < 1e-5 and abs(float(x.std()) - 1) < 1e-4
    with pytest.raises(ValueError, match="side=5 must divide 28"):
        B.load_data(10, 10, side=5)


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick):
    _, _, data = quick
    assert all(c.passed for c in B.checks(data, quick=True)), \
        [str(c) for c in B.checks(data, quick=True)]
    bad = copy.deepcopy(data)
    bad["modes"]["eval_err"] = 0.1                        # eval used the batch statistics
    bad["modes"]["sample0_change"]["batch_train"] = 0.0   # no batch dependence
    bad["modes"]["mean_err_in_sd"] = 0.5                  # running mean did not converge
    bad["accuracy"]["batch"] = [0.9, 0.9]                 # BN fine at batch 2 ...
    bad["accuracy"]["group"] = [0.8, 0.8]                 # ... and better than GN
    bad["best"].update(batch=0.9, group=0.8)
    bad["spread"]["group"] = 0.3                          # GN depends on the batch size
    outcome = {c.name: c.passed for c in B.checks(bad, quick=True)}
    tag = " [quick: looser margin]"
    assert outcome == {
        "train mode normalises with the batch statistics": True,
        "eval mode normalises with the running statistics": False,
        "running statistics: r <- 0.9 r + 0.1 batch stat (unbiased var)": True,
        "train mode: one sample's output depends on the rest of the batch": False,
        "eval mode: it does not": True,
        "GroupNorm / LayerNorm: never batch-dependent": True,
        "running mean converges to the data mean": False,
        "running var converges to the data variance": True,
        f"BatchNorm at batch 2 below GroupNorm at batch 2{tag}": False,
        f"BatchNorm degrades at batch 2{tag}": False,
        f"GroupNorm is batch-size independent{tag}": False,
        f"LayerNorm is batch-size independent{tag}": True,
        f"BatchNorm at its best batch size is as good as GroupNorm{tag}": True,
    }


def test_quick_run_writes_json_and_plot(quick):
    out, found, data = quick
    assert all(c.passed for c in found), [str(c) for c in found]
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    assert data["batch_sizes"] == B.QUICK["batch_sizes"]
    runs = data["runs"]["batch"]
    # same examples seen: steps = epochs * (images // batch size)
    assert [runs[str(b)]["steps"] for b in B.QUICK["batch_sizes"]] == [
        B.QUICK["epochs"] * (B.QUICK["train_images"] // b) for b in B.QUICK["batch_sizes"]]
    pytest.importorskip("matplotlib")
    assert (out / "batchnorm.png").stat().st_size > 1000
