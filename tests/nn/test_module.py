"""Module mechanics: registration through __setattr__, iteration order and de-duplication,
state_dict keys and round trips, strict loading errors (torch's texts), hooks, modes,
conversion, repr."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as cnn


def _net(nn):
    """A nested model with every kind of member: parameters, buffers (persistent or not),
    children, a ModuleList and a tied weight."""
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.bn(self.conv(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 6)
            self.blocks = nn.Sequential(Block(), nn.MaxPool2d(2))
            self.heads = nn.ModuleList([nn.Linear(6, 6) for _ in range(3)])
            self.out = nn.Linear(6, 10, bias=False)
            self.out.weight = self.embed.weight          # tied
            self.scale = nn.Parameter(nn.init.ones_(self.out.weight.new_empty(1)))
            self.register_buffer("step", self.scale.new_zeros(()), persistent=False)

        def forward(self, x):
            return x
    return Net()


def test_named_parameters_order_and_tied_weight_once(torch):
    c, t = _net(cnn), _net(torch.nn)
    c_names = [n for n, _ in c.named_parameters()]
    assert c_names == [n for n, _ in t.named_parameters()]
    assert "out.weight" not in c_names                   # shared: first name only
    assert len(list(c.parameters())) == len(c_names)
    all_names = [n for n, _ in c.named_parameters(remove_duplicate=False)]
    assert all_names == [n for n, _ in t.named_parameters(remove_duplicate=False)]
    assert "out.weight" in all_names
    assert [n for n, _ in c.named_parameters(prefix="m", recurse=False)] == ["m.scale"]


def test_state_dict_keys_match_torch_and_round_trip(torch, numpy_state):
    c, t = _net(cnn), _net(torch.nn)
    assert list(c.state_dict()) == list(t.state_dict())
    assert "step" not in c.state_dict()                 # non-persistent buffer
    assert [n for n, _ in c.named_buffers()] == [n for n, _ in t.named_buffers()]
    c.load_state_dict(numpy_state(t))
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(c.state_dict()[k].numpy(), v.numpy(), err_msg=k)
    assert c.out.weight is c.embed.weight                # tying survives loading
    other = _net(cnn)
    other.load_state_dict(c.state_dict())
    for k, v in c.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[k].numpy(), v.numpy())


def test_state_dict_shares_memory_and_keep_vars():
    lin = cnn.Linear(2, 3)
    sd = lin.state_dict()
    assert not sd["weight"].requires_grad
    with cr.no_grad():
        lin.weight.fill_(2.0)
    np.testing.assert_array_equal(sd["weight"].numpy(), 2.0)
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight
    assert list(lin.state_dict(prefix="fc.")) == ["fc.weight", "fc.bias"]


def test_load_state_dict_accepts_torch_tensors(torch):
    t = torch.nn.Linear(3, 2)
    c = cnn.Linear(3, 2)
    c.load_state_dict(t.state_dict())
    np.testing.assert_array_equal(c.weight.detach().numpy(), t.weight.detach().numpy())


def _torch_error(torch, fn):
    with pytest.raises(RuntimeError) as e:
        fn()
    return str(e.value).replace("torch.Size", "chainrule.Size")


def test_strict_loading_errors_have_torch_texts(torch):
    t, c = torch.nn.Sequential(torch.nn.Linear(2, 3)), cnn.Sequential(cnn.Linear(2, 3))
    bad = {"0.weight": np.zeros((3, 2), np.float32), "extra": np.zeros(1, np.float32),
           "0.bias.x": np.zeros(1, np.float32)}
    expected = _torch_error(torch, lambda: t.load_state_dict(
        {k: torch.tensor(v) for k, v in bad.items()}))
    with pytest.raises(RuntimeError) as e:
        c.load_state_dict(bad)
    assert str(e.value) == expected
    assert "Missing key(s) in state_dict: \"0.bias\"" in expected

    wrong = {"0.weight": np.zeros((2, 2), np.float32), "0.bias": np.zeros(3, np.float32)}
    expected = _torch_error(torch, lambda: t.load_state_dict(
        {k: torch.tensor(v) for k, v in wrong.items()}))
    with pytest.raises(RuntimeError) as e:
        c.load_state_dict(wrong)
    assert str(e.value) == expected
    assert "size mismatch for 0.weight" in expected


def test_non_strict_loading_reports_keys():
    c = cnn.Sequential(cnn.Linear(2, 3))
    res = c.load_state_dict({"0.weight": cr.ones(3, 2), "junk": cr.zeros(1)}, strict=False)
    assert res.missing_keys == ["0.bias"] and res.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(c[0].weight.detach().numpy(), 1.0)
    assert repr(c.load_state_dict(c.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(RuntimeError, match='expected chainrule.Tensor or Tensor-like object'):
        c.load_state_dict({"0.weight": [[1.0] * 2] * 3, "0.bias": cr.zeros(3)})
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        c.load_state_dict([1, 2])


def test_load_state_dict_assign_and_missing_num_batches_tracked():
    bn = cnn.BatchNorm1d(2)
    sd = {k: v for k, v in cnn.BatchNorm1d(2).state_dict().items()
          if k != "num_batches_tracked"}
    bn.load_state_dict(sd)                    # older checkpoints: no num_batches_tracked
    lin = cnn.Linear(2, 2)
    w = cr.full((2, 2), 3.0)
    lin.load_state_dict({"weight": w, "bias": cr.zeros(2)}, assign=True)
    assert isinstance(lin.weight, cnn.Parameter) and lin.weight.requires_grad
    assert np.shares_memory(lin.weight.numpy(force=True), w.numpy())


def test_registration_rules_and_errors():
    m = cnn.Module()
    m.w = cnn.Parameter(cr.zeros(2))
    m.register_buffer("b", cr.ones(2))
    m.child = cnn.Linear(1, 1)
    m.plain = cr.zeros(1)
    assert list(m._parameters) == ["w"] and list(m._buffers) == ["b"]
    assert list(m._modules) == ["child"] and "plain" not in m._buffers
    with pytest.raises(TypeError, match="cannot assign 'chainrule.Tensor' as parameter 'w'"):
        m.w = cr.zeros(2)
    m.w = None
    assert m.w is None and list(m.parameters()) == list(m.child.parameters())
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'child'"):
        m.child = 3
    with pytest.raises(TypeError, match="cannot assign 'str' as buffer 'b'"):
        m.b = "x"
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", cr.zeros(1))
    with pytest.raises(KeyError, match='name can.+t contain'):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match='be empty string'):
        m.add_module("", cnn.ReLU())
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="cannot assign 'chainrule.Tensor' object to parameter"):
        m.register_parameter("p", cr.zeros(1))
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
        p = cnn.Parameter(cr.zeros(1))
        p.grad_fn = (p * 2).grad_fn
        m.register_parameter("q", p)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        _ = m.nothing
    del m.child, m.b, m.plain
    assert not m._modules and not m._buffers and not hasattr(m, "plain")
    m.child = cnn.Parameter(cr.zeros(1))                  # reassigning moves registries
    assert "child" in m._parameters

    class Early(cnn.Module):
        def __init__(self):
            self.w = cnn.Parameter(cr.zeros(1))
    with pytest.raises(AttributeError, match="cannot assign parameters before "
                                             "Module.__init__\\(\\) call"):
        Early()
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'x'"):
        cnn.Module(x=1)


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required '
                                                  '"forward" function'):
        cnn.Module()(1)


def test_children_modules_and_get_submodule(torch):
    c, t = _net(cnn), _net(torch.nn)
    assert [n for n, _ in c.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in c.named_modules()] == [n for n, _ in t.named_modules()]
    shared = cnn.ReLU()
    seq = cnn.Sequential(shared, shared)
    assert len(list(seq.modules())) == 2 and len(list(seq.children())) == 1
    assert len(list(seq.named_modules(remove_duplicate=False))) == 3
    assert c.get_submodule("blocks.0.bn") is c.blocks[0].bn
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        c.get_submodule("blocks.nope")


def test_train_eval_propagate_and_apply():
    c = _net(cnn)
    assert c.training and c.blocks[0].bn.training
    assert c.eval() is c
    assert not any(m.training for m in c.modules())
    c.train()
    assert all(m.training for m in c.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        c.train(1)
    seen = []
    c.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[:3] == ["Embedding", "Conv2d", "BatchNorm2d"]


def test_zero_grad_and_requires_grad_():
    lin = cnn.Linear(3, 2)
    lin(cr.randn(4, 3)).sum().backward()
    lin.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(lin.weight.grad.numpy(), 0)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    lin.requires_grad_(False)
    assert not any(p.requires_grad for p in lin.parameters())


def test_to_double_keeps_parameter_identity_and_integer_buffers():
    net = cnn.Sequential(cnn.Linear(2, 2), cnn.BatchNorm1d(2))
    w = net[0].weight
    net(cr.randn(3, 2)).sum().backward()
    assert net.double() is net
    assert net[0].weight is w and w.dtype == cr.float64 and w.grad.dtype == cr.float64
    assert net[1].running_mean.dtype == cr.float64
    assert net[1].num_batches_tracked.dtype == cr.int64
    net.to(cr.float32)
    assert w.dtype == cr.float32
    out = net.to(cr.zeros(1, dtype=cr.float64))(cr.randn(3, 2, dtype=cr.float64))
    assert out.dtype == cr.float64
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes"):
        net.to(cr.int64)
    with pytest.raises(RuntimeError, match="CUDA backend"):
        net.to("cuda")
    assert net.to("cpu") is net and net.cpu() is net


def test_forward_hooks_and_pre_hooks():
    lin = cnn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    y = lin(cr.randn(3, 2))
    np.testing.assert_allclose(y.detach().numpy(), lin.bias.detach().numpy() + 1 + np.zeros((3, 2)))
    assert calls == [cr.Size([3, 2])]
    h1.remove()
    h2.remove()
    x = cr.randn(3, 2)
    np.testing.assert_allclose(lin(x).detach().numpy(), cnn.functional.linear(
        x, lin.weight, lin.bias).detach().numpy())
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append("second"))
    lin.register_forward_hook(lambda m, a, o: order.append("first"), prepend=True)
    with lin.register_forward_pre_hook(lambda m, a, k: (a, k), with_kwargs=True):
        lin(x)
    assert order == ["first", "second"]
    kw = []
    lin.register_forward_hook(lambda m, a, k, o: kw.append(k), with_kwargs=True)
    lin(input=x)
    assert kw == [{"input": x}]
    lin.register_forward_pre_hook(lambda m, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        lin(x)


def test_repr_of_nested_model_matches_torch(torch):
    c, t = _net(cnn), _net(torch.nn)
    assert repr(c) == repr(t)
    c_list = cnn.ModuleList([cnn.Linear(2, 2)] * 3 + [cnn.ReLU(), cnn.ReLU()])
    t_list = torch.nn.ModuleList([torch.nn.Linear(2, 2)] * 3 + [torch.nn.ReLU(),
                                                                 torch.nn.ReLU()])
    assert repr(c_list) == repr(t_list)
    assert repr(cnn.ModuleList()) == repr(torch.nn.ModuleList())

    class Multi(cnn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n)"


def test_parameter_basics(torch):
    p = cnn.Parameter(cr.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and isinstance(p, cr.Tensor)
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert str(p).startswith("Parameter containing:\n")
    assert type(p * 2) is cr.Tensor and type(p.detach()) is cr.Tensor
    assert not cnn.Parameter(cr.zeros(1), requires_grad=False).requires_grad
    with cr.no_grad():
        assert cnn.Parameter(cr.zeros(1)).requires_grad
    assert cnn.Parameter().shape == (0,)
    data = cr.zeros(3)
    assert np.shares_memory(cnn.Parameter(data).numpy(force=True), data.numpy())
    with pytest.raises(RuntimeError, match="floating point"):
        cnn.Parameter(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="expected a Tensor"):
        cnn.Parameter([1.0])


def test_deepcopy_gives_independent_model():
    net = _net(cnn)
    twin = copy.deepcopy(net)
    assert twin.out.weight is twin.embed.weight and twin.out.weight is not net.out.weight
    with cr.no_grad():
        twin.embed.weight.fill_(0)
    assert np.abs(net.embed.weight.detach().numpy()).sum() > 0
    assert isinstance(twin.scale, cnn.Parameter)


def test_containers_indexing_and_editing():
    a, b, c = cnn.ReLU(), cnn.Tanh(), cnn.Sigmoid()
    seq = cnn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[-1] is c and list(seq) == [a, b, c]
    assert isinstance(seq[1:], cnn.Sequential) and list(seq[1:]) == [b, c]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and seq[0] is b
    seq.append(a).insert(0, c)
    assert list(seq) == [c, b, c, a]
    seq[1] = a
    assert seq[1] is a
    named = cnn.Sequential(OrderedDict([("fc", cnn.Linear(2, 3)), ("act", a)]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is a
    assert len(seq + named) == 6 and len(named * 2) == 4
    ml = cnn.ModuleList([a])
    ml += [b]
    ml.append(c).extend([a])
    ml.insert(1, c)
    assert list(ml) == [a, c, b, c, a] and ml[-1] is a and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        ml.extend(3)
    md = cnn.ModuleDict({"x": a})
    md["y"] = b
    md.update([("z", c)])
    assert list(md.keys()) == ["x", "y", "z"] and "y" in md and md.pop("x") is a
    assert len(md) == 2
    with pytest.raises(ValueError, match="has length 1; 2 is required"):
        md.update([("w",)])


def test_parameter_list(torch):
    pl = cnn.ParameterList([cr.zeros(2), cnn.Parameter(cr.ones(3, 1))])
    assert all(isinstance(p, cnn.Parameter) for p in pl) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    tl = torch.nn.ParameterList([torch.zeros(2), torch.nn.Parameter(torch.ones(3, 1))])
    assert repr(pl).replace("chainrule.", "torch.") == repr(tl)
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        pl()
