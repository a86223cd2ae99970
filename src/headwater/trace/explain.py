"""`Tracer.explain(node, check)`: the tracer as a library call, for other stages (the gate) that already hold
the artifacts, the lineage and an open warehouse connection. One Tracer per run caches the checks it re-ran,
so several questions on one warehouse cost each probe once.

    >>> tracer = Tracer(artifacts, lineage, warehouse)                                        # doctest: +SKIP
    >>> tracer.explain(UniqueId("model.shop.fct_orders"), NotNull("customer_region")).causes  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from headwater.trace.model import Explanation

if TYPE_CHECKING:
    from headwater.dbt import Artifacts, UniqueId
    from headwater.lineage import LineageGraph
    from headwater.trace.checks import Check
    from headwater.trace.measures import Outcome
    from headwater.warehouse import Warehouse


@dataclass
class Tracer:
    artifacts: Artifacts
    lineage: LineageGraph
    warehouse: Warehouse
    as_of: datetime | None = None
    _outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict, repr=False)

    def explain(self, node: UniqueId, check: Check) -> Explanation:
        """The check re-run on `node` and, when it fails there, its root causes upstream (ranked)."""
        from headwater.trace.api import rank
        from headwater.trace.context import Context
        from headwater.trace.engine import Walk

        ctx = Context(self.artifacts, self.lineage, self.warehouse, self.as_of, outcomes=self._outcomes)
        walk = Walk(ctx)
        target = ctx.node(node)
        outcome = walk.check(target, check, "failure")
        causes = walk.causes(target, check, outcome) if outcome.failed else []
        return Explanation(
            outcome.failed,
            outcome.failing,
            outcome.observed or outcome.error,
            tuple(rank(causes, outcome.failing)),
            tuple(walk.path),
        )
