"""Package attributes imported on first use (PEP 562), so that importing one light submodule of a package
(e.g. `headwater.lineage.memo` for a warm `lineage --stats`) does not import the whole package."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `name` from the submodule `where[name]` names, once."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value  # next time found without this hook
        return value

    return __getattr__
