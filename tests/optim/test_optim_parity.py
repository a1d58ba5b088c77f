"""Every optimizer and option combination follows torch.optim's trajectory: a 2-layer tanh MLP in
float64, the loss computed by each library from its own (equal) parameters every step, 20 steps,
parameters equal to 1e-10 after each step; then the optimizer state matches torch's structure
and values, and torch's own state_dict loads into chainrule and carries on identically."""
import numpy as np
import pytest

import chainrule as cr

SHAPES = [(4, 3), (4,), (2, 4), (2,)]
_rng = np.random.default_rng(0)
INIT = [_rng.standard_normal(s) for s in SHAPES]
X = _rng.standard_normal((6, 3))
Y = _rng.standard_normal((6, 2))
TORCH_ONLY_GROUP_KEYS = {"foreach", "differentiable", "fused", "capturable"}

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05,
             "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.5, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "betas": (0.9, 0.5), "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.6), "amsgrad": True, "weight_decay": 0.1,
              "maximize": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "betas": (0.9, 0.6), "weight_decay": 0.2, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1,
                 "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.05,
                 "initial_accumulator_value": 0.1, "maximize": True}),
]


def make_params(lib):
    return [lib.tensor(a.copy(), dtype=lib.float64, requires_grad=True) for a in INIT]


def mlp_loss(lib, params, maximize):
    """Mean squared error of a tanh MLP; negated when the optimizer maximizes."""
    w1, b1, w2, b2 = params
    x, y = lib.tensor(X), lib.tensor(Y)
    out = lib.tanh(x @ w1.T + b1) @ w2.T + b2
    loss = ((out - y) ** 2).mean()
    return -loss if maximize else loss


def train(lib, opt, params, maximize, steps):
    for _ in range(steps):
        opt.zero_grad()
        mlp_loss(lib, params, maximize).backward()
        opt.step()


def assert_params_close(cr_params, t_params):
    for c, t in zip(cr_params, t_params):
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-10)


def assert_state_matches(cr_opt, t_opt):
    """Same state keys (in order), tensor dtypes, shapes and values; same group hyperparameters
    (torch's groups add only implementation switches such as foreach)."""
    cs, ts = cr_opt.state_dict(), t_opt.state_dict()
    assert list(cs["state"]) == list(ts["state"])
    for i, t_state in ts["state"].items():
        c_state = cs["state"][i]
        assert list(c_state) == list(t_state)
        for key, t_val in t_state.items():
            c_val = c_state[key]
            assert isinstance(c_val, cr.Tensor)
            assert c_val.dtype.name == str(t_val.dtype).removeprefix("torch.")
            np.testing.assert_allclose(c_val.numpy(), t_val.numpy(), rtol=0, atol=1e-10)
    for c_group, t_group in zip(cs["param_groups"], ts["param_groups"]):
        assert set(t_group) - set(c_group) <= TORCH_ONLY_GROUP_KEYS
        assert set(c_group) <= set(t_group)
        assert {k: t_group[k] for k in c_group} == c_group


def to_chainrule_state(t_state_dict):
    """A torch optimizer state_dict with its tensors turned into chainrule tensors."""
    return {"state": {i: {k: cr.tensor(v.numpy()) for k, v in s.items()}
                      for i, s in t_state_dict["state"].items()},
            "param_groups": t_state_dict["param_groups"]}


@pytest.mark.parametrize("name,kwargs", CONFIGS,
                         ids=[f"{n}-{'-'.join(k for k in kw if k != 'lr') or 'plain'}"
                              for n, kw in CONFIGS])
def test_trajectory_state_and_torch_state_dict(torch, name, kwargs):
    maximize = kwargs.get("maximize", False)
    cr_params, t_params = make_params(cr), make_params(torch)
    cr_opt = getattr(cr.optim, name)(cr_params, **kwargs)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    for _ in range(20):
        train(cr, cr_opt, cr_params, maximize, 1)
        train(torch, t_opt, t_params, maximize, 1)
        assert_params_close(cr_params, t_params)
    assert_state_matches(cr_opt, t_opt)

    # torch's state_dict (tensors converted) loads into a fresh chainrule optimizer
    fresh = [cr.tensor(t.detach().numpy().copy(), requires_grad=True) for t in t_params]
    loaded = getattr(cr.optim, name)(fresh, **kwargs)
    loaded.load_state_dict(to_chainrule_state(t_opt.state_dict()))
    train(cr, loaded, fresh, maximize, 5)
    train(torch, t_opt, t_params, maximize, 5)
    assert_params_close(fresh, t_params)


def test_param_groups_with_own_hyperparameters(torch):
    def groups(params):
        return [{"params": params[:2], "lr": 0.2, "momentum": 0.5},
                {"params": params[2:], "weight_decay": 0.1, "nesterov": True}]

    cr_params, t_params = make_params(cr), make_params(torch)
    cr_opt = cr.optim.SGD(groups(cr_params), lr=0.05, momentum=0.9)
    t_opt = torch.optim.SGD(groups(t_params), lr=0.05, momentum=0.9)
    assert [g["lr"] for g in cr_opt.param_groups] == [0.2, 0.05]
    assert [g["momentum"] for g in cr_opt.param_groups] == [0.5, 0.9]
    for _ in range(20):
        train(cr, cr_opt, cr_params, False, 1)
        train(torch, t_opt, t_params, False, 1)
        assert_params_close(cr_params, t_params)
    assert_state_matches(cr_opt, t_opt)


def test_adam_groups_added_later_follow_torch(torch):
    cr_params, t_params = make_params(cr), make_params(torch)
    cr_opt = cr.optim.Adam(cr_params[:2], lr=0.05)
    t_opt = torch.optim.Adam(t_params[:2], lr=0.05)
    train(cr, cr_opt, cr_params, False, 5)
    train(torch, t_opt, t_params, False, 5)
    cr_opt.add_param_group({"params": cr_params[2:], "lr": 0.01, "amsgrad": True})
    t_opt.add_param_group({"params": t_params[2:], "lr": 0.01, "amsgrad": True})
    train(cr, cr_opt, cr_params, False, 10)
    train(torch, t_opt, t_params, False, 10)
    assert_params_close(cr_params, t_params)
    assert_state_matches(cr_opt, t_opt)


def test_float32_parameters_and_state(torch):
    cr_params = [cr.tensor(a.astype(np.float32), requires_grad=True) for a in INIT]
    t_params = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in INIT]
    cr_opt = cr.optim.Adam(cr_params, lr=0.05, amsgrad=True, weight_decay=0.1)
    t_opt = torch.optim.Adam(t_params, lr=0.05, amsgrad=True, weight_decay=0.1)
    for lib, opt, params in ((cr, cr_opt, cr_params), (torch, t_opt, t_params)):
        for _ in range(10):
            opt.zero_grad()
            w1, b1, w2, b2 = params
            x, y = lib.tensor(X, dtype=lib.float32), lib.tensor(Y, dtype=lib.float32)
            ((lib.tanh(x @ w1.T + b1) @ w2.T + b2 - y) ** 2).mean().backward()
            opt.step()
    for c, t in zip(cr_params, t_params):
        assert c.dtype == cr.float32
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-5)
    state = cr_opt.state_dict()["state"][0]
    assert state["exp_avg"].dtype == cr.float32 and state["step"].dtype == cr.float32
