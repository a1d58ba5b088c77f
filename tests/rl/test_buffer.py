"""ReplayBuffer: ring wrap-around, seeded uniform sampling, terminal vs truncated, state."""
import numpy as np
import pytest

from chainrule.rl.buffer import ReplayBuffer
from chainrule.rl.dqn import bellman_targets


def fill(buf, n, start=0):
    for i in range(start, start + n):
        buf.add(np.full(2, i, np.float32), i % 3, float(i), np.full(2, i + 0.5, np.float32),
                terminated=(i % 4 == 3), truncated=(i % 5 == 4))


def test_wraps_around_and_overwrites_the_oldest():
    buf = ReplayBuffer(3, (2,))
    fill(buf, 2)
    assert (len(buf), buf.pos) == (2, 2)
    fill(buf, 3, start=2)                  # transitions 0..4 into 3 slots
    assert (len(buf), buf.pos, buf.added) == (3, 2, 5)
    assert buf.rewards.tolist() == [3.0, 4.0, 2.0]     # slot i holds transition i mod 3
    assert buf.obs[:, 0].tolist() == [3.0, 4.0, 2.0]
    assert buf.next_obs[:, 0].tolist() == [3.5, 4.5, 2.5]
    assert buf.actions.tolist() == [0, 1, 2]
    assert buf.terminated.tolist() == [True, False, False]
    assert buf.truncated.tolist() == [False, True, False]
    latest = buf.latest(3)
    assert latest["rewards"].tolist() == [2.0, 3.0, 4.0]   # oldest first
    assert buf.latest(2)["rewards"].tolist() == [3.0, 4.0]
    assert buf.latest(10)["rewards"].tolist() == [2.0, 3.0, 4.0]


def test_sampling_is_seeded_and_uniform_over_stored_slots():
    a, b, c = ReplayBuffer(50, (2,), seed=7), ReplayBuffer(50, (2,), seed=7), \
        ReplayBuffer(50, (2,), seed=8)
    for buf in (a, b, c):
        fill(buf, 20)
    sa, sb, sc = a.sample(64), b.sample(64), c.sample(64)
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key])
    assert not np.array_equal(sa["rewards"], sc["rewards"])
    # consistent rows, only the 20 stored transitions
    np.testing.assert_array_equal(sa["obs"][:, 0], sa["rewards"])
    np.testing.assert_array_equal(sa["next_obs"][:, 0], sa["rewards"] + 0.5)
    counts = np.bincount(a.sample(20_000)["rewards"].astype(int), minlength=20)
    assert len(counts) == 20 and counts.min() > 800 and counts.max() < 1200   # ~1000 each


def test_empty_buffer_and_bad_shapes_raise():
    buf = ReplayBuffer(4, (2,))
    with pytest.raises(RuntimeError, match="empty"):
        buf.sample(1)
    with pytest.raises(RuntimeError, match="empty"):
        buf.latest(1)
    with pytest.raises(ValueError, match="shape"):
        buf.add(np.zeros(3), 0, 0.0, np.zeros(3), False, False)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0)


def test_terminal_stops_bootstrapping_truncated_does_not():
    buf = ReplayBuffer(4, (1,), seed=0)
    buf.add(np.zeros(1), 0, 1.0, np.ones(1), terminated=True, truncated=False)
    buf.add(np.zeros(1), 0, 1.0, np.ones(1), terminated=False, truncated=True)
    batch = buf.latest(2)
    y = bellman_targets(batch["rewards"], batch["terminated"], np.array([[2.0], [2.0]]), 0.5)
    assert y.tolist() == [1.0, 2.0]      # 1 + 0.5 * 0 * 2 and 1 + 0.5 * 1 * 2


def test_state_dict_round_trip_through_save(tmp_path):
    import chainrule

    a = ReplayBuffer(8, (2,), seed=3)
    fill(a, 11)
    a.sample(5)
    chainrule.save(a.state_dict(), tmp_path / "buf.safetensors")
    b = ReplayBuffer(8, (2,), seed=99)
    b.load_state_dict(chainrule.load(tmp_path / "buf.safetensors"))
    assert (b.pos, b.size, b.added) == (a.pos, a.size, a.added)
    sa, sb = a.sample(16), b.sample(16)
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key])
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(4, (2,)).load_state_dict(a.state_dict())
