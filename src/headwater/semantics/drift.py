"""Distribution drift against a baseline profile: PSI, two-sample KS and chi-square, from counts only.

A baseline profile is what `headwater baseline` writes per column (JSON):

    numeric:      {"kind": "numeric", "bins": [e0, ..., ek], "weights": [w1, ..., wk], "count": n}
    categorical:  {"kind": "categorical", "values": [v1, ...], "weights": [w1, ...], "count": n}

`bins` are k+1 edges (quantiles of the baseline; e0 = min, ek = max) and `weights` the k bin shares.
The current batch is reduced to counts in the same bins in the engine (values below e0 fall in the
first bin, above ek in the last); categories the baseline never saw are pooled as one "other" bucket.

PSI has one smoothing, everywhere: each share is floored at `PSI_FLOOR` (1e-4) before the log, so an empty
bin on either side gives a large but finite PSI. GX's expectation and the tracer both call `psi` here.

KS here is evaluated on the CDF at the bin edges (the column never leaves the warehouse), so its
statistic is a lower bound of the exact one: it can miss drift that stays inside one bin, never invent it.

>>> round(psi([0.5, 0.5, 0.0], [0.5, 0.4, 0.1]), 3)
0.712
>>> thresholds_from_kwargs({"psi_threshold": None}).psi is None
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

PSI_FLOOR = 1e-4  # share floor so an empty bin does not make PSI infinite
OTHER = "__other__"


@dataclass(frozen=True)
class NumericProfile:
    bins: tuple[float, ...]  # k+1 edges
    weights: tuple[float, ...]  # k shares, sum 1
    count: int
    kind: Literal["numeric"] = "numeric"


@dataclass(frozen=True)
class CategoricalProfile:
    values: tuple[Any, ...]
    weights: tuple[float, ...]  # shares of each value; 1 - sum is the share of values not listed
    count: int
    kind: Literal["categorical"] = "categorical"


Profile = NumericProfile | CategoricalProfile


@dataclass(frozen=True)
class Thresholds:
    psi: float | None = 0.2  # fail when PSI exceeds it
    ks_pvalue: float | None = 0.01  # fail when the KS p-value falls below it (numeric)
    chi2_pvalue: float | None = 0.01  # fail when the chi-square p-value falls below it (categorical)
    min_sample_size: int = 100  # fewer non-null rows: not judged (success, with a note)


@dataclass(frozen=True)
class DriftVerdict:
    success: bool
    kind: str
    sample_size: int
    psi: float | None = None
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    chi2_statistic: float | None = None
    chi2_pvalue: float | None = None
    reasons: tuple[str, ...] = ()
    expected_weights: tuple[float, ...] = ()
    observed_weights: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def profile_from_dict(data: Mapping[str, Any]) -> Profile:
    """Read one column profile (inline in an expectation or from a baseline file). Also accepts GX's KL
    `partition_object` (`bins` or `values` with `weights`) and `{"shares": {value: share}}`."""
    if isinstance(data.get("shares"), Mapping) and "values" not in data:
        shares = data["shares"]
        data = {"kind": "categorical", "values": list(shares), "weights": list(shares.values()),
                "count": data.get("count", 0)}  # fmt: skip
    kind = data.get("kind") or ("numeric" if "bins" in data else "categorical")
    weights = tuple(float(w) for w in data.get("weights") or ())
    count = int(data.get("count") or 0)
    if kind == "numeric":
        bins = tuple(float(b) for b in data["bins"])
        if len(bins) != len(weights) + 1:
            raise ValueError(
                f"a numeric baseline needs one more bin edge than weights ({len(bins)} vs {len(weights)})"
            )
        return NumericProfile(bins, weights, count)
    values = tuple(data["values"])
    if len(values) != len(weights):
        raise ValueError(
            f"a categorical baseline needs one weight per value ({len(values)} vs {len(weights)})"
        )
    return CategoricalProfile(values, weights, count)


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    if isinstance(profile, NumericProfile):
        return {
            "kind": "numeric",
            "bins": list(profile.bins),
            "weights": list(profile.weights),
            "count": profile.count,
        }
    return {
        "kind": "categorical",
        "values": list(profile.values),
        "weights": list(profile.weights),
        "count": profile.count,
    }


def numeric_profile(edges: Sequence[float], counts: Sequence[int]) -> NumericProfile:
    """A numeric profile from bin edges (deduplicated quantiles) and the counts in each bin."""
    total = sum(counts)
    return NumericProfile(
        tuple(float(e) for e in edges), tuple(c / total if total else 0.0 for c in counts), total
    )


def categorical_profile(
    value_counts: Sequence[tuple[Any, int]], total: int, max_values: int = 50
) -> CategoricalProfile:
    """A categorical profile from (value, count) pairs (most common first) and the non-null total."""
    top = sorted(value_counts, key=lambda vc: (-vc[1], str(vc[0])))[:max_values]
    return CategoricalProfile(
        tuple(v for v, _ in top), tuple(c / total if total else 0.0 for _, c in top), total
    )


def quantile_edges(quantiles: Sequence[float]) -> tuple[float, ...]:
    """Bin edges from ordered quantile values: duplicates (heavy values) collapse into one bin."""
    edges: list[float] = []
    for q in quantiles:
        if not edges or float(q) > edges[-1]:
            edges.append(float(q))
    if len(edges) == 1:  # a constant column: one bin around its value
        edges.append(edges[0])
    return tuple(edges)


def thresholds_from_kwargs(kwargs: Mapping[str, Any]) -> Thresholds:
    """The thresholds of `expect_column_distribution_to_match_baseline` (a key given as None disables
    that test; a missing key takes the expectation's default)."""
    return Thresholds(
        psi=_optional_float(kwargs.get("psi_threshold", 0.2)),
        ks_pvalue=_optional_float(kwargs.get("ks_pvalue", 0.01)),
        chi2_pvalue=_optional_float(kwargs.get("chi2_pvalue", 0.01)),
        min_sample_size=int(kwargs.get("min_sample_size", 100) or 0),
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def read_baseline(path: str | Path) -> Mapping[str, Any]:
    """The column profiles of a baseline file (`{"columns": {name: profile}}`, as `headwater baseline`
    writes it). Raises OSError or ValueError when the file cannot be read."""
    data = orjson.loads(Path(str(path)).read_bytes())
    columns = data.get("columns", data) if isinstance(data, Mapping) else None
    if not isinstance(columns, Mapping):
        raise ValueError(f"baseline {path} holds no column profiles")
    return columns


def profile_from_kwargs(kwargs: Mapping[str, Any]) -> Profile:
    """The baseline profile an expectation names: inline `baseline` (or a KL `partition_object`), or the
    column's profile in the file `baseline_path` (by name, else case-insensitively)."""
    inline = kwargs.get("baseline") or kwargs.get("partition_object")
    if inline:
        return profile_from_dict(inline)
    path = kwargs.get("baseline_path")
    if not path:
        raise ValueError("give `baseline` (a profile) or `baseline_path` (a file from `headwater baseline`)")
    columns = read_baseline(str(path))
    column = str(kwargs.get("column", ""))
    found = columns.get(column)
    if found is None:
        found = next((p for name, p in columns.items() if str(name).lower() == column.lower()), None)
    if not isinstance(found, Mapping):
        raise ValueError(f"baseline {path} has no profile for column {column!r}")
    return profile_from_dict(found)


def psi(expected: Sequence[float], observed: Sequence[float]) -> float:
    """Population stability index between two share vectors over the same bins (0: the same; above 0.2
    usually drift). Each share is floored at `PSI_FLOOR` first: the one smoothing of empty bins."""
    total = 0.0
    for e, o in zip(expected, observed, strict=True):
        e, o = max(e, PSI_FLOOR), max(o, PSI_FLOOR)
        total += (o - e) * math.log(o / e)
    return total


def psi_of_quantiles(before: Sequence[float], after: Sequence[float]) -> float | None:
    """PSI between two columns known only by their quantile edges (0, 1/n ... 1, as a snapshot profiles them):
    the bins are the old edges, each holding 1/n of the old rows; the new rows' share of each is read off
    the new quantiles, linear between edges (the usual reading of a quantile sketch). None when either side
    has fewer than three edges or the old edges span nothing."""
    if len(before) < 3 or len(after) < 3 or before[-1] <= before[0]:
        return None
    quantiles = [i / (len(after) - 1) for i in range(len(after))]

    def cdf(x: float) -> float:  # the new rows' share at or below x
        if x <= after[0]:
            return 0.0
        for i in range(1, len(after)):
            if x <= after[i]:
                low, high = after[i - 1], after[i]
                if high == low:
                    return quantiles[i]
                return quantiles[i - 1] + (x - low) / (high - low) * (quantiles[i] - quantiles[i - 1])
        return 1.0

    cuts = [0.0, *(cdf(x) for x in before[1:-1]), 1.0]
    observed = [max(b - a, 0.0) for a, b in itertools.pairwise(cuts)]
    expected = [1 / (len(before) - 1)] * (len(before) - 1)
    return psi(expected, observed)


def ks_from_binned(
    expected: Sequence[float], observed: Sequence[float], n: int, m: int
) -> tuple[float, float]:
    """Two-sample KS statistic on the CDFs at the bin edges, and its asymptotic p-value."""
    cdf_e = cdf_o = 0.0
    statistic = 0.0
    for e, o in zip(expected, observed, strict=True):
        cdf_e += e
        cdf_o += o
        statistic = max(statistic, abs(cdf_e - cdf_o))
    if n <= 0 or m <= 0:
        return statistic, 1.0
    from scipy import special  # imported when needed: scipy costs ~0.3 s

    effective = math.sqrt(n * m / (n + m))
    return statistic, float(special.kolmogorov(effective * statistic))


def chi2_two_sample(expected: Sequence[float], n: int, observed_counts: Sequence[int]) -> tuple[float, float]:
    """Chi-square test of homogeneity: baseline counts (shares * n) against current counts."""
    baseline_counts = [w * n for w in expected]
    columns = [(b, o) for b, o in zip(baseline_counts, observed_counts, strict=True) if b + o > 0]
    if len(columns) < 2 or n <= 0 or sum(observed_counts) <= 0:
        return 0.0, 1.0
    from scipy import stats

    table = [[b for b, _ in columns], [o for _, o in columns]]
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


def evaluate_numeric(profile: NumericProfile, counts: Sequence[int], thresholds: Thresholds) -> DriftVerdict:
    """Drift of a numeric column, given its counts in the profile's bins (computed in the engine)."""
    m = sum(counts)
    labels = tuple(f"[{lo:g}, {hi:g})" for lo, hi in zip(profile.bins, profile.bins[1:], strict=False))
    if m < thresholds.min_sample_size:
        return DriftVerdict(
            True,
            "numeric",
            m,
            reasons=(f"only {m} non-null rows (< {thresholds.min_sample_size}): not judged",),
        )
    observed = tuple(c / m for c in counts)
    value = psi(profile.weights, observed)
    d, p = ks_from_binned(profile.weights, observed, profile.count, m)
    reasons = []
    if thresholds.psi is not None and value > thresholds.psi:
        reasons.append(f"PSI {value:.3f} > {thresholds.psi}")
    if thresholds.ks_pvalue is not None and p < thresholds.ks_pvalue:
        reasons.append(f"KS p-value {p:.2g} < {thresholds.ks_pvalue} (D={d:.3f})")
    return DriftVerdict(not reasons, "numeric", m, psi=value, ks_statistic=d, ks_pvalue=p, reasons=tuple(reasons),
                        expected_weights=profile.weights, observed_weights=observed, labels=labels)  # fmt: skip


def evaluate_categorical(
    profile: CategoricalProfile, value_counts: Mapping[Any, int], total: int, thresholds: Thresholds
) -> DriftVerdict:
    """Drift of a categorical column, given its non-null value counts and total (computed in the engine)."""
    if total < thresholds.min_sample_size:
        return DriftVerdict(
            True,
            "categorical",
            total,
            reasons=(f"only {total} non-null rows (< {thresholds.min_sample_size}): not judged",),
        )
    known = {str(v): i for i, v in enumerate(profile.values)}
    counts = [0] * len(profile.values)
    other = 0
    for value, count in value_counts.items():
        index = known.get(str(value))
        if index is None:
            other += int(count)
        else:
            counts[index] += int(count)
    other += max(total - sum(counts) - other, 0)  # values beyond the counted top-N
    expected = (*profile.weights, max(1.0 - sum(profile.weights), 0.0))
    observed_counts = (*counts, other)
    observed = tuple(c / total for c in observed_counts)
    value = psi(expected, observed)
    stat, p = chi2_two_sample(expected, profile.count, observed_counts)
    reasons = []
    if thresholds.psi is not None and value > thresholds.psi:
        reasons.append(f"PSI {value:.3f} > {thresholds.psi}")
    if thresholds.chi2_pvalue is not None and p < thresholds.chi2_pvalue:
        reasons.append(f"chi-square p-value {p:.2g} < {thresholds.chi2_pvalue}")
    labels = (*(str(v) for v in profile.values), OTHER)
    return DriftVerdict(not reasons, "categorical", total, psi=value, chi2_statistic=stat, chi2_pvalue=p,
                        reasons=tuple(reasons), expected_weights=expected, observed_weights=observed,
                        labels=labels)  # fmt: skip
