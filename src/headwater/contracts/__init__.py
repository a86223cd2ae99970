"""Contracts: what a table promises (dbt model contracts, ODCS v3 files, GX suites), checked against the
actual schema and data, classified breaking / non-breaking, with blast radius and upstream cause.

    >>> from pathlib import Path
    >>> from headwater.contracts.gate import GateOptions, run_gate, exit_code
    >>> report = run_gate(GateOptions(project_dir=Path("dbt_project_example")))   # doctest: +SKIP
    >>> exit_code(report, fail_on="breaking", allow_unknown=False)                # doctest: +SKIP

Modules (one step each; only `gate.run_gate`, `actual`, `quality` and `data_cause` touch the warehouse):
- `types`: `normalize_type(raw, dialect) -> NormalizedType`, `compare_types(expected, actual, dialect)
  -> TypeComparison` (.change SAME | WIDENED | NARROWED | INCOMPATIBLE | UNKNOWN, .reason, .is_breaking),
  `types_match(...)`, `normalize_logical_type(odcs_logical_type)`.
- `model`: `TableContract`, `ColumnSpec`, `QualityRule`, `ActualTable`, and the tagged union
  `ContractChange = ColumnRemoved | ColumnAdded | TypeChanged | NullableWhereRequired | UniquenessLost |
  ConstraintRemoved | EnforcementDisabled | MaterializationChanged | TableMissing | QualityFailed |
  BuildFailed | Unevaluated`; each has `.breaking`, `.category` and a one-line `.reason`. The result types
  of explaining live there too: `Finding` (one change on one contract), `UpstreamCause`, `BlastRadius`.
- Reading contracts: `odcs.load_odcs(path)` (errors name file:line), `dbt_contracts.contracts_from_manifest
  (manifest)` / `contract_of(node)`, `gx_suites.load_gx_suite(path)` (plain JSON, no GX import);
  `dbt_yaml.locate(contract, node, project_dir)` points a dbt contract at its YAML lines (`patch_path`).
- Checking: `check.check_schema(contract, actual) -> tuple[ContractChange, ...]` (pure);
  `quality.evaluate_quality(warehouse, contract, actual, rules)`; `actual.schema_from_warehouse` /
  `schema_from_catalog`; `actual.build_failure(node_id, artifacts)` (the last dbt run did not build it).
- Explaining: `impact.Impact(artifacts, warehouse, contracts, gx_dirs).explain(finding)` adds an
  `UpstreamCause` (where the break entered, the lineage edges it travelled) and a `BlastRadius`
  (downstream models, exposures, dbt tests, GX expectations, contracts); `data_cause.data_cause(tracer, node,
  change)` asks `headwater.trace.Tracer.explain` (the public API, one Tracer per gate run) where a failed data
  rule (not null, unique, accepted values) entered, on the gate's own connection.
- State: `dbt_contracts.contract_changes(old_node, new_node)` (dbt's breaking-change categories);
  `state_diff.diff_states(old_target, new_target) -> StateDiff` (per model and column: breaking /
  partial_breaking / non_breaking / unknown, with blast radius).
- `gate.run_gate(GateOptions) -> GateReport`, `gate.exit_code(report, fail_on, allow_unknown)`; a model
  whose last dbt run failed (run_results.json) is `BuildFailed`, never checked as a stale table;
  `render` / `render_diff` turn reports into text, JSON, JUnit XML and GitHub annotations.
"""
