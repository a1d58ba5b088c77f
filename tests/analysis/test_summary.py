"""summary: torchinfo's table, parameters counted once (tied weights, modules used twice), the
receptive-field columns, the forward pass's side effects and the error paths."""
import re
import subprocess
import sys

import pytest

import chainrule
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.analysis import ModelSummary, receptive_field, summary


def _cnn():
    chainrule.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, dilation=2),
                                       nn.BatchNorm2d(8)),
                         nn.Flatten(), nn.Linear(8 * 2 * 2, 10))


CNN_TABLE = """\
============================================================================================================================================
Layer (type:depth-idx)                   Output Shape              Param #                   Receptive Field           Jump
============================================================================================================================================
Sequential                               [2, 10]                   --                        --                        --
├─Conv2d: 1-1                            [2, 4, 14, 14]            40                        3                         1
├─ReLU: 1-2                              [2, 4, 14, 14]            --                        3                         1
├─MaxPool2d: 1-3                         [2, 4, 7, 7]              --                        4                         2
├─Sequential: 1-4                        [2, 8, 2, 2]              --                        12                        4
│    └─Conv2d: 2-1                       [2, 8, 2, 2]              296                       12                        4
│    └─BatchNorm2d: 2-2                  [2, 8, 2, 2]              16                        12                        4
├─Flatten: 1-5                           [2, 32]                   --                        --                        --
├─Linear: 1-6                            [2, 10]                   330                       --                        --
============================================================================================================================================
Total params: 682
Trainable params: 682
Non-trainable params: 0
============================================================================================================================================
Input size (MB): 0.00
Forward/backward pass size (MB): 0.03
Params size (MB): 0.00
Estimated Total Size (MB): 0.03
============================================================================================================================================"""  # noqa: E501


def test_table_looks_like_torchinfo():
    s = summary(_cnn(), (2, 1, 14, 14))
    assert str(s) == CNN_TABLE and repr(s) == CNN_TABLE
    assert chainrule.summary is summary


def test_rows_hold_the_numbers():
    net = _cnn()
    s = summary(net, (2, 1, 14, 14))
    assert isinstance(s, ModelSummary)
    assert [(r.title, r.name) for r in s.rows] == [
        ("Sequential", ""), ("Conv2d: 1-1", "0"), ("ReLU: 1-2", "1"), ("MaxPool2d: 1-3", "2"),
        ("Sequential: 1-4", "3"), ("Conv2d: 2-1", "3.0"), ("BatchNorm2d: 2-2", "3.1"),
        ("Flatten: 1-5", "4"), ("Linear: 1-6", "5")]
    assert [r.output_shape for r in s.rows] == [
        [2, 10], [2, 4, 14, 14], [2, 4, 14, 14], [2, 4, 7, 7], [2, 8, 2, 2], [2, 8, 2, 2],
        [2, 8, 2, 2], [2, 32], [2, 10]]
    assert [r.shown_params for r in s.rows] == [0, 40, 0, 0, 0, 296, 16, 0, 330]
    assert s.rows[4].num_params == 312 and s.rows[0].num_params == 682
    assert s.total_params == s.trainable_params == 682 == sum(p.numel() for p in net.parameters())
    assert s.non_trainable_params == 0
    assert s.param_bytes == 4 * 682 and s.input_bytes == 4 * 2 * 196
    leaf_outputs = 2 * 4 * 196 * 2 + 2 * 4 * 49 + 2 * 8 * 4 * 2 + 2 * 32 + 2 * 10
    assert s.forward_backward_bytes == 2 * 4 * leaf_outputs
    assert s.total_bytes == s.param_bytes + s.input_bytes + s.forward_backward_bytes
    assert s.rows[1].kernel_size == [3, 3] and s.rows[3].kernel_size == 2


def test_receptive_field_columns_agree_with_receptive_field():
    net = _cnn()
    s = summary(net, (2, 1, 14, 14))
    leaves = [r for r in s.rows if r.is_leaf]
    expected = receptive_field(net, (2, 1, 14, 14))
    assert [(r.receptive_field, r.jump, r.start) for r in leaves] == \
        [(f.r, f.j, f.start) for f in expected]
    assert [r.output_shape for r in leaves] == [list(f.output_shape) for f in expected]


