"""Learning-rate schedulers: each one's lr sequence (and momentum, for OneCycleLR) equals
torch's exactly over 35 steps with two param groups, state_dict round trips continue
identically, ReduceLROnPlateau follows a scripted metric sequence, and bad arguments raise
torch's errors."""
import warnings

import pytest

import chainrule as cr
from chainrule.optim import SGD, Adam, Adagrad, lr_scheduler as sch


class Decay:
    """A callable object: LambdaLR saves its attributes in state_dict."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** epoch


def _half_every_five(epoch):
    return 0.5 ** (epoch // 5)


SCHEDULERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [3, 10, 10, 25], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95 ** e}),
    ("LambdaLR", {"lr_lambda": [_half_every_five, Decay(0.9)]}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 10}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "total_steps": 35}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 40, "anneal_strategy": "linear",
                    "pct_start": 0.25}),
    ("OneCycleLR", {"max_lr": 0.3, "epochs": 5, "steps_per_epoch": 8, "three_phase": True,
                    "base_momentum": [0.8, 0.7], "max_momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 36, "cycle_momentum": False,
                    "div_factor": 10.0, "final_div_factor": 100.0}),
]
IDS = [f"{name}{i}" for i, (name, _) in enumerate(SCHEDULERS)]


def two_group_optimizer(lib, opt_name="SGD", **kwargs):
    params = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.02}]
    return getattr(lib.optim, opt_name)(groups, **kwargs)


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


def record(opt, sched):
    return (list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
            [momentum_of(g) for g in opt.param_groups])


def run(opt, sched, steps):
    seq = []
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append(record(opt, sched))
    return seq


def build(lib, name, kwargs, opt_name="SGD", **opt_kwargs):
    opt = two_group_optimizer(lib, opt_name, **opt_kwargs)
    return opt, getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=IDS)
def test_sequence_equals_torch(torch, name, kwargs):
    cr_opt, cr_s = build(cr, name, kwargs, momentum=0.9)
    t_opt, t_s = build(torch, name, kwargs, momentum=0.9)
    assert record(cr_opt, cr_s) == record(t_opt, t_s)
    assert run(cr_opt, cr_s, 35) == run(t_opt, t_s, 35)
    assert cr_s.last_epoch == t_s.last_epoch == 35
    assert cr_s.base_lrs == t_s.base_lrs


@pytest.mark.parametrize("kwargs", [
    {"max_lr": 0.01, "total_steps": 35},
    {"max_lr": [0.01, 0.02], "total_steps": 35, "three_phase": True, "anneal_strategy": "linear",
     "base_momentum": 0.5, "max_momentum": [0.9, 0.8]},
])
def test_one_cycle_cycles_adam_beta1(torch, kwargs):
    cr_opt, cr_s = build(cr, "OneCycleLR", kwargs, "Adam", betas=(0.9, 0.99))
    t_opt, t_s = build(torch, "OneCycleLR", kwargs, "Adam", betas=(0.9, 0.99))
    cr_seq, t_seq = run(cr_opt, cr_s, 35), run(t_opt, t_s, 35)
    assert cr_seq == t_seq
    assert len({m for _, _, ms in cr_seq for m in ms}) > 10
    assert [g["betas"] for g in cr_opt.param_groups] == [g["betas"] for g in t_opt.param_groups]
    assert all(g["betas"][1] == 0.99 for g in cr_opt.param_groups)


def test_one_cycle_rejects_stepping_past_total_steps():
    opt, s = build(cr, "OneCycleLR", {"max_lr": 0.1, "total_steps": 3})
    run(opt, s, 3)
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        s.step()


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=IDS)
def test_state_dict_round_trip(name, kwargs):
    opt, s = build(cr, name, kwargs, momentum=0.9)
    run(opt, s, 10)
    opt_state, sched_state = opt.state_dict(), s.state_dict()
    assert "optimizer" not in sched_state and sched_state["last_epoch"] == 10
    opt2, s2 = build(cr, name, kwargs, momentum=0.9)
    opt2.load_state_dict(opt_state)
    s2.load_state_dict(sched_state)
    assert run(opt, s, 20) == run(opt2, s2, 20)


def test_lambda_state_dict_keeps_callable_objects_not_functions():
    opt = two_group_optimizer(cr)
    s = sch.LambdaLR(opt, [_half_every_five, Decay(0.8)])
    state = s.state_dict()
    assert state["lr_lambdas"] == [None, {"rate": 0.8}]
    other = sch.LambdaLR(two_group_optimizer(cr), [_half_every_five, Decay(0.5)])
    other.load_state_dict(state)
    assert other.lr_lambdas[1].rate == 0.8 and state["lr_lambdas"] == [None, {"rate": 0.8}]


def test_state_dict_matches_torch_keys(torch):
    for name, kwargs in SCHEDULERS:
        if name == "LambdaLR":
            continue
        _, cr_s = build(cr, name, kwargs, momentum=0.9)
        _, t_s = build(torch, name, kwargs, momentum=0.9)
        assert set(cr_s.state_dict()) <= set(t_s.state_dict()), name
        for key, value in cr_s.state_dict().items():
            assert value == t_s.state_dict()[key], (name, key)


DEPRECATED_EPOCH = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5]}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}),
    ("LinearLR", {"total_iters": 4}),
    ("LambdaLR", {"lr_lambda": _half_every_five}),
]


@pytest.mark.parametrize("name,kwargs", DEPRECATED_EPOCH, ids=[n for n, _ in DEPRECATED_EPOCH])
def test_step_with_epoch_uses_the_closed_form(torch, name, kwargs):
    cr_opt, cr_s = build(cr, name, kwargs)
    t_opt, t_s = build(torch, name, kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 20, 4]:
            with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
                cr_s.step(epoch)
            t_s.step(epoch)
            assert cr_s.last_epoch == epoch
            assert record(cr_opt, cr_s) == record(t_opt, t_s)


# ------------------------------------------------------------------ ReduceLROnPlateau
METRICS = [1.0, 0.9, 0.9, 0.95, 0.89995, 0.8, 0.8, 0.81, 0.82, 0.7, 0.7, 0.7, 0.7, 0.69999,
           0.71, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.3, 0.3]
PLATEAU = [
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "factor": 0.5, "cooldown": 2},
    {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.01, 0.005]},
    {"mode": "max", "patience": 2, "factor": 0.3},
    {"mode": "max", "patience": 1, "threshold": 0.02, "threshold_mode": "abs", "cooldown": 1},
    {"patience": 0, "factor": 0.9, "eps": 0.005},
]


def plateau_trace(opt, s, metrics):
    trace = []
    for m in metrics:
        s.step(m)
        trace.append((list(s.get_last_lr()), s.best, s.num_bad_epochs, s.cooldown_counter,
                      s.last_epoch))
    return trace


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_plateau_follows_torch_on_a_scripted_metric(torch, kwargs):
    cr_opt, cr_s = build(cr, "ReduceLROnPlateau", kwargs)
    t_opt, t_s = build(torch, "ReduceLROnPlateau", kwargs)
    cr_trace = plateau_trace(cr_opt, cr_s, METRICS)
    assert cr_trace == plateau_trace(t_opt, t_s, METRICS)
    assert cr_trace[-1][0] != [0.1, 0.02]


def test_plateau_reduces_after_patience_runs_out():
    opt = two_group_optimizer(cr)
    s = sch.ReduceLROnPlateau(opt, patience=1, factor=0.5, min_lr=0.04)
    lrs = []
    for m in [1.0, 1.0, 1.0, 1.0, 1.0, cr.tensor(0.5)]:
        s.step(m)
        lrs.append(s.get_last_lr())
    assert lrs == [[0.1, 0.02]] * 2 + [[0.05, 0.02]] * 2 + [[0.04, 0.02]] * 2


def test_plateau_state_dict_round_trip():
    opt, s = build(cr, "ReduceLROnPlateau", {"patience": 1, "cooldown": 1, "mode": "max"})
    plateau_trace(opt, s, METRICS[:12])
    opt2, s2 = build(cr, "ReduceLROnPlateau", {})
    opt2.load_state_dict(opt.state_dict())
    s2.load_state_dict(s.state_dict())
    assert s2.mode == "max" and s2.mode_worse == float("-inf")
    assert plateau_trace(opt, s, METRICS[12:]) == plateau_trace(opt2, s2, METRICS[12:])


def test_plateau_with_a_group_added_later():
    opt = two_group_optimizer(cr)
    s = sch.ReduceLROnPlateau(opt, patience=0, min_lr=0.001)
    opt.add_param_group({"params": [cr.zeros(1, requires_grad=True)], "lr": 0.5})
    s.step(1.0)
    s.step(2.0)
    assert s.get_last_lr() == pytest.approx([0.01, 0.002, 0.05])
    fixed = two_group_optimizer(cr)
    s = sch.ReduceLROnPlateau(fixed, patience=0, min_lr=[0.0, 0.0])
    fixed.add_param_group({"params": [cr.zeros(1, requires_grad=True)], "lr": 0.5})
    s.step(1.0)
    with pytest.raises(RuntimeError, match=r"differs from when `ReduceLROnPlateau` was "
                                           r"initialized \(2\)"):
        s.step(2.0)


# ------------------------------------------------------------------ other behaviour
def test_resuming_needs_initial_lr_and_continues_from_it():
    opt = two_group_optimizer(cr)
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in "
                                       r"param_groups\[0\]"):
        sch.StepLR(opt, step_size=2, last_epoch=4)
    s = sch.ExponentialLR(opt, gamma=0.5)
    run(opt, s, 3)
    resumed = sch.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert resumed.last_epoch == 4 and resumed.get_last_lr() == [0.0125, 0.0025]
    assert resumed.base_lrs == [0.1, 0.02]


def test_schedulers_compose_on_one_optimizer(torch):
    def two(lib):
        opt = two_group_optimizer(lib)
        return opt, [lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4),
                     lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)]

    (cr_opt, cr_ss), (t_opt, t_ss) = two(cr), two(torch)
    for _ in range(10):
        for opt, ss in ((cr_opt, cr_ss), (t_opt, t_ss)):
            opt.step()
            for s in ss:
                s.step()
        assert [g["lr"] for g in cr_opt.param_groups] == [g["lr"] for g in t_opt.param_groups]


# ------------------------------------------------------------------ errors
def test_scheduler_needs_an_optimizer():
    for make in (lambda o: sch.StepLR(o, 3), lambda o: sch.LambdaLR(o, abs),
                 lambda o: sch.OneCycleLR(o, 0.1, 10), lambda o: sch.ReduceLROnPlateau(o)):
        with pytest.raises(TypeError, match="list is not an Optimizer"):
            make([])


def test_base_get_lr_is_abstract():
    with pytest.raises(NotImplementedError, match="LRScheduler does not implement get_lr"):
        sch.LRScheduler(two_group_optimizer(cr))


@pytest.mark.parametrize("make,exc,message", [
    (lambda o: sch.LambdaLR(o, [abs]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda o: sch.LinearLR(o, start_factor=0), ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    (lambda o: sch.LinearLR(o, end_factor=1.5), ValueError,
     "Ending multiplicative factor expected to be between 0 and 1."),
    (lambda o: sch.OneCycleLR(o, 0.1), ValueError,
     r"You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda o: sch.OneCycleLR(o, 0.1, total_steps=0), ValueError,
     "Expected positive integer total_steps, but got 0"),
    (lambda o: sch.OneCycleLR(o, 0.1, epochs=2.5, steps_per_epoch=3), ValueError,
     "Expected positive integer epochs, but got 2.5"),
    (lambda o: sch.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=-1), ValueError,
     "Expected positive integer steps_per_epoch, but got -1"),
    (lambda o: sch.OneCycleLR(o, 0.1, 10, pct_start=1), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1"),
    (lambda o: sch.OneCycleLR(o, 0.1, 10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda o: sch.OneCycleLR(o, [0.1, 0.2, 0.3], 10), ValueError,
     "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, "
     "param_groups has 2."),
    (lambda o: sch.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda o: sch.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown!"),
    (lambda o: sch.ReduceLROnPlateau(o, threshold_mode="x"), ValueError,
     "threshold mode x is unknown!"),
    (lambda o: sch.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
])
def test_bad_arguments(make, exc, message):
    with pytest.raises(exc) as info:
        make(two_group_optimizer(cr))
    assert str(info.value) == message


def test_one_cycle_momentum_needs_an_optimizer_with_momentum(torch):
    message = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
    for lib in (cr, torch):
        with pytest.raises(ValueError) as info:
            lib.optim.lr_scheduler.OneCycleLR(two_group_optimizer(lib, "Adagrad"), 0.1, 10)
        assert str(info.value) == message
    s = sch.OneCycleLR(Adagrad([cr.zeros(1, requires_grad=True)]), 0.1, 10,
                       cycle_momentum=False)
    assert s.get_last_lr() == pytest.approx([0.1 / 25])


def test_error_messages_match_torch(torch):
    for make_cr, make_t in [
        (lambda o: sch.LinearLR(o, start_factor=0),
         lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0)),
        (lambda o: sch.OneCycleLR(o, 0.1, 10, pct_start=1),
         lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.1, 10, pct_start=1)),
        (lambda o: sch.ReduceLROnPlateau(o, min_lr=[0.1]),
         lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1])),
    ]:
        with pytest.raises(ValueError) as cr_info:
            make_cr(two_group_optimizer(cr))
        with pytest.raises(ValueError) as t_info:
            make_t(two_group_optimizer(torch))
        assert str(cr_info.value) == str(t_info.value)


def test_adam_and_sgd_are_importable_from_the_package():
    assert cr.optim.lr_scheduler is sch
    assert isinstance(Adam([cr.zeros(1, requires_grad=True)]), cr.optim.Optimizer)
    assert SGD.__module__ == "chainrule.optim.sgd"
