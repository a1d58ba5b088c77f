"""``torch.backends.cuda``: chainrule is not built with CUDA; the TF32 switch is a plain flag."""
from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False)


def is_built() -> bool:
    return False