class TiedLM(nn.Module):
    """An embedding and an output layer that share one weight matrix."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.out = nn.Linear(8, 50)
        self.out.weight = self.emb.weight

    def forward(self, idx):
        return self.out(self.emb(idx))


def test_tied_weight_is_counted_once():
    s = summary(TiedLM(), (2, 5), dtypes=[chainrule.int64])
    assert s.total_params == 50 * 8 + 50                    # torchinfo says 850
    assert s.param_bytes == 4 * 450
    emb, out = s.rows[1], s.rows[2]
    assert (emb.shown_params, emb.shared_params) == (400, 0)
    assert (out.num_params, out.shown_params, out.shared_params) == (450, 450, 400)
    assert "├─Linear: 1-2                            [2, 5, 50]                450 (400 shared)" \
        in str(s).splitlines()
    assert "Receptive Field" not in str(s)                  # no spatial input: columns dropped


class Twice(nn.Module):
    """One Linear applied twice."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.lin(self.act(self.lin(x)))


def test_module_used_twice_is_one_row_per_call_and_counted_once():
    s = summary(Twice(), (3, 4))
    assert [(r.title, r.is_recursive) for r in s.rows] == [
        ("Twice", False), ("Linear: 1-1", False), ("Tanh: 1-2", False), ("Linear: 1-3", True)]
    assert s.total_params == 20
    assert str(s).splitlines()[6] == ("├─Linear: 1-3                            [3, 4]"
                                      "                    (recursive)")
    assert s.rows[3].shown_params == 0 and s.rows[3].num_params == 20


class Block(nn.Module):
    """A residual block written with functional activations; the shortcut runs last."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.shortcut = nn.Conv2d(c, c, 1)

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.block = Block(4)
        self.head = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        x = self.block(F.relu(self.stem(x)))
        return self.head(F.max_pool2d(self.head(x), 2))


def test_fields_follow_functional_activations_and_residual_sums():
    s = summary(ResNet(), (1, 1, 16, 16))
    fields = {(r.name, r.is_recursive): (r.receptive_field, r.jump) for r in s.rows}
    assert fields[("stem", False)] == ((3, 3), (2, 2))
    assert fields[("block.conv1", False)] == ((7, 7), (2, 2))
    assert fields[("block.conv2", False)] == ((11, 11), (2, 2))
    assert fields[("block.shortcut", False)] == ((3, 3), (2, 2))     # sees the block's input
    assert fields[("block", False)] == ((11, 11), (2, 2))            # union of the branches
    assert fields[("head", False)] == ((15, 15), (2, 2))
    assert fields[("head", True)] == (None, None)          # after a functional pooling: unknown


def test_depth_limits_rows_and_a_row_at_the_limit_shows_its_subtree():
    s = summary(_cnn(), (2, 1, 14, 14), depth=1)
    assert [r.title for r in s.rows] == ["Sequential", "Conv2d: 1-1", "ReLU: 1-2",
                                         "MaxPool2d: 1-3", "Sequential: 1-4", "Flatten: 1-5",
                                         "Linear: 1-6"]
    assert s.rows[4].shown_params == 312 and s.total_params == 682
    s0 = summary(_cnn(), (2, 1, 14, 14), depth=0)
    assert len(s0.rows) == 1 and s0.rows[0].shown_params == 682


def test_frozen_parameters_and_columns():
    net = _cnn()
    net[0].requires_grad_(False)
    net[3][1].weight.requires_grad_(False)
    s = summary(net, (2, 1, 14, 14), col_names=("input_size", "num_params", "kernel_size",
                                                "trainable"))
    assert s.trainable_params == 682 - 40 - 8 and s.non_trainable_params == 48
    lines = str(s).splitlines()
    assert re.split(r"\s{2,}", lines[1]) == ["Layer (type:depth-idx)", "Input Shape", "Param #",
                                             "Kernel Shape", "Trainable"]
    assert lines[4].split() == ["├─Conv2d:", "1-1", "[2,", "1,", "14,", "14]", "(40)",
                                "[3,", "3]", "False"]
    assert lines[9].split()[-3:] == ["16", "--", "Partial"]
    assert "Non-trainable params: 48" in lines


def test_float64_parameters_take_eight_bytes():
    s = summary(_cnn().double(), (2, 1, 14, 14), dtypes=[chainrule.float64])
    assert s.param_bytes == 8 * 682 and s.input_bytes == 8 * 2 * 196


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(5, 2, dtype=chainrule.float64)

    def forward(self, x, y, scale=1.0):
        return (self.a(x) + self.b(y)) * scale


def test_input_data_several_inputs_and_forward_kwargs():
    x, y = chainrule.ones(4, 3), chainrule.ones(4, 5, dtype=chainrule.float64)
    s = summary(TwoInputs(), input_data=[x, y], scale=2.0)
    assert [r.input_shape for r in s.rows] == [[4, 3], [4, 3], [4, 5]]
    assert s.input_bytes == 4 * 12 + 8 * 20
    s2 = summary(TwoInputs(), [(4, 3), (4, 5)], dtypes=[chainrule.float32, chainrule.float64])
    assert s2.input_bytes == 4 * 12 + 8 * 20
    assert summary(nn.Linear(3, 2), input_data=x).rows[0].output_shape == [4, 2]


def test_without_input_the_rows_are_the_module_tree():
    s = summary(_cnn())
    assert [r.title for r in s.rows][3:6] == ["MaxPool2d: 1-3", "Sequential: 1-4",
                                              "Conv2d: 2-1"]
    assert all(r.output_shape is None for r in s.rows)
    assert s.input_bytes is None and s.forward_backward_bytes is None and s.total_params == 682
    text = str(s)
    assert "Forward/backward" not in text and "Params size (MB): 0.00" in text
    assert "Receptive Field" not in text


class Recorder(nn.Module):
    """Records the grad mode and its training flag during forward."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(3)
        self.seen = []

    def forward(self, x):
        self.seen.append((chainrule.is_grad_enabled(), self.training, self.bn.training))
        return self.bn(x)


