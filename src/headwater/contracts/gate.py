"""`headwater gate` as a library: collect contracts, read the actual tables, check, explain, decide.

`run_gate(GateOptions) -> GateReport` does the work; `exit_code(report, fail_on, allow_unknown)` decides.
Only the CLI prints or exits. The gate fails closed: a contract it could not evaluate is a failure
(exit 3) unless the caller allows unknowns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from headwater.contracts.actual import NotReadable, build_failure, read_actual
from headwater.contracts.check import accepted, check_schema
from headwater.contracts.dbt_contracts import contract_changes
from headwater.contracts.gx_suites import is_gx_suite, load_gx_suite
from headwater.contracts.model import ContractChange, Finding, TableContract, Unevaluated
from headwater.contracts.odcs import load_odcs
from headwater.contracts.quality import evaluate_quality, implicit_rules
from headwater.errors import EXIT_FAILED, EXIT_OK, EXIT_UNEVALUATED, ConfigError, WarehouseError

if TYPE_CHECKING:
    from headwater.contracts.impact import Impact
    from headwater.dbt import Artifacts, Manifest
    from headwater.warehouse import Warehouse

FAIL_ON = ("breaking", "any", "none")
CONTRACT_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class ContractResult:
    contract: TableContract
    findings: tuple[Finding, ...]
    actual_source: str = ""  # warehouse | catalog | "" (not read)

    @property
    def status(self) -> str:
        if any(f.change.breaking for f in self.findings):
            return "broken"
        if any(isinstance(f.change, Unevaluated) for f in self.findings):
            return "unknown"
        return "changed" if self.findings else "ok"


@dataclass(frozen=True)
class GateReport:
    results: tuple[ContractResult, ...]
    state_findings: tuple[Finding, ...] = ()  # contract changes between --state and the current build
    actual_source: str = "warehouse"

    def findings(self) -> Iterator[Finding]:
        for result in self.results:
            yield from result.findings
        yield from self.state_findings


@dataclass(frozen=True)
class GateOptions:
    contracts: tuple[Path, ...] = ()
    dbt_contracts: bool = False
    project_dir: Path | None = None
    target_path: Path | None = None
    warehouse_url: str | None = None
    profiles_dir: Path | None = None
    from_catalog: bool = False
    state: Path | None = None
    explain: bool = True  # blast radius + upstream cause through column lineage
    gx_dirs: tuple[Path, ...] = field(default_factory=tuple)


def exit_code(report: GateReport, fail_on: str = "breaking", allow_unknown: bool = False) -> int:
    """0 pass, 1 violated (per `fail_on`), 3 could not evaluate (unless `allow_unknown`)."""
    if fail_on not in FAIL_ON:
        raise ConfigError(f"--fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    findings = list(report.findings())
    known = [f for f in findings if not isinstance(f.change, Unevaluated)]
    if fail_on == "breaking" and any(f.change.breaking for f in known):
        return EXIT_FAILED
    if fail_on == "any" and known:
        return EXIT_FAILED
    if len(known) < len(findings) and not allow_unknown:
        return EXIT_UNEVALUATED
    return EXIT_OK


def default_gx_dirs(project_dir: Path | None, cwd: Path | None = None) -> tuple[Path, ...]:
    """GX suites for blast radius when none are named: the first `gx/expectations` folder of a GX file
    context found in the project, its `expectations/` context root, or the working directory's."""
    roots = [project_dir, project_dir / "expectations"] if project_dir is not None else []
    here = cwd or Path.cwd()
    roots += [here, here / "expectations"]
    for root in roots:
        if root is not None and (root / "gx" / "expectations").is_dir():
            return (root / "gx" / "expectations",)
    return ()


# ---- collecting contracts --------------------------------------------------------------------------


def contract_files(paths: Sequence[Path]) -> list[Path]:
    """Files named on the command line, and contract files found (recursively) in named folders."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.suffix.lower() in CONTRACT_SUFFIXES and p.is_file()
            )
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(
                f"--contract {path} does not exist; pass an ODCS YAML file, a GX suite or a folder"
            )
    return files


def load_contract_file(path: Path) -> tuple[TableContract, ...]:
    if path.suffix.lower() == ".json":
        return load_gx_suite(path) if is_gx_suite(path) else ()
    return load_odcs(path)


def resolve(contract: TableContract, manifest: Manifest | None) -> TableContract:
    """Attach the dbt node a contract's table is (by relation, then by model name), when there is one."""
    if contract.node_id or manifest is None:
        return contract
    node = None
    if contract.identifier:
        node = manifest.node_by_relation(contract.database, contract.schema, contract.identifier)
        if node is None and contract.database:
            node = manifest.node_by_relation(None, contract.schema, contract.identifier)
    if node is None:
        try:
            node = manifest.find_node(contract.name)
        except ConfigError:
            return contract
    return replace(
        contract,
        node_id=node.unique_id,
        database=node.database,
        schema=node.schema,
        identifier=node.identifier or contract.identifier,
        materialized=contract.materialized or node.materialized,
    )


# ---- running ---------------------------------------------------------------------------------------


