"""``python -m chainrule ...``: the same as the ``chainrule`` command (see ``chainrule.cli``)."""
from .cli import main

raise SystemExit(main())
