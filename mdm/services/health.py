"""Liveness and readiness of the hub for the API's probes."""

from __future__ import annotations

import logging
from typing import Any

from mdm.services.store_admin import schema_status

log = logging.getLogger(__name__)


def readiness(engine: Any) -> tuple[bool, str]:
    """(ready, why): the store answers and its schema is at the code's head revision."""
    try:
        current, head = schema_status(engine)
    except Exception as exc:  # noqa: BLE001 - any driver error means "not ready"
        log.warning("store not reachable: %s", type(exc).__name__)
        return False, f"store not reachable ({type(exc).__name__})"
    if current != head:
        return False, f"store schema is {current or 'empty'}, the code needs {head}: run `mdm init`"
    return True, f"store schema {head}"
