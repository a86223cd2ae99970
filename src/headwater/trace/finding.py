"""The vocabulary between the engine (`headwater.trace.engine`) and its rules (`headwater.trace.rules`).

The engine asks each rule of `RULES`, in order, about one `Question`: a check that fails on a node. A rule
answers None ("not mine: ask the next rule") or a `Finding`: root causes it diagnosed there, and `Ascend`
steps for the engine to follow (another node or another check whose failure explains this one). Rules never
recurse: the engine follows every `Ascend`, and owns the depth, the visited questions, the shares and the path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from headwater.dbt import Node
from headwater.trace.checks import Check
from headwater.trace.context import Context
from headwater.trace.measures import Outcome
from headwater.trace.model import PathStep, RootCause


@dataclass(frozen=True)
class Question:
    """`check` fails on `node` (evaluated there as `outcome`); `share` of the whole failure rides on it."""

    node: Node
    check: Check
    outcome: Outcome
    share: float = 1.0
    via: str = "failure"  # how the walk got here: "failure" (the failing node), an edge kind, a rule's reason
    below: str = ""  # the column, one step down the path, whose failure this one explains ("" at the start)
    as_written: Check | None = None  # a check derived through an expression: the original, on this column


@dataclass(frozen=True)
class Ascend:
    """Follow the failure to `node`, where `check` (already evaluated there as `outcome`) fails too."""

    node: Node
    check: Check
    outcome: Outcome
    share: float
    via: str  # why: the edge kind (passthrough, cast…) or the rule's reason ("join key", "NULL input")
    suffix: str = ""  # appended to the summary of every cause found up there ("; … falls back to 0.5 …")
    as_written: Check | None = None  # `check` was derived through an expression from this one (same column)


@dataclass(frozen=True)
class Finding:
    """What one rule made of a question.

    The engine's result is `causes` plus whatever the `ascend` steps yield; when that is empty, `fallback`;
    when that is empty too, a `final` finding ends the question (no cause) and a non-final one hands it to
    the next rule (e.g. a collapse whose NULL inputs lead nowhere leaves the expression to be blamed)."""

    causes: tuple[RootCause, ...] = ()
    ascend: tuple[Ascend, ...] = ()
    fallback: tuple[RootCause, ...] = ()
    steps: tuple[PathStep, ...] = ()  # what the rule observed beyond its check re-runs, for the path
    final: bool = True
    ruled_out: str = ""  # this node is not what changed (it failed the same way in the good state): why


@dataclass(frozen=True)
class Answer:
    """What the engine found for one question: its root causes, or why the question was ruled out."""

    causes: tuple[RootCause, ...] = ()
    ruled_out: str = ""


class Rule(Protocol):
    """One mechanism: a function in its own module under `headwater.trace.rules`, listed once in `RULES`."""

    def __call__(self, ctx: Context, question: Question, /) -> Finding | None: ...


class InputsUnchangedRule(Protocol):
    """Asked when every ascent of a question was ruled out (its inputs failed the same way in the good
    state): what changed at this node? Listed in `headwater.trace.rules.WHEN_INPUTS_UNCHANGED`."""

    def __call__(self, ctx: Context, question: Question, reasons: tuple[str, ...], /) -> tuple[RootCause, ...]: ...
