"""What the directory answers the territory (decision 0016)."""

from __future__ import annotations

from typing import Any

from territory.models import Cell, Commune

from .selectors import records_in_commune


def commune_leaving_records(sender: Any, cell: Cell, commune: Commune, **kwargs: Any) -> list[str]:
    """The cell's sites and resources in the commune that would leave its territory."""
    return records_in_commune(cell, commune)
