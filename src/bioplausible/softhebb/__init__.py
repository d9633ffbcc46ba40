"""SoftHebb (Moraitis et al., Neuromorph. Comput. Eng. 2022): soft winner-take-all Hebbian layer.

- ``rules``: the paper's equations as pure tensor functions (Eq. 9 weights, Eq. 11 prior, soft-WTA
  activation) plus the two official-code stabilisers, each labelled as such.
- ``wta``: ``SoftWTA`` layer (normalises raw pixels inside forward), ``WTAConfig``, ``train_wta`` and the
  1-layer read-out metrics.

Catalog: ``shared/papers/softhebb.catalog.md`` (A.0-A.16).
"""

from .rules import (
    apply_soft_wta_update_,
    normalise_input,
    normalise_update,
    prior_update,
    prior_update_literal,
    radius_lr,
    soft_wta_activation,
    soft_wta_update,
)
from .wta import SoftWTA, WTAConfig, label_assignment_accuracy, lr_at, n_distinct_winners, train_wta, winners

__all__ = [
    "SoftWTA",
    "WTAConfig",
    "apply_soft_wta_update_",
    "label_assignment_accuracy",
    "lr_at",
    "n_distinct_winners",
    "normalise_input",
    "normalise_update",
    "prior_update",
    "prior_update_literal",
    "radius_lr",
    "soft_wta_activation",
    "soft_wta_update",
    "train_wta",
    "winners",
]
