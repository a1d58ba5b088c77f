"""Randomness: one seeded global generator plus explicit ``Generator`` objects (NumPy's PCG64).
Same seed, same results; the streams differ from torch's."""
from __future__ import annotations

from .backend import np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state"]


class Generator:
    """A random number generator: ``Generator().manual_seed(0)``."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self.rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The state as a uint8 tensor (JSON of the bit generator's state)."""
        import json
        from .tensor import Tensor
        blob = json.dumps(self.rng.bit_generator.state).encode()
        return Tensor._make(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, state) -> "Generator":
        import json
        raw = bytes(np.asarray(state._data if hasattr(state, "_data") else state,
                               dtype=np.uint8))
        self.rng.bit_generator.state = json.loads(raw.decode())
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None):
    """The NumPy generator to draw from (the global one unless ``generator`` is given)."""
    return (generator or default_generator).rng
