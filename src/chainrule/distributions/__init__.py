"""chainrule.distributions: torch.distributions' names and semantics for the families the
models use — Normal, Independent, Bernoulli, Categorical, OneHotCategorical,
(Exp)RelaxedOneHotCategorical — and kl_divergence with its register_kl registry.

Samples come from chainrule's global generator (``chainrule.manual_seed``); ``sample`` runs
without gradient, ``rsample`` is reparameterised (gradients reach the parameters)."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal
from .relaxed import ExpRelaxedCategorical, RelaxedOneHotCategorical

__all__ = ["Distribution", "Normal", "Independent", "Bernoulli", "Categorical",
           "OneHotCategorical", "ExpRelaxedCategorical", "RelaxedOneHotCategorical",
           "kl_divergence", "register_kl", "constraints"]
