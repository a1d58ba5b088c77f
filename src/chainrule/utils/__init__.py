"""``torch.utils``'s place: ``chainrule.utils.data`` is :mod:`chainrule.data` (datasets,
samplers, DataLoader), so ``from torch.utils.data import DataLoader`` has a direct translation."""
from . import data
