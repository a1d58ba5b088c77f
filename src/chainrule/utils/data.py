"""``torch.utils.data``: the same objects as :mod:`chainrule.data` under torch's path::

    from chainrule.utils.data import DataLoader, TensorDataset
"""
from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
