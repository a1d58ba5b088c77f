"""``torch.backends``' switches, for code that sets them the usual way::

    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    device = "mps" if torch.backends.mps.is_available() else "cpu"

chainrule computes on NumPy (CuPy later): there is no cuDNN, MPS or TF32 here, so the flags are
plain attributes that keep what is assigned and change nothing, and the queries answer False.
(``chainrule.backend``, singular, is the internal array backend; this is torch's namespace.)
"""
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
