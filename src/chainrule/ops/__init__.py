"""Every op of chainrule, one module per family. Each differentiable op is a ``Function``
subclass (forward on arrays, backward in Tensor ops) plus a functional wrapper; many are also
Tensor methods (attached with ``@tensor_method``)."""
from . import elementwise, reduction, shape, compare
from .elementwise import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403

FAMILIES = [elementwise, reduction, shape, compare]

for _family_name in ("indexing", "linalg", "loss", "conv", "pool", "norm"):
    try:
        FAMILIES.append(__import__(f"{__name__}.{_family_name}", fromlist=["*"]))
    except ModuleNotFoundError as _e:  # a family not written yet
        if _e.name != f"{__name__}.{_family_name}":
            raise

__all__ = [n for fam in FAMILIES for n in fam.__all__]
for _fam in FAMILIES:  # all of them: importing ops.norm (a module) rebinds the op ``norm``
    globals().update({n: getattr(_fam, n) for n in _fam.__all__})