def test_forward_runs_under_no_grad_in_eval_mode_and_leaves_the_model_as_it_was():
    m = Recorder()
    m.train()
    m.bn.eval()
    summary(m, (2, 3))
    assert m.seen == [(False, False, False)]
    assert m.training and not m.bn.training
    summary(m, (2, 3), mode="train")
    assert m.seen[-1] == (False, True, True)
    assert m.training and not m.bn.training
    assert not m._forward_hooks and not m._forward_pre_hooks and not m.bn._forward_hooks
    assert all(p.grad is None for p in m.parameters())


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc2(self.fc(x))


def test_failing_forward_names_the_layers_that_ran_and_removes_the_hooks():
    m = Broken()
    m.train()
    with pytest.raises(RuntimeError, match=r"forward pass of Broken failed with RuntimeError: "
                                           r".*Layers called so far: \['Broken \(model\)', "
                                           r"'Linear \(fc\)', 'Linear \(fc2\)'\]"):
        summary(m, (1, 3))
    assert not m.fc._forward_hooks and not m.fc._forward_pre_hooks and m.training


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(input_size=(1, 3), input_data=chainrule.ones(1, 3)), ValueError, "not both"),
    (dict(input_size=(1, "3")), ValueError, "input_size must be a shape"),
    (dict(input_size=[]), ValueError, "input_size must be a shape"),
    (dict(input_size=(1, 3), dtypes=[chainrule.float32] * 2), ValueError,
     r"dtypes must be a list of 1 chainrule dtype"),
    (dict(input_size=(1, 3), dtypes=["float32"]), ValueError, "dtypes must be a list"),
    (dict(input_data=chainrule.ones(1, 3), dtypes=[chainrule.float32]), ValueError,
     "dtypes only applies to input_size"),
    (dict(dtypes=[chainrule.float32]), ValueError, "dtypes needs input_size"),
    (dict(input_data=[[1.0, 2.0, 3.0]]), TypeError, "input_data must be a Tensor"),
    (dict(input_size=(1, 3), depth=-1), ValueError, "depth must be an int >= 0"),
    (dict(input_size=(1, 3), col_names=["params"]), ValueError, r"unknown column\(s\)"),
    (dict(input_size=(1, 3), col_width=0), ValueError, "col_width must be a positive int"),
    (dict(input_size=(1, 3), mode="test"), ValueError, "mode must be 'eval' or 'train'"),
])
def test_bad_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        summary(nn.Linear(3, 2), **kwargs)


def test_model_must_be_a_module():
    with pytest.raises(TypeError, match="model must be a chainrule.nn.Module"):
        summary(lambda x: x, (1, 3))


def test_summary_alias_loads_analysis_lazily():
    code = ("import sys, chainrule; assert 'chainrule.analysis' not in sys.modules; "
            "from chainrule.analysis import summary; assert chainrule.summary is summary; "
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "ok"
