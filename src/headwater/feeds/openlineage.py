"""OpenLineage run events for a dbt project: one COMPLETE event per model with a `columnLineage` facet on
its output (from `headwater.lineage`), and one per validated GX batch with a `dataQualityAssertions` facet on
its input (every expectation of the GX result, passed or failed). Built with openlineage-python's classes
and serialised by its `Serde`, so the field names and `_schemaURL`s are the spec's.

Datasets are named `<schema>.<table>` in the namespace `<adapter>://<database>` unless `dataset_namespace`
is given (match what your other producers, e.g. dbt-ol, use so the graphs join).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headwater.lineage.model import EdgeKind

if TYPE_CHECKING:
    from openlineage.client.event_v2 import RunEvent

    from headwater.dbt import Artifacts, Node
    from headwater.lineage import LineageGraph
    from headwater.trace.gx_results import FailedExpectation

PRODUCER = "urn:headwater:openlineage"  # a URI naming the producer (the spec asks for one, not a URL)
JOB_NAMESPACE = "headwater"
# lineage edge kind -> OpenLineage column-lineage transformation (type, subtype), spec ColumnLineageDatasetFacet 1-2-0
TRANSFORMATIONS: dict[EdgeKind, tuple[str, str]] = {
    EdgeKind.PASSTHROUGH: ("DIRECT", "IDENTITY"),
    EdgeKind.RENAME: ("DIRECT", "IDENTITY"),
    EdgeKind.CAST: ("DIRECT", "TRANSFORMATION"),
    EdgeKind.EXPRESSION: ("DIRECT", "TRANSFORMATION"),
    EdgeKind.MODEL: ("DIRECT", "TRANSFORMATION"),
    EdgeKind.AGGREGATE: ("DIRECT", "AGGREGATION"),
    EdgeKind.WINDOW: ("INDIRECT", "WINDOW"),
    EdgeKind.JOIN: ("INDIRECT", "JOIN"),
    EdgeKind.FILTER: ("INDIRECT", "FILTER"),
    EdgeKind.GROUP: ("INDIRECT", "GROUP_BY"),
}


@dataclass(frozen=True)
class Namer:
    """Dataset names for manifest nodes: `<schema>.<table>` in `<adapter>://<database>` (or a fixed namespace)."""

    adapter: str
    namespace: str | None = None

    def dataset(self, node: Node) -> tuple[str, str]:
        namespace = self.namespace or f"{self.adapter}://{node.database or 'default'}"
        return namespace, ".".join(p for p in (node.schema, node.identifier or node.name) if p)


def lineage_events(
    artifacts: Artifacts, lineage: LineageGraph, namer: Namer, at: dt.datetime | None = None
) -> Iterator[RunEvent]:
    """One COMPLETE run event per model and snapshot: inputs are the relations it reads, the output carries
    `columnLineage` (and `dataset` for the row edges: joins, filters, grouping)."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.generated.column_lineage_dataset import (
        ColumnLineageDatasetFacet,
        Fields,
        InputField,
        Transformation,
    )
    from openlineage.client.uuid import generate_new_uuid

    manifest = artifacts.manifest
    when = (at or dt.datetime.now(dt.UTC)).isoformat()
    project = manifest.metadata.project_name or "dbt"
    for uid, node in sorted(manifest.nodes.items()):
        if node.resource_type not in ("model", "snapshot") or node.relation_name is None:
            continue
        model = lineage.model(uid)
        fields: dict[str, list[Any]] = {c: [] for c in model.columns}
        whole: list[Any] = []
        upstream: dict[tuple[str, str], None] = {}
        for edge in model.edges:
            source = manifest.get(edge.source.node) if edge.source is not None else None
            if source is None or edge.source is None or edge.kind not in TRANSFORMATIONS:
                continue  # an unknown edge names no input column; OpenLineage has no "unknown" input
            namespace, name = namer.dataset(source)
            upstream[(namespace, name)] = None
            kind, subtype = TRANSFORMATIONS[edge.kind]
            step = Transformation(type=kind, subtype=subtype, description=edge.expression or None)
            field = InputField(namespace=namespace, name=name, field=edge.source.column, transformations=[step])
            if edge.target.column in fields:
                into = fields[edge.target.column]
            elif edge.kind.is_row_edge:
                into = whole  # a join or filter key that decides the rows of the whole model
            else:
                continue
            if field not in into:  # several edges of one kind between the same two columns are one input
                into.append(field)
        facet = ColumnLineageDatasetFacet(
            fields={c: Fields(inputFields=f) for c, f in fields.items() if f}, dataset=whole
        )
        out_namespace, out_name = namer.dataset(node)
        yield RunEvent(
            eventTime=when,
            producer=PRODUCER,
            run=Run(runId=str(generate_new_uuid())),
            job=Job(namespace=JOB_NAMESPACE, name=f"{project}.{node.name}"),
            eventType=RunState.COMPLETE,
            inputs=[InputDataset(namespace=ns, name=n) for ns, n in upstream],
            outputs=[OutputDataset(namespace=out_namespace, name=out_name, facets={"columnLineage": facet})],
        )


def assertion_events(
    artifacts: Artifacts,
    results: Sequence[tuple[bool, FailedExpectation]],
    namer: Namer,
    overrides: dict[str, str] | None = None,
    at: dt.datetime | None = None,
) -> Iterator[RunEvent]:
    """One COMPLETE run event per validated batch: its dataset as input, with `dataQualityAssertions`."""
    from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
    from openlineage.client.generated.data_quality_assertions_dataset import (
        Assertion,
        DataQualityAssertionsDatasetFacet,
    )
    from openlineage.client.uuid import generate_new_uuid

    from headwater.trace.mapping import UnmappedBatch, node_for_batch

    manifest = artifacts.manifest
    when = (at or dt.datetime.now(dt.UTC)).isoformat()
    by_dataset: dict[tuple[str, str, str], list[Any]] = {}
    for success, expectation in results:
        try:
            node = node_for_batch(
                manifest, expectation.batch, expectation.meta, overrides, manifest.dialect or "duckdb"
            )
            namespace, name = namer.dataset(node)
        except UnmappedBatch:  # still worth reporting: named as GX named it
            namespace, name = namer.namespace or f"{namer.adapter}://default", expectation.batch.describe()
        column = expectation.kwargs.get("column")
        observed = expectation.result.get("observed_value")
        by_dataset.setdefault((expectation.suite, namespace, name), []).append(
            Assertion(
                assertion=expectation.check.name
                if expectation.check.name != "untraceable"
                else expectation.expectation_type,
                success=success,
                column=str(column) if column else None,
                name=expectation.expectation_type,
                severity=str(expectation.meta.get("severity")) if expectation.meta.get("severity") else None,
                actual=None if observed is None else str(observed),
            )
        )
    for (suite, namespace, name), assertions in by_dataset.items():
        facet = DataQualityAssertionsDatasetFacet(assertions=assertions)
        yield RunEvent(
            eventTime=when,
            producer=PRODUCER,
            run=Run(runId=str(generate_new_uuid())),
            job=Job(namespace=JOB_NAMESPACE, name=f"gx.{suite or name}"),
            eventType=RunState.COMPLETE,
            inputs=[InputDataset(namespace=namespace, name=name, inputFacets={"dataQualityAssertions": facet})],
        )


def to_json_lines(events: Iterator[RunEvent]) -> str:
    from openlineage.client.serde import Serde

    return "".join(Serde.to_json(event) + "\n" for event in events)


def write_events(path: Path, events: Iterator[RunEvent]) -> int:
    text = to_json_lines(events)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text.count("\n")
