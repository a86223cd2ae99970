"""Share-of-rows decisions: the `mostly` rule of row-level checks, default-value collapse (most common
value) and orphan keys.

>>> ratio_passes(unexpected=5, considered=100, mostly=0.95), ratio_passes(6, 100, 0.95)
(True, False)
>>> ratio_passes(0, 0, 1.0)  # nothing to check: vacuously true, as GX says
True
>>> evaluate_mcv_share([(0.5, 80), (0.7, 20)], total=100, max_share=0.5).success
False
>>> evaluate_orphans(orphan_count=0, checked=100, sample=()).success
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def ratio_passes(unexpected: int, considered: int, mostly: float = 1.0) -> bool:
    """GX's `mostly`: at least `mostly` of the `considered` rows are as expected. For a column map
    check the considered rows are the non-NULL ones (all rows for not_null). No rows: passes."""
    if considered <= 0 or unexpected <= 0:
        return True
    return (float(considered) - float(unexpected)) / float(considered) >= mostly


@dataclass(frozen=True)
class McvVerdict:
    success: bool
    value: Any
    count: int
    total: int  # non-NULL rows
    share: float
    max_share: float

    @property
    def summary(self) -> str:
        return f"{self.value!r} is {self.share:.1%} of {self.total} rows (allowed < {self.max_share:.1%})"


@dataclass(frozen=True)
class OrphanVerdict:
    success: bool
    orphan_count: int  # rows whose key has no match
    checked: int  # rows with a non-NULL key
    sample: tuple[Any, ...]  # a few distinct orphan keys
    mostly: float = 1.0

    @property
    def summary(self) -> str:
        shown = ", ".join(repr(v) for v in self.sample[:5])
        return f"{self.orphan_count} of {self.checked} rows have no match" + (
            f", e.g. {shown}" if shown else ""
        )


def evaluate_mcv_share(top: Sequence[tuple[Any, int]], total: int, max_share: float) -> McvVerdict:
    """The most common non-NULL value (the largest count of `top`) must stay below `max_share` of the
    `total` non-NULL rows."""
    if not top or total <= 0:
        return McvVerdict(True, None, 0, total, 0.0, max_share)
    value, count = max(top, key=lambda vc: vc[1])
    share = count / total
    return McvVerdict(share < max_share, value, int(count), int(total), share, max_share)


def evaluate_orphans(
    orphan_count: int, checked: int, sample: Sequence[Any], mostly: float = 1.0
) -> OrphanVerdict:
    """Referential integrity holds when the share of matched keys is at least `mostly`."""
    success = ratio_passes(orphan_count, checked, mostly)
    return OrphanVerdict(success, int(orphan_count), int(checked), tuple(sample), mostly)
