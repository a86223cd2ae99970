"""Names as the report writes them for people: a node's short name, a cause's location, sentences with dbt
unique ids shortened."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater.trace.model import RootCause


def short(node: str) -> str:
    """`model.p.fct_orders` -> `fct_orders`; `source.p.shop.orders` -> `shop.orders`."""
    parts = node.split(".")
    return ".".join(parts[-2:]) if parts[0] == "source" else parts[-1]


# a dbt unique id inside a sentence ("referential → source.p.shop.customers.customer_id"): its resource type
# and project parts tell a reader nothing the short name does not
_UNIQUE_ID = re.compile(r"\b(?:source|model|seed|snapshot)\.\w+\.(?=\w)")


def readable(text: str) -> str:
    """A sentence for people: dbt unique ids shortened to the names the rest of the report uses."""
    return _UNIQUE_ID.sub("", text)


def location(cause: RootCause) -> str:
    return f"{cause.file}:{cause.line}" if cause.file and cause.line else (cause.file or cause.relation)
