"""One exception tree for headwater. The CLI maps each class to a documented exit code.

Exit codes (also in README.md):
    0  success (everything passed / every failure traced)
    1  the thing checked failed (a contract violated, a failure left unknown)
    2  usage or configuration error (bad file, unknown node, bad option)
    3  could not evaluate (warehouse unreachable, a probe could not run)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNEVALUATED = 3


class HeadwaterError(Exception):
    """Root of headwater's errors: one line for the user, naming the item and what to do."""

    exit_code: int = EXIT_USAGE


class ConfigError(HeadwaterError):
    """Bad option, missing file, unknown node or expectation."""


class ArtifactError(HeadwaterError):
    """A dbt artifact (manifest, catalog, run_results) is missing, broken or of an unsupported version."""


class ContractError(HeadwaterError):
    """A contract file cannot be read or parsed."""


class WarehouseError(HeadwaterError):
    """The warehouse cannot be reached or a probe cannot run."""

    exit_code = EXIT_UNEVALUATED


class UnsafeQueryError(HeadwaterError):
    """headwater refused to send a statement that is not a read-only SELECT."""


def suggest(name: str, candidates: Iterable[str]) -> str:
    """Return ' Did you mean X?' for the closest candidate, or '' when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {matches[0]!r}?" if matches else ""
