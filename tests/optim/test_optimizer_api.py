"""The Optimizer API beyond the update rules: construction errors with torch's messages,
param groups, zero_grad, closure, state_dict round trips, version counters, no allocation in
the steady state."""
import copy
import tracemalloc
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim import SGD, Adam, AdamW, RMSprop, Adagrad, Optimizer

ALL_FULL_OPTIONS = [
    (SGD, {"lr": 0.01, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.1,
           "maximize": True}),
    (SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    (Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    (AdamW, {"lr": 0.01, "amsgrad": True}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1,
               "maximize": True}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1, "maximize": True}),
]
IDS = [f"{cls.__name__}{i}" for i, (cls, _) in enumerate(ALL_FULL_OPTIONS)]


def quadratic_params(seed=0):
    rng = np.random.default_rng(seed)
    return [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 4), (4,)]]


def quadratic_step(opt, params):
    """One step on sum((p - 1)**2 * (1 + p**2)) over the parameters (non-linear gradients),
    negated for an optimizer that maximizes."""
    opt.zero_grad()
    loss = sum(((p - 1) ** 2 * (1 + p * p)).sum() for p in params)
    (-loss if opt.param_groups[0]["maximize"] else loss).backward()
    opt.step()
    return loss


# ------------------------------------------------------------------ construction errors
def test_empty_parameter_list():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        SGD([], lr=0.1)


def test_a_tensor_is_not_an_iterable_of_params():
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got "
                                        "chainrule.FloatTensor"):
        SGD(cr.zeros(3, requires_grad=True), lr=0.1)


def test_params_must_be_tensors():
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the "
                                        "params is list"):
        SGD([[1.0, 2.0]], lr=0.1)


def test_non_leaf_tensor():
    x = cr.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        Adam([x * 2])


