"""Warehouse access: the only package that sends SQL. Read-only, guarded, every statement a Probe.

    >>> from headwater.warehouse import from_url
    >>> from_url("duckdb:///warehouse.duckdb").dialect
    'duckdb'
"""

from __future__ import annotations

from headwater.warehouse.config import WarehouseConfig, from_profile, from_url
from headwater.warehouse.connection import Probe, ProbeError, ProbeResult, Warehouse, connect
from headwater.warehouse.guard import ensure_select, render

__all__ = [
    "Probe",
    "ProbeError",
    "ProbeResult",
    "Warehouse",
    "WarehouseConfig",
    "connect",
    "ensure_select",
    "from_profile",
    "from_url",
    "render",
]
