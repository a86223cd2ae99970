"""The engine of the walk (`headwater.trace.engine`) over its registry of rules (`headwater.trace.rules`):
only the engine recurses and bounds the depth; a new mechanism is one function added to the registry; rules
never import the engine. On the example's real faulted warehouses."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

import headwater.trace.rules as rules_package
from headwater.dbt import load_artifacts
from headwater.example.faults import FAULTS
from headwater.lineage import build_lineage
from headwater.trace.checks import NotNull, Unique
from headwater.trace.context import Context
from headwater.trace.engine import Walk
from headwater.trace.finding import Finding, Question
from headwater.trace.gx_map import check_from_expectation
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.trace.rules import RULES
from headwater.warehouse import connect, from_profile
from tests.trace.faultcases import expectation_of

pytestmark = pytest.mark.slow


def _walk_of(project: Path, rules: tuple[object, ...] = RULES, max_depth: int = 30) -> tuple[Walk, Context]:
    artifacts = load_artifacts(project_dir=project, include_run_results=False)
    warehouse = connect(from_profile(project))
    ctx = Context(artifacts, build_lineage(artifacts), warehouse)
    return Walk(ctx, rules=rules, max_depth=max_depth), ctx  # type: ignore[arg-type]


def _failing(fault_id: str, walk: Walk, ctx: Context) -> tuple[object, object, object]:
    fault = FAULTS[fault_id]
    config = expectation_of(fault)
    node = ctx.artifacts.manifest.find_node(fault.expectation.model)
    check = check_from_expectation(config["type"], config["kwargs"])
    return node, check, walk.check(node, check, "failure")


def test_depth_bounds_every_ascent(faulted_example: Callable[[str], Path]) -> None:
    """With no ascent allowed, every cause is diagnosed at the failing node itself. Before the engine, the
    fan-out rule's walk to a key declared unique upstream restarted at depth 0: with the depth bound at 0,
    `int_orders_enriched.order_id` (fanned out by duplicated customers) was still blamed on `stg_customers`."""
    project = faulted_example("duplicate_customers")
    walk, ctx = _walk_of(project, max_depth=0)
    with ctx.warehouse:
        node = ctx.artifacts.manifest.find_node("int_orders_enriched")
        check = Unique(("order_id",))
        causes = walk.causes(node, check, walk.check(node, check, "failure"))
    assert causes and {(c.node, c.mechanism) for c in causes} == {(node.unique_id, Mechanism.FAN_OUT)}

    deep, deep_ctx = _walk_of(project)  # unbounded, the same question reaches the duplicated source rows
    with deep_ctx.warehouse:
        found = deep.causes(node, check, deep.check(node, check, "failure"))
    assert found[0].node == FAULTS["duplicate_customers"].truth.node, [(c.node, c.mechanism) for c in found]


@pytest.mark.parametrize("fault_id", ["null_customer_email", "payment_cast_narrowed", "orphan_order_customers"])
def test_no_ascent_means_causes_here(faulted_example: Callable[[str], Path], fault_id: str) -> None:
    walk, ctx = _walk_of(faulted_example(fault_id), max_depth=0)
    with ctx.warehouse:
        node, check, outcome = _failing(fault_id, walk, ctx)
        causes = walk.causes(node, check, outcome)  # type: ignore[arg-type]
    assert {c.node for c in causes} <= {node.unique_id}, [(c.node, c.mechanism) for c in causes]  # type: ignore[attr-defined]


def test_a_new_rule_is_one_function_in_the_registry(faulted_example: Callable[[str], Path]) -> None:
    """A mechanism added at the front of the registry answers first; answering None hands on."""
    asked: list[str] = []

    def passes(ctx: Context, question: Question) -> Finding | None:
        asked.append(question.node.name)
        return None

    def blames_every_null(ctx: Context, question: Question) -> Finding | None:
        if not isinstance(question.check, NotNull) or question.node.resource_type != "model":
            return None
        found = RootCause(
            CauseKind.TRANSFORMATION,
            question.node.unique_id,
            ctx.label(question.node),
            question.check.column,
            Mechanism.EXPRESSION,
            evidence=Evidence(detail="custom"),
            share=question.share,
            summary="custom rule",
        )
        return Finding((found,))

    walk, ctx = _walk_of(faulted_example("null_customer_email"), rules=(passes, blames_every_null, *RULES))
    with ctx.warehouse:
        node, check, outcome = _failing("null_customer_email", walk, ctx)
        causes = walk.causes(node, check, outcome)  # type: ignore[arg-type]
    assert [c.summary for c in causes] == ["custom rule"]
    assert asked == [node.name]  # type: ignore[attr-defined]


def test_the_engine_follows_ascents_and_keeps_the_path(faulted_example: Callable[[str], Path]) -> None:
    walk, ctx = _walk_of(faulted_example("null_customer_email"))
    with ctx.warehouse:
        node, check, outcome = _failing("null_customer_email", walk, ctx)
        causes = walk.causes(node, check, outcome)  # type: ignore[arg-type]
    assert causes and causes[0].node == FAULTS["null_customer_email"].truth.node
    assert walk.path[0].via == "failure" and walk.path[0].failed
    assert walk.path[-1].node == causes[0].node  # the source where the walk stopped is the last check re-run
    assert not ctx.log  # every check re-run reached the path


def test_rules_never_import_the_engine() -> None:
    """Only the engine recurses: a rule that imported it could walk on its own."""
    folder = Path(rules_package.__file__).parent
    offenders = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else ([a.name for a in node.names] if isinstance(node, ast.Import) else [])
            )
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("headwater.trace.engine")]
    assert not offenders
    assert len(RULES) == len(set(RULES)) and RULES[-1].__name__ == "expression"  # the catch-all comes last
