"""The engine of the upstream walk, in the shape of sqlglot's optimizer: one loop over the ordered `RULES`.

For a check that fails on a node, the engine asks each rule in turn (`headwater.trace.rules.RULES`); the
first rule that answers decides. Its `Finding` holds root causes and `Ascend` steps; the engine follows
each step (another node, or another check on the same node) with the same loop. Only the engine recurses:
it bounds the depth, never asks the same question twice, multiplies the shares along the way and keeps
the path of every check re-run, in the order they ran.

    >>> walk = Walk(ctx)                                   # doctest: +SKIP
    >>> causes = walk.causes(node, check, outcome)         # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from headwater.dbt import Node
from headwater.trace import causes as cause
from headwater.trace.checks import Check, columns_of, rename
from headwater.trace.context import Context
from headwater.trace.finding import Answer, Ascend, Finding, InputsUnchangedRule, Question, Rule
from headwater.trace.inputs import TRANSLATABLE
from headwater.trace.measures import Outcome
from headwater.trace.model import PathStep, RootCause
from headwater.trace.rules import RULES, WHEN_INPUTS_UNCHANGED
from headwater.warehouse import ProbeError

MAX_DEPTH = 30  # ascents from the failing node; a dbt DAG this deep on one column is not one anyone wrote
_CARRYING = frozenset(kind.value for kind in TRANSLATABLE)  # the `via` of ascents along value-carrying edges


@dataclass
class Walk:
    """One walk from a failing check: the questions asked so far and the path of checks re-run."""

    ctx: Context
    rules: tuple[Rule, ...] = RULES
    unchanged_inputs: tuple[InputsUnchangedRule, ...] = WHEN_INPUTS_UNCHANGED
    max_depth: int = MAX_DEPTH
    path: list[PathStep] = field(default_factory=list)
    visited: set[tuple[str, str]] = field(default_factory=set)

    def check(self, node: Node, check: Check, via: str) -> Outcome:
        """Evaluate a check (cached per trace) and put it on the path."""
        outcome = self.ctx.check(node, check, via)
        self._drain()
        return outcome

    def causes(self, node: Node, check: Check, outcome: Outcome, share: float = 1.0) -> list[RootCause]:
        """Root causes of `check` failing on `node` (already evaluated there as `outcome`)."""
        return list(self._answer(Question(node, check, outcome, share), 0).causes)

    def _answer(self, question: Question, depth: int) -> Answer:
        node, check = question.node, question.check
        key = (node.unique_id, repr(check))
        if key in self.visited or depth > self.max_depth:
            return Answer()
        self.visited.add(key)
        for rule in self.rules:
            try:
                finding = rule(self.ctx, question)
            except ProbeError as err:
                self._drain()
                reason = f"a probe on `{node.name}` could not run: {err.probe.error}"
                outcome = replace(question.outcome, sql=err.probe.sql)
                return Answer((cause.unknown(self.ctx, node, check, outcome, reason, question.share),))
            self._drain()
            if finding is None:
                continue
            if finding.ruled_out:
                self.path.extend(finding.steps)
                return Answer(ruled_out=finding.ruled_out)
            found = self._resolve(question, finding, depth)
            if found or finding.final:
                return Answer(tuple(found))
        return Answer()

    def _resolve(self, question: Question, finding: Finding, depth: int) -> list[RootCause]:
        self.path.extend(finding.steps)
        found = list(finding.causes)
        ruled_out: list[str] = []
        for step in finding.ascend:
            answer = self._ascend(question, step, depth)
            found += answer.causes
            if answer.ruled_out:
                ruled_out.append(answer.ruled_out)
        if not found and finding.ascend and len(ruled_out) == len(finding.ascend):
            # Every input failed the same way when all was well: what changed is here.
            for rule in self.unchanged_inputs:
                found += rule(self.ctx, question, tuple(ruled_out))
                self._drain()
                if found:
                    break
        return found or list(finding.fallback)

    def _ascend(self, question: Question, step: Ascend, depth: int) -> Answer:
        here, there = ",".join(columns_of(question.check)), ",".join(columns_of(step.check))
        # `below` is the name the column had before its last change of name on the way up, and a check
        # derived through an expression keeps its original (as written) along the edges that carry values.
        below = question.below if question.below and here == there else here
        written = step.as_written
        if written is None and question.as_written is not None and step.via in _CARRYING:
            written = rename(
                question.as_written, dict(zip(columns_of(question.check), columns_of(step.check), strict=False))
            )
        up = Question(step.node, step.check, step.outcome, step.share, step.via, below, written)
        answer = self._answer(up, depth + 1)
        if not step.suffix:
            return answer
        return Answer(tuple(replace(c, summary=c.summary + step.suffix) for c in answer.causes), answer.ruled_out)

    def _drain(self) -> None:
        """Move the checks the rules re-ran (logged by the Context) onto the path, in order."""
        self.path.extend(self.ctx.log)
        self.ctx.log.clear()
