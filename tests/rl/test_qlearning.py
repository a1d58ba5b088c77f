"""Tabular Q-learning: the update by hand, and the optimal return on deterministic FrozenLake."""
import pytest

from chainrule.rl.qlearning import QLearning


def test_update_by_hand():
    agent = QLearning(3, 2, alpha=0.5, gamma=0.9)
    agent.q[2] = [1.0, 4.0]
    err = agent.update(0, 1, 1.0, 2, terminated=False)     # target 1 + 0.9 * 4 = 4.6
    assert err == pytest.approx(4.6) and agent.q[0, 1] == pytest.approx(2.3)
    err = agent.update(0, 1, 1.0, 2, terminated=True)      # target 1
    assert err == pytest.approx(-1.3) and agent.q[0, 1] == pytest.approx(1.65)
    assert agent.greedy_policy().tolist() == [1, 0, 1]


def test_ties_are_broken_at_random_and_bad_options_raise():
    agent = QLearning(1, 4, seed=0)
    assert set(agent.greedy(0) for _ in range(200)) == {0, 1, 2, 3}
    agent.q[0, 2] = 1.0
    assert {agent.act(0, 0.0) for _ in range(50)} == {2}
    with pytest.raises(ValueError, match="alpha"):
        QLearning(2, 2, alpha=0.0)
    with pytest.raises(ValueError, match="gamma"):
        QLearning(2, 2, gamma=1.5)


def test_q_learning_solves_deterministic_frozenlake(tmp_path):
    pytest.importorskip("gymnasium")
    from chainrule.train_rl import RLConfig, RLTrainer

    config = RLConfig("q-learning", "FrozenLake-v1", {"is_slippery": False}, steps=20_000,
                      seed=0, out=str(tmp_path))
    result = RLTrainer(config).fit()
    assert result["mean_return_100"] == 1.0 and result["env_steps"] == 20_000
    # the shortest path from S to G takes 6 moves, so V*(S) = gamma^5 (reward 1 at the end)
    import chainrule
    q = chainrule.load(tmp_path / "checkpoint.safetensors")["agent"]["q"]
    q = q.numpy() if hasattr(q, "numpy") else q
    assert q.max(axis=1)[0] == pytest.approx(0.99 ** 5, abs=1e-3)   # V*(S) = gamma^5
    assert (tmp_path / "qtable.png").stat().st_size > 1000
    assert (tmp_path / "returns.png").exists()
