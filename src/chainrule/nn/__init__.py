"""chainrule.nn: layers and losses (torch.nn's names). The functional forms live in
``chainrule.nn.functional``."""
from . import functional  # noqa: F401
