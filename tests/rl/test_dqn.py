"""DQN pieces: Bellman targets against a hand-computed batch, target updates, schedule."""
import numpy as np
import pytest

import chainrule
from chainrule.rl.dqn import DQNAgent, LinearSchedule, bellman_targets, minatar_q_network, \
    mlp_q_network

REWARDS = np.array([1.0, 0.0, -1.0, 2.0])
TERMINATED = np.array([False, True, False, False])
NEXT_Q_TARGET = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, -1.0], [0.0, 0.5]])
NEXT_Q_ONLINE = np.array([[3.0, 1.0], [0.0, 1.0], [0.0, 2.0], [1.0, 0.0]])


def test_bellman_targets_by_hand():
    y = bellman_targets(REWARDS, TERMINATED, NEXT_Q_TARGET, gamma=0.9)
    # r + 0.9 (1 - done) max_a' Q_target: 1 + 0.9*2, 0 (terminal), -1 + 0.9*5, 2 + 0.9*0.5
    np.testing.assert_allclose(y, [2.8, 0.0, 3.5, 2.45], rtol=1e-6)
    assert y.dtype == np.float32


def test_double_dqn_targets_by_hand():
    y = bellman_targets(REWARDS, TERMINATED, NEXT_Q_TARGET, gamma=0.9,
                        next_q_online=NEXT_Q_ONLINE)
    # argmax online = [0, 1, 1, 0]; Q_target there = [1, 4, -1, 0]
    np.testing.assert_allclose(y, [1.9, 0.0, -1.9, 2.0], rtol=1e-6)


def test_bellman_targets_reject_bad_shapes():
    with pytest.raises(ValueError, match="next_q_target"):
        bellman_targets(REWARDS, TERMINATED, NEXT_Q_TARGET[:3], 0.9)
    with pytest.raises(ValueError, match="next_q_online"):
        bellman_targets(REWARDS, TERMINATED, NEXT_Q_TARGET, 0.9, NEXT_Q_ONLINE[:, :1])


def make_agent(**kwargs):
    chainrule.manual_seed(0)
    return DQNAgent(mlp_q_network(3, 2, (8,)), 2, lr=1e-2, gamma=0.9, **kwargs)


def batch(seed=0, n=16):
    rng = np.random.default_rng(seed)
    return {"obs": rng.normal(size=(n, 3)).astype(np.float32),
            "next_obs": rng.normal(size=(n, 3)).astype(np.float32),
            "actions": rng.integers(0, 2, n), "rewards": rng.normal(size=n).astype(np.float32),
            "terminated": rng.random(n) < 0.3, "truncated": np.zeros(n, bool)}


@pytest.mark.parametrize("double", [False, True])
@pytest.mark.parametrize("target_network", [True, False])
def test_agent_targets_use_the_right_networks(double, target_network):
    agent = make_agent(double=double, target_network=target_network)
    agent.update(batch(1))                      # online and target now differ
    b = batch(2)
    target_net = agent.target if target_network else agent.online
    q_t = agent.q_values(b["next_obs"], target_net)
    q_o = agent.q_values(b["next_obs"])
    if target_network:
        assert not np.allclose(q_t, q_o)
    best = q_o.argmax(1) if double else q_t.argmax(1)
    expected = b["rewards"] + 0.9 * (1 - b["terminated"]) * q_t[np.arange(16), best]
    np.testing.assert_allclose(agent.targets(b), expected, rtol=1e-5, atol=1e-6)


def test_update_reduces_the_td_loss_on_a_fixed_batch():
    agent = make_agent(loss="mse")
    b = batch(3)
    losses = [agent.update(b) for _ in range(50)]
    assert losses[-1] < 0.5 * losses[0]
    assert agent.updates == 50


def params(module):
    return [p.detach().numpy().copy() for p in module.parameters()]


def test_hard_target_update_copies():
    agent = make_agent(tau=1.0)
    before = params(agent.target)
    agent.update(batch(4))
    assert all(np.array_equal(a, b) for a, b in zip(before, params(agent.target)))
    assert not all(np.array_equal(a, b) for a, b in zip(before, params(agent.online)))
    agent.update_target()
    for a, b in zip(params(agent.online), params(agent.target)):
        np.testing.assert_array_equal(a, b)


def test_soft_target_update_averages():
    agent = make_agent(tau=0.25)
    agent.update(batch(5))
    old, online = params(agent.target), params(agent.online)
    agent.update_target()
    for o, t, new in zip(online, old, params(agent.target)):
        np.testing.assert_allclose(new, 0.25 * o + 0.75 * t, rtol=1e-6, atol=1e-7)


def test_epsilon_greedy_extremes_and_bad_options():
    agent = make_agent()
    obs = np.array([0.5, -1.0, 2.0], np.float32)
    greedy = int(agent.greedy(obs[None])[0])
    assert all(agent.act(obs, 0.0) == greedy for _ in range(20))
    actions = [agent.act(obs, 1.0) for _ in range(400)]
    assert 150 < sum(actions) < 250                     # uniform over two actions
    with pytest.raises(ValueError, match="loss"):
        make_agent(loss="l1")
    with pytest.raises(ValueError, match="tau"):
        make_agent(tau=0.0)


def test_linear_schedule():
    s = LinearSchedule(1.0, 0.1, 100)
    assert [s(0), s(50), s(100), s(1000)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    assert LinearSchedule(1.0, 0.2, 0)(0) == 0.2
    with pytest.raises(ValueError, match="duration"):
        LinearSchedule(1.0, 0.1, -1)


def test_minatar_network_shape():
    net = minatar_q_network(4, 3)
    out = net(chainrule.zeros(5, 4, 10, 10))
    assert tuple(out.shape) == (5, 3)
    assert sum(p.numel() for p in net.parameters()) == (4 * 9 * 16 + 16) + (1024 * 128 + 128) \
        + (128 * 3 + 3)
