"""Every fault of the example by id: the marts' faults (`faults.FAULTS`), their variants with no declared
type (`faults.UNTYPED`) and the ML stage's (`ml_faults`, checked by expectations/ml). Its own module because
the ML faults are built from the marts' fault types."""

from __future__ import annotations

from headwater.errors import ConfigError, suggest
from headwater.example.faults import FAULTS, UNTYPED, Fault
from headwater.example.ml_faults import ML_FAULT_MAP


def get_fault(fault_id: str) -> Fault:
    known = {**FAULTS, **UNTYPED, **ML_FAULT_MAP}
    if fault_id not in known:
        raise ConfigError(
            f"unknown fault {fault_id!r}.{suggest(fault_id, known)} `headwater example faults` lists them."
        )
    return known[fault_id]
