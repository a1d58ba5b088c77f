"""Every op of chainrule, one module per family. Each differentiable op is a ``Function``
subclass (forward on arrays, backward in Tensor ops) plus a functional wrapper; many are also
Tensor methods (attached with ``@tensor_method``)."""
from . import elementwise, reduction, shape, compare, indexing, linalg, loss, conv, pool, rnn
from . import norm as normalization   # the module; ``norm`` below is the op (reduction.norm)

FAMILIES = [elementwise, reduction, shape, compare, indexing, linalg, loss, conv, pool,
            normalization, rnn]

__all__ = [n for fam in FAMILIES for n in fam.__all__]
for _fam in FAMILIES:   # after all imports: importing ops.norm bound the module to ``norm``
    globals().update({n: getattr(_fam, n) for n in _fam.__all__})
