"""chainrule.rl: reinforcement learning on chainrule's autograd.

* ``ReplayBuffer`` (``buffer.py``): a NumPy ring buffer of transitions with seeded sampling;
* ``DQNAgent``, ``bellman_targets``, ``LinearSchedule`` (``dqn.py``): DQN with hard or soft
  target updates, Huber or MSE loss, gradient clipping and Double DQN;
* ``QLearning`` (``qlearning.py``): tabular Q-learning;
* ``make_env`` (``envs.py``): gymnasium tasks and MinAtar games behind one interface
  (gymnasium and minatar are imported only when an environment is made);
* ``plots.py``: return curves and the Q-table picture of a grid world.

The trainer behind ``chainrule train dqn|dqn-cnn|q-learning`` is ``chainrule.train_rl``.
"""
from .buffer import ReplayBuffer
from .dqn import DQNAgent, LinearSchedule, bellman_targets, minatar_q_network, mlp_q_network
from .envs import make_env
from .qlearning import QLearning

__all__ = ["ReplayBuffer", "DQNAgent", "LinearSchedule", "bellman_targets",
           "minatar_q_network", "mlp_q_network", "make_env", "QLearning"]