def run_gate(options: GateOptions) -> GateReport:
    artifacts = _load_artifacts(options)
    manifest = artifacts.manifest if artifacts else None
    contracts = _collect(options, manifest, artifacts.project_dir if artifacts else None)
    if not contracts:
        raise ConfigError(
            "no contracts to check: pass --contract FILE_OR_DIR, or --dbt-contracts with a project whose "
            "models have `contract: {enforced: true}`"
        )
    warehouse: Warehouse | None = None
    unreachable = ""
    if not options.from_catalog:
        try:
            warehouse = _connect(options)
        except WarehouseError as err:
            unreachable = str(err)
    try:
        results = tuple(
            _check_one(c, artifacts, warehouse, unreachable, options.from_catalog) for c in contracts
        )
        state_findings = _state_findings(options, manifest)
        report = GateReport(results, state_findings, "catalog" if options.from_catalog else "warehouse")
        if options.explain and artifacts is not None:
            from headwater.contracts.impact import Impact

            impact = Impact(artifacts, warehouse, contracts, options.gx_dirs)
            report = _explain(report, impact)
    finally:
        if warehouse is not None:
            warehouse.close()
    return report


def _load_artifacts(options: GateOptions) -> Artifacts | None:
    from headwater.dbt import load_artifacts

    if options.project_dir is None and options.target_path is None:
        if options.dbt_contracts or options.from_catalog:
            raise ConfigError("--dbt-contracts and --from-catalog need --project-dir (or --target-path)")
        return None
    return load_artifacts(
        project_dir=options.project_dir, target_path=options.target_path, require_compiled=False
    )


def _collect(
    options: GateOptions, manifest: Manifest | None, project_dir: Path | None = None
) -> list[TableContract]:
    paths = list(options.contracts)
    dbt = options.dbt_contracts
    if not paths and not dbt and options.project_dir is not None:
        # Default: the project's dbt contracts plus its contracts/ folder when there is one.
        dbt = True
        if (options.project_dir / "contracts").is_dir():
            paths.append(options.project_dir / "contracts")
    contracts: list[TableContract] = []
    for file in contract_files(paths):
        contracts += load_contract_file(file)
    if dbt and manifest is not None:
        from headwater.contracts.dbt_yaml import located_contracts

        contracts += located_contracts(manifest, project_dir or options.project_dir)
    return [resolve(c, manifest) for c in contracts]


def _connect(options: GateOptions) -> Warehouse:
    from headwater.warehouse import connect, from_profile, from_url

    if options.warehouse_url:
        config = from_url(options.warehouse_url)
    elif options.project_dir is not None:
        config = from_profile(options.project_dir, options.profiles_dir)
    else:
        raise ConfigError(
            "no warehouse: pass --warehouse URL or --project-dir of a dbt project with a profile"
        )
    return connect(config)


def _check_one(
    contract: TableContract,
    artifacts: Artifacts | None,
    warehouse: Warehouse | None,
    unreachable: str,
    from_catalog: bool,
) -> ContractResult:
    def unknown(why: str) -> ContractResult:
        return ContractResult(contract, (Finding(contract, Unevaluated(f"contract {contract.name}", why)),))

    if unreachable:
        return unknown(f"the warehouse is unreachable ({unreachable})")
    failed = build_failure(contract.node_id, artifacts)
    if failed is not None:
        return ContractResult(contract, (Finding(contract, failed),))
    if contract.materialized == "ephemeral":
        return unknown("the model is ephemeral: it has no table to check")
    try:
        ident = contract.identifier or contract.name
        actual = read_actual(
            contract.node_id, contract.database, contract.schema, ident, artifacts, warehouse
        )
    except NotReadable as err:
        return unknown(str(err))
    except WarehouseError as err:
        return unknown(str(err))
    changes = [c for c in check_schema(contract, actual) if not accepted(contract, c)]
    if actual is not None and warehouse is not None:
        rules = (*implicit_rules(contract, actual), *contract.quality)
        changes += evaluate_quality(warehouse, contract, actual, rules)
    lines = {c.key: c.line for c in contract.columns}
    findings = tuple(Finding(contract, ch, _line_of(ch, lines)) for ch in changes)
    return ContractResult(
        contract, findings, actual.source if actual else ("catalog" if from_catalog else "warehouse")
    )


def _line_of(change: ContractChange, lines: dict[str, int | None]) -> int | None:
    rule = getattr(change, "rule", None)
    if rule is not None and rule.line:
        line: int | None = rule.line
        return line
    column = getattr(change, "column", None)
    return lines.get(column.lower()) if isinstance(column, str) else None


def _state_findings(options: GateOptions, manifest: Manifest | None) -> tuple[Finding, ...]:
    if options.state is None or manifest is None:
        return ()
    from headwater.contracts.dbt_contracts import contract_of
    from headwater.contracts.dbt_yaml import locate
    from headwater.dbt import load_artifacts

    old = load_artifacts(target_path=options.state, require_compiled=False).manifest
    findings: list[Finding] = []
    for node in sorted(old.models(), key=lambda n: n.unique_id):
        new = manifest.nodes.get(node.unique_id)
        changes = contract_changes(node, new, manifest.dialect)
        if not changes:
            continue
        contract = locate(contract_of(new or node, manifest.dialect), new or node, options.project_dir)
        lines = {c.key: c.line for c in contract.columns}
        findings += [Finding(contract, ch, _line_of(ch, lines)) for ch in changes]
    return tuple(findings)


def _explain(report: GateReport, impact: Impact) -> GateReport:
    def explained(finding: Finding) -> Finding:
        if not finding.change.breaking or finding.contract.node_id is None:
            return finding
        return impact.explain(finding)

    results = tuple(replace(r, findings=tuple(explained(f) for f in r.findings)) for r in report.results)
    state = tuple(explained(f) for f in report.state_findings)
    return replace(report, results=results, state_findings=state)
