"""Check semantics: what each check means, as plain functions (no great_expectations, no I/O but the
contract files a schema expectation names).

The GX expectations (`headwater.gx.expectations`), the tracer's re-run of a check upstream
(`headwater.trace.measures` / `grouped`) and the contracts gate (`headwater.contracts`) all decide through
these functions, so a check cannot mean one thing in GX and another in the tracer.

Modules (import them directly; this package imports nothing on its own):
- `durations`: `parse_duration("2w")`, `lag_seconds(kwargs)` (max_lag / max_age / max_age_hours ...).
- `clock`: UTC everywhere; `to_utc(value)` (naive timestamps are UTC), `utc_now()`, `reference_time(kwargs)`.
- `freshness`: `evaluate_freshness(newest, max_lag_seconds, reference, now=...)`.
- `types`: type families across dialects, `compare_types` (same / widened / narrowed / ...), `same_type`.
- `shares`: `ratio_passes(unexpected, considered, mostly)` (GX's `mostly`), most-common-value share, orphans.
- `drift`: baseline profiles, PSI (one smoothing), binned KS, chi-square.
- `schema_contract`: the one reader of a schema expectation's kwargs, and its violations.
"""
