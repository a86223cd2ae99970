from __future__ import annotations

import pytest

from tests.lineage.golden import FIXTURES, read_cases, render, run_case

CASES = [case for path in sorted(FIXTURES.glob("*.sql")) for case in read_cases(path)]


def test_fixture_file_has_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "qualified"])
@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_golden(case, fast: bool) -> None:  # type: ignore[no-untyped-def]
    assert render(run_case(case, fast)) == case.expected