def test_non_leaf_that_retains_grad_is_allowed():
    x = cr.zeros(3, requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert SGD([y], lr=0.1).param_groups[0]["params"][0] is y


def test_parameter_in_two_groups():
    p, q = quadratic_params()
    opt = SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        opt.add_param_group({"params": [q, p]})
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": p}], lr=0.1)


def test_param_group_must_be_a_dict_and_params_not_a_set():
    p, q = quadratic_params()
    opt = SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got <class 'list'>"):
        opt.add_param_group([q])
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        opt.add_param_group({"params": {q}})


def test_duplicate_parameter_in_a_group_warns():
    p, _ = quadratic_params()
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([p, p], lr=0.1)


BAD_HYPERPARAMETERS = [
    (SGD, {"lr": -1}, "Invalid learning rate: -1"),
    (SGD, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    (SGD, {"weight_decay": -1e-2}, "Invalid weight_decay value: -0.01"),
    (SGD, {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    (Adam, {"lr": -1}, "Invalid learning rate: -1"),
    (Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    (Adam, {"betas": (1.0, 0.999)}, r"Invalid beta parameter at index 0: 1.0"),
    (Adam, {"betas": (0.9, -0.1)}, r"Invalid beta parameter at index 1: -0.1"),
    (Adam, {"betas": (0, 0.9)}, "betas must be either both floats or both Tensors"),
    (Adam, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (AdamW, {"lr": -0.5}, "Invalid learning rate: -0.5"),
    (RMSprop, {"lr": -1}, "Invalid learning rate: -1"),
    (RMSprop, {"eps": -1}, "Invalid epsilon value: -1"),
    (RMSprop, {"momentum": -1}, "Invalid momentum value: -1"),
    (RMSprop, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (RMSprop, {"alpha": -1}, "Invalid alpha value: -1"),
    (Adagrad, {"lr": -1}, "Invalid learning rate: -1"),
    (Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    (Adagrad, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (Adagrad, {"initial_accumulator_value": -1},
     "Invalid initial_accumulator_value value: -1"),
    (Adagrad, {"eps": -1}, "Invalid epsilon value: -1"),
]


@pytest.mark.parametrize("cls,kwargs,message", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters(cls, kwargs, message):
    with pytest.raises(ValueError) as info:
        cls(quadratic_params(), **kwargs)
    assert str(info.value) == message


def test_bad_hyperparameters_match_torch(torch):
    for cls, kwargs, message in BAD_HYPERPARAMETERS:
        with pytest.raises(ValueError) as info:
            getattr(torch.optim, cls.__name__)([torch.zeros(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


# ------------------------------------------------------------------ groups, repr, defaults
def test_defaults_fill_groups_and_repr():
    p, q = quadratic_params()
    opt = Adam([{"params": [p]}, {"params": [q], "lr": 0.5, "betas": (0.8, 0.9)}])
    g0, g1 = opt.param_groups
    assert g0["lr"] == 1e-3 and g0["betas"] == (0.9, 0.999) and g0["eps"] == 1e-8
    assert g1["lr"] == 0.5 and g1["betas"] == (0.8, 0.9)
    assert len(g0["params"]) == 1 and g0["params"][0] is p
    assert opt.defaults["amsgrad"] is False
    assert AdamW([p]).param_groups[0]["weight_decay"] == 1e-2
    assert AdamW([p]).param_groups[0]["decoupled_weight_decay"] is True
    text = repr(opt)
    assert text.startswith("Adam (\nParameter Group 0\n    amsgrad: False\n")
    assert "Parameter Group 1\n" in text and "    lr: 0.5\n" in text and text.endswith(")")


def test_a_single_tensor_group_and_generator_params():
    p, q = quadratic_params()
    opt = SGD((t for t in [p]), lr=0.1)
    opt.add_param_group({"params": q, "lr": 0.2})
    assert opt.param_groups[1]["params"][0] is q and opt.param_groups[1]["lr"] == 0.2


def test_base_class_step_is_abstract():
    p, _ = quadratic_params()
    p.grad = cr.ones(p.shape)
    opt = Optimizer([p], {"lr": 0.1})
    with pytest.raises(NotImplementedError, match="Optimizer does not implement"):
        opt.step()


# ------------------------------------------------------------------ zero_grad, step, closure
def test_zero_grad_sets_to_none_by_default():
    params = quadratic_params()
    opt = SGD(params, lr=0.1)
    quadratic_step(opt, params)
    assert all(p.grad is not None for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_set_to_none_false_zeroes_in_place():
    params = quadratic_params()
    opt = SGD(params, lr=0.1)
    quadratic_step(opt, params)
    grads = [p.grad for p in params]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(params, grads):
        assert p.grad is g and not g.requires_grad
        assert np.all(g.numpy() == 0)


def test_zero_grad_detaches_a_grad_with_history():
    p, _ = quadratic_params()
    (p ** 3).sum().backward(create_graph=True)
    assert p.grad.grad_fn is not None
    SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad.grad_fn is None and np.all(p.grad.numpy() == 0)


def test_parameters_without_grad_are_skipped():
    p, q = quadratic_params()
    q_before = q.detach().numpy().copy()
    opt = Adam([p, q], lr=0.1)
    (p ** 2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(q.detach().numpy(), q_before)
    assert q not in opt.state and p in opt.state


def test_step_updates_in_place_and_bumps_version():
    p, _ = quadratic_params()
    data = p._data
    opt = SGD([p], lr=0.1)
    (p ** 2).sum().backward()
    before = p._version
    opt.step()
    assert p._data is data and p._version == before + 1
    assert p.requires_grad and p.is_leaf


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    params = quadratic_params()
    opt = SGD(params, lr=0.01, momentum=0.9)
    calls = []

    def closure():
        opt.zero_grad()
        loss = sum(((p - 1) ** 2).sum() for p in params)
        loss.backward()
        calls.append(loss.item())
        return loss

    with cr.no_grad():
        losses = [opt.step(closure).item() for _ in range(5)]
    assert losses == calls and losses[-1] < losses[0]
    assert opt.step() is None


def test_step_does_not_record_a_graph():
    p, _ = quadratic_params()
    opt = Adam([p], lr=0.1)
    (p ** 2).sum().backward()
    opt.step()
    assert p.grad_fn is None
    assert all(v.grad_fn is None and not v.requires_grad for v in opt.state[p].values())


# ------------------------------------------------------------------ state_dict
@pytest.mark.parametrize("cls,kwargs", ALL_FULL_OPTIONS, ids=IDS)
def test_state_dict_round_trip_continues_identically(cls, kwargs):
    params = quadratic_params()
    opt = cls(params, **kwargs)
    for _ in range(5):
        quadratic_step(opt, params)
    saved = opt.state_dict()
    fresh_params = [cr.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    fresh = cls(fresh_params, lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    assert fresh.param_groups[0]["params"][0] is fresh_params[0]
    for _ in range(5):
        quadratic_step(opt, params)
        quadratic_step(fresh, fresh_params)
    for a, b in zip(params, fresh_params):
        assert np.all(np.isfinite(a.detach().numpy()))
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_state_dict_format():
    p, q = quadratic_params()
    opt = SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, momentum=0.9)
    quadratic_step(opt, [p, q])
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1] == {"lr": 0.5, "momentum": 0.9, "dampening": 0,
                                     "weight_decay": 0, "nesterov": False, "maximize": False,
                                     "params": [1]}
    assert list(sd["state"]) == [0, 1] and list(sd["state"][0]) == ["momentum_buffer"]
    assert sd["state"][0]["momentum_buffer"] is opt.state[p]["momentum_buffer"]
    assert SGD([p], lr=0.1).state_dict()["state"] == {}


def test_loaded_state_is_a_copy():
    params = quadratic_params()
    opt = Adam(params, lr=0.1)
    quadratic_step(opt, params)
    saved = copy.deepcopy(opt.state_dict())
    other = Adam(params, lr=0.1)
    other.load_state_dict(saved)
    assert other.state[params[0]]["exp_avg"] is not saved["state"][0]["exp_avg"]
    quadratic_step(other, params)
    np.testing.assert_array_equal(saved["state"][0]["step"].numpy(), 1.0)


def test_loaded_state_takes_the_parameter_dtype():
    p = cr.zeros(3, dtype=cr.float64, requires_grad=True)
    opt = Adam([p])
    opt.load_state_dict({"state": {0: {"step": cr.tensor(3.0), "exp_avg": cr.ones(3),
                                       "exp_avg_sq": cr.ones(3)}},
                         "param_groups": [dict(opt.state_dict()["param_groups"][0])]})
    state = opt.state[p]
    assert state["exp_avg"].dtype == cr.float64 and state["step"].dtype == cr.float32


def test_load_state_dict_structure_errors():
    p, q = quadratic_params()
    sd = SGD([p, q], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        SGD([p], lr=0.1).load_state_dict(sd)


def test_adagrad_state_exists_from_construction():
    p, q = quadratic_params()
    opt = Adagrad([p], initial_accumulator_value=0.25)
    assert list(opt.state[p]) == ["step", "sum"]
    assert opt.state[p]["step"].item() == 0.0
    assert np.all(opt.state[p]["sum"].numpy() == 0.25)
    opt.add_param_group({"params": [q], "initial_accumulator_value": 0.5})
    assert np.all(opt.state[q]["sum"].numpy() == 0.5)


def test_step_counter_dtype_follows_the_default_dtype():
    p = cr.zeros(2, dtype=cr.float64, requires_grad=True)
    p.grad = cr.ones(2, dtype=cr.float64)
    old = cr.get_default_dtype()
    try:
        cr.set_default_dtype(cr.float64)
        opt = RMSprop([p])
        opt.step()
    finally:
        cr.set_default_dtype(old)
    assert opt.state[p]["step"].dtype == cr.float64 and opt.state[p]["step"].item() == 1.0


# ------------------------------------------------------------------ performance contract
@pytest.mark.parametrize("cls,kwargs", ALL_FULL_OPTIONS, ids=IDS)
def test_steady_state_step_allocates_no_arrays(cls, kwargs):
    params = [cr.zeros(100, 200, dtype=cr.float64, requires_grad=True),
              cr.zeros(200, dtype=cr.float64, requires_grad=True)]
    for p in params:
        p.grad = cr.ones(p.shape, dtype=cr.float64)
    opt = cls(params, **kwargs)
    opt.step()
    opt.step()
    tracemalloc.start()
    try:
        opt.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 200, f"a step allocated {peak} bytes"


def test_no_warnings_in_a_normal_step():
    params = quadratic_params()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls, kwargs in ALL_FULL_OPTIONS:
            quadratic_step(cls(params, **kwargs), params)
