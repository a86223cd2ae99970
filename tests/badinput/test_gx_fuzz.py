"""GX validation results that are not what the reader expects: other GX versions' shapes, missing fields,
mistyped fields (generated from the shapes GX documents), plus hypothesis fuzzing of the reader. Every
case ends in a list of failed expectations, or in one ConfigError line; never a traceback."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.errors import EXIT_USAGE, HeadwaterError
from headwater.trace.gx_results import failed_expectations, read_validation_result
from tests.badinput.corpus import WRONG_VALUES

Json = dict[str, Any]


def _gx1_suite() -> Json:
    """A GX 1.x suite validation result (`ExpectationSuiteValidationResult.to_json_dict()`)."""
    return {
        "success": False,
        "suite_name": "marts",
        "statistics": {"evaluated_expectations": 2, "successful_expectations": 1},
        "results": [
            {
                "success": True,
                "expectation_config": {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": "id"},
                    "meta": {},
                },
                "result": {"element_count": 10, "unexpected_count": 0},
                "exception_info": {"raised_exception": False, "exception_message": None},
            },
            {
                "success": False,
                "expectation_config": {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "amount", "batch_id": "warehouse-marts.orders"},
                    "meta": {"owner": "x"},
                },
                "result": {"element_count": 10, "unexpected_count": 3, "partial_unexpected_list": [None]},
                "exception_info": {"raised_exception": False, "exception_message": None},
            },
        ],
        "meta": {
            "batch_spec": {"table_name": "orders", "schema_name": "marts"},
            "active_batch_definition": {"datasource_name": "warehouse", "data_asset_name": "marts.orders"},
        },
    }


def _gx0_suite() -> Json:
    """GX 0.x (0.15-0.18): `expectation_type` and `expectation_suite_name` in meta; batch_kwargs in 0.13."""
    suite = _gx1_suite()
    for item in suite["results"]:
        item["expectation_config"]["expectation_type"] = item["expectation_config"].pop("type")
    suite.pop("suite_name")
    suite["meta"]["expectation_suite_name"] = "marts"
    suite["meta"]["batch_kwargs"] = {"table": "orders", "schema": "marts"}
    suite["meta"]["great_expectations_version"] = "0.18.12"
    return suite


def _describe() -> Json:
    """GX 1.x `describe_dict()`: the batch is only named by `kwargs.batch_id`."""
    return {
        "validation_results": [
            {
                "expectations": [
                    {
                        "expectation_type": "expect_column_values_to_not_be_null",
                        "kwargs": {"column": "amount", "batch_id": "warehouse-marts.orders"},
                        "success": False,
                        "result": {"unexpected_count": 3},
                    },
                ]
            }
        ]
    }


SHAPES: dict[str, Json] = {
    "gx1-suite": _gx1_suite(),
    "gx1-checkpoint": {"run_results": {"vr-1": {"validation_result": _gx1_suite(), "actions_results": {}}}},
    "gx1-checkpoint-list": {"success": False, "validation_results": [_gx1_suite()]},
    "gx0-suite": _gx0_suite(),
    "gx0-checkpoint": {"run_results": {"vr-1": {"validation_result": _gx0_suite()}}, "checkpoint_config": {}},
    "gx1-describe": _describe(),
}


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path of `data`, lists entered by index."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _edit(data: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        parent.pop(path[-1]) if isinstance(parent, dict) else parent.__delitem__(path[-1])
    else:
        parent[path[-1]] = value
    return data


def _cases() -> Iterator[tuple[str, bytes]]:
    for shape, doc in SHAPES.items():
        yield f"{shape}-as-is", orjson.dumps(doc)
        text = orjson.dumps(doc)
        for i in (1, 3, 5, 7, 9):
            yield f"{shape}-truncated-{i}", text[: len(text) * i // 10]
        for path in _paths(doc):
            name = ".".join(str(p) for p in path)
            yield f"{shape}-{name}-deleted", orjson.dumps(_edit(doc, path, None, delete=True))
            for label in ("none", "list", "str"):
                yield f"{shape}-{name}-{label}", orjson.dumps(_edit(doc, path, WRONG_VALUES[label]))
    yield "empty-file", b""
    yield "json-null", b"null"
    yield "json-array-of-numbers", b"[1, 2]"
    yield "no-result-inside", b'{"hello": {"world": []}}'


CASES = list(_cases())


def test_the_gx_corpus_is_large_enough() -> None:
    assert len(CASES) >= 200
    assert len({name for name, _ in CASES}) == len(CASES)


def _read(raw: bytes, tmp_path: Path | None = None) -> None:
    """What `headwater trace <result.json>` reads first: the file (with `tmp_path`), else the parsed JSON."""
    try:
        if tmp_path is not None:
            (tmp_path / "result.json").write_bytes(raw)
            found = read_validation_result(tmp_path / "result.json")
        else:
            found = failed_expectations(orjson.loads(raw)) or []
        for failed in found:
            assert isinstance(failed.expectation_type, str)
            failed.unexpected_count  # noqa: B018 - reading it must not raise either
    except HeadwaterError as err:
        assert "\n" not in str(err) and str(err)
        assert err.exit_code == EXIT_USAGE


@pytest.mark.parametrize("raw", [raw for _, raw in CASES], ids=[name for name, _ in CASES])
def test_gx_result_case_ends_in_a_result_or_one_line(raw: bytes, tmp_path: Path) -> None:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        _read(raw, tmp_path)  # not JSON: the file reader's one line
    else:
        _read(raw)


def test_the_real_shapes_give_their_failure() -> None:
    for doc in SHAPES.values():
        found = failed_expectations(doc)
        assert found is not None and [f.expectation_type for f in found] == ["expect_column_values_to_not_be_null"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
PATHS = [(shape, path) for shape, doc in SHAPES.items() for path in _paths(doc)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3))
def test_gx_result_reader_never_crashes(edits: list[tuple[tuple[str, tuple[Any, ...]], Any]]) -> None:
    shape = edits[0][0][0]
    doc: Any = SHAPES[shape]
    for (other, path), value in edits:
        if other == shape:
            try:
                doc = _edit(doc, path, value)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier edit removed or retyped the path
    _read(orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS))  # an edit may key a dict by a number
