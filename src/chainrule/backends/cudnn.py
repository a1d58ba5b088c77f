"""``torch.backends.cudnn``: flags kept for compatibility; chainrule has no cuDNN."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Whether cuDNN can be used: never, on chainrule's NumPy backend."""
    return False


def version() -> None:
    """cuDNN's version: None, as torch reports without cuDNN."""
    return None
