"""The priority neighbourhoods of the city policy (QPV, 2024 list) by commune, read from the file shipped in
`territory/data/qpv2024.csv` (its source and limits: `territory/data/qpv2024.md`). Plain Python, read once."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "qpv2024.csv"


@dataclass(frozen=True)
class Qpv:
    code: str  # the ANCT code, e.g. QN06101M
    name: str
    commune: str  # INSEE code of the commune that holds it
    commune_name: str
    department: str


@cache
def qpvs() -> tuple[Qpv, ...]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Qpv(row["code_qp"], row["lib_qp"], row["insee_com"], row["lib_com"], row["insee_dep"])
            for row in csv.DictReader(handle)
        )


@cache
def qpv_by_commune() -> dict[str, tuple[Qpv, ...]]:
    found: dict[str, list[Qpv]] = {}
    for qpv in qpvs():
        found.setdefault(qpv.commune, []).append(qpv)
    return {commune: tuple(listed) for commune, listed in found.items()}


@cache
def communes_with_qpv() -> frozenset[str]:
    """INSEE codes of the communes that hold at least one QPV (of the departments the file covers)."""
    return frozenset(qpv_by_commune())


@cache
def departments() -> frozenset[str]:
    """The departments the shipped list covers: those with at least one QPV (all of metropolitan France, the overseas
    departments, Saint-Martin, French Polynesia). Elsewhere (Saint-Pierre-et-Miquelon, New Caledonia...) "no QPV" is
    not said."""
    return frozenset(qpv.department for qpv in qpvs())


def department_of(insee_code: str) -> str:
    """The department of a commune from its INSEE code: 2 characters, 3 overseas (97x, and 98x as `communes.csv` has
    them: French Polynesia is 987)."""
    return insee_code[:3] if insee_code.startswith(("97", "98")) else insee_code[:2]


def is_covered(insee_code: str) -> bool:
    return department_of(insee_code) in departments()
