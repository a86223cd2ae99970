"""catalog.json as typed data: the columns and types the warehouse reported for each relation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CatalogColumn:
    name: str
    data_type: str
    index: int = 0


@dataclass(frozen=True)
class CatalogTable:
    unique_id: str
    database: str | None
    schema: str | None
    name: str
    table_type: str = ""
    columns: tuple[CatalogColumn, ...] = ()


@dataclass(frozen=True)
class Catalog:
    tables: Mapping[str, CatalogTable]  # by unique_id (nodes and sources); built on first access

    def columns(self, unique_id: str) -> tuple[CatalogColumn, ...] | None:
        table = self.tables.get(unique_id)
        return table.columns if table else None

    def column_types(self, unique_id: str) -> tuple[tuple[str, str], ...] | None:
        """(name, type) pairs in column order, without building the data classes (lineage's hot path)."""
        if isinstance(self.tables, _CatalogTables):
            data = self.tables.raw.get(unique_id)
            if data is None:
                return None
            return tuple((name, c.get("type") or "") for name, c in _ordered_columns(data))
        cols = self.columns(unique_id)
        return None if cols is None else tuple((c.name, c.data_type) for c in cols)

    def has(self, unique_id: str) -> bool:
        """Whether the catalog lists the node (without building its data class)."""
        if isinstance(self.tables, _CatalogTables):
            return unique_id in self.tables.raw
        return unique_id in self.tables

    def raw_tables(self) -> Mapping[str, Any]:
        """The catalog's tables as read from catalog.json (plain JSON values), e.g. to hash them."""
        if isinstance(self.tables, _CatalogTables):
            return self.tables.raw
        return {k: [(c.name, c.data_type, c.index) for c in t.columns] for k, t in self.tables.items()}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Catalog:
        from headwater.dbt.shape import check_catalog

        return cls(tables=_CatalogTables(dict(check_catalog(raw))))


def _ordered_columns(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, column) in the warehouse's order; a column without `name` is named by its key, as dbt keys it."""
    columns = (data.get("columns") or {}).items()
    return sorted(((c.get("name") or key, c) for key, c in columns), key=lambda item: item[1].get("index") or 0)


class _CatalogTables(Mapping[str, CatalogTable]):
    """catalog.json tables, turned into `CatalogTable`s when first read (a catalog can hold 100k columns)."""

    def __init__(self, raw: dict[str, Mapping[str, Any]]) -> None:
        self.raw = raw
        self._built: dict[str, CatalogTable] = {}

    def __getitem__(self, unique_id: str) -> CatalogTable:
        table = self._built.get(unique_id)
        if table is None:
            data = self.raw[unique_id]
            meta = data.get("metadata") or {}
            table = CatalogTable(
                unique_id=unique_id,
                database=meta.get("database"),
                schema=meta.get("schema"),
                name=meta.get("name") or "",
                table_type=meta.get("type") or "",
                columns=tuple(
                    CatalogColumn(name=name, data_type=c.get("type") or "", index=c.get("index") or 0)
                    for name, c in _ordered_columns(data)
                ),
            )
            self._built[unique_id] = table
        return table

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)
