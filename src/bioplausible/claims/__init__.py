"""Claims registry (``workflow/claims/<paper>.yaml``) and the scoreboard (``paper_tables/claims.md``).

Paper values live only in the registry; measured values come only from ``results/metrics``.
"""

from .registry import Artifact, Claim, Registry, load_all, load_registry, RegistryError
from .evaluate import Verdict, VERDICTS, evaluate_claim, evaluate_all
from .scoreboard import write_scoreboard, artifact_index_markdown

__all__ = [
    "Artifact", "Claim", "Registry", "RegistryError", "load_all", "load_registry",
    "Verdict", "VERDICTS", "evaluate_claim", "evaluate_all", "write_scoreboard", "artifact_index_markdown",
]
