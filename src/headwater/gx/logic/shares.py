"""Share-of-rows decisions: default-value collapse (most common value) and orphan keys.

>>> evaluate_mcv_share([(0.5, 80), (0.7, 20)], total=100, max_share=0.5).success
False
>>> evaluate_orphans(orphan_count=0, checked=100, sample=()).success
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class McvVerdict:
    success: bool
    value: Any
    count: int
    total: int
    share: float
    max_share: float

    @property
    def summary(self) -> str:
        return f"{self.value!r} is {self.share:.1%} of {self.total} rows (allowed < {self.max_share:.1%})"


@dataclass(frozen=True)
class OrphanVerdict:
    success: bool
    orphan_count: int  # rows whose key has no match
    checked: int  # non-null keys checked
    sample: tuple[Any, ...]  # a few distinct orphan keys
    mostly: float = 1.0

    @property
    def summary(self) -> str:
        shown = ", ".join(repr(v) for v in self.sample[:5])
        return f"{self.orphan_count} of {self.checked} rows have no match" + (
            f", e.g. {shown}" if shown else ""
        )


def evaluate_mcv_share(top: Sequence[tuple[Any, int]], total: int, max_share: float) -> McvVerdict:
    """The most common value (first of `top`, counts in the engine) must stay below `max_share` of `total`."""
    if not top or total <= 0:
        return McvVerdict(True, None, 0, total, 0.0, max_share)
    value, count = max(top, key=lambda vc: vc[1])
    share = count / total
    return McvVerdict(share < max_share, value, int(count), int(total), share, max_share)


def evaluate_orphans(
    orphan_count: int, checked: int, sample: Sequence[Any], mostly: float = 1.0
) -> OrphanVerdict:
    """Referential integrity holds when the share of matched keys is at least `mostly`."""
    matched = 1.0 if checked <= 0 else (checked - orphan_count) / checked
    return OrphanVerdict(matched >= mostly, int(orphan_count), int(checked), tuple(sample), mostly)
