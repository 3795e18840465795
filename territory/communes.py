"""Reading the reference list of communes and loading it into the database (idempotent)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.text import normalize

COMMUNES_CSV = Path(__file__).resolve().parent / "data" / "communes.csv"


@dataclass(frozen=True)
class CommuneRow:
    insee_code: str
    name: str
    postal_codes: str
    department: str
    region: str
    population: int | None
    latitude: float | None
    longitude: float | None


def _optional_float(value: str) -> float | None:
    return float(value) if value.strip() else None


def read_communes(path: Path = COMMUNES_CSV) -> Iterator[CommuneRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        for line in csv.DictReader(handle):
            yield CommuneRow(
                insee_code=line["insee_code"].strip(),
                name=line["name"].strip(),
                postal_codes=" ".join(line["postal_codes"].split()),
                department=line["department"].strip(),
                region=line["region"].strip(),
                population=int(line["population"]) if line["population"].strip() else None,
                latitude=_optional_float(line["latitude"]),
                longitude=_optional_float(line["longitude"]),
            )


def load_communes(commune_model: Any, path: Path = COMMUNES_CSV, batch_size: int = 2000) -> tuple[int, int]:
    """Insert new communes and update changed ones. Takes the model as an argument so a migration can call it.

    Returns (created, updated).
    """
    existing = {c.insee_code: c for c in commune_model.objects.all()}
    fields = [
        "name",
        "search_name",
        "postal_codes",
        "department",
        "region",
        "population",
        "latitude",
        "longitude",
    ]
    to_create, to_update = [], []
    for row in read_communes(path):
        values = {
            "name": row.name,
            "search_name": normalize(row.name),
            "postal_codes": row.postal_codes,
            "department": row.department,
            "region": row.region,
            "population": row.population,
            "latitude": row.latitude,
            "longitude": row.longitude,
        }
        current = existing.get(row.insee_code)
        if current is None:
            to_create.append(commune_model(insee_code=row.insee_code, **values))
        elif any(getattr(current, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(current, field, value)
            to_update.append(current)
    commune_model.objects.bulk_create(to_create, batch_size=batch_size)
    commune_model.objects.bulk_update(to_update, fields, batch_size=batch_size)
    return len(to_create), len(to_update)
