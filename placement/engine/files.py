"""The instance and plan files (docs/placement.md): read with a clear error naming the item at fault, written back."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .model import CHANNELS, EXAM_TYPES, MODALITIES, URGENCIES, Instance, Plan, Request, Slot

MAX_CAPACITY = 10_000  # patients in one slot: far above any real one, far below what 64-bit arithmetic holds


class InstanceError(ValueError):
    """The instance file cannot be read; the message (in French, for the cells) names the item and the field."""


def _field(item: dict[str, Any], name: str, where: str, *, required: bool = True) -> Any:
    if name not in item or item[name] is None:
        if required:
            raise InstanceError(f"{where} : le champ '{name}' manque")
        return None
    return item[name]


def _number(item: dict[str, Any], name: str, where: str, low: float, high: float) -> float:
    value = _field(item, name, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InstanceError(f"{where} : '{name}' doit être un nombre de {low} à {high}, pas {value!r}")
    return float(value)


def _moment(item: dict[str, Any], name: str, where: str) -> datetime:
    value = _field(item, name, where)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise InstanceError(f"{where} : '{name}' n'est pas une date et heure ISO 8601 : {value!r}") from error
    if moment.tzinfo is None:
        raise InstanceError(
            f"{where} : '{name}' doit porter son décalage UTC (ex. 2026-12-01T09:00:00+01:00) : {value!r}"
        )
    return moment


def _choice(item: dict[str, Any], name: str, where: str, allowed: frozenset[str], *, required: bool = True) -> str:
    value = _field(item, name, where, required=required)
    if value is None:
        return ""
    if not isinstance(value, str) or value not in allowed:
        raise InstanceError(f"{where} : {name} inconnu {value!r} (valeurs admises : {', '.join(sorted(allowed))})")
    return str(value)


def _id(item: dict[str, Any], where: str, seen: set[str]) -> str:
    value = _field(item, "id", where)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise InstanceError(f"{where} : 'id' doit être un texte ou un nombre")
    if str(value) in seen:
        raise InstanceError(f"{where} : l'id {value!r} apparaît deux fois")
    seen.add(str(value))
    return str(value)


def _item(item: Any, where: str, seen: set[str]) -> tuple[str, str]:
    """An object of the list, with its id: its id and how messages name it ("slots[3] (id s7)")."""
    if not isinstance(item, dict):
        raise InstanceError(f"{where} : un objet JSON est attendu")
    identifier = _id(item, where, seen)
    return identifier, f"{where} (id {identifier})"


def _request(item: Any, index: int, seen: set[str]) -> Request:
    identifier, where = _item(item, f"requests[{index}]", seen)
    urgency = _field(item, "urgency", where)
    if isinstance(urgency, bool) or not isinstance(urgency, int) or urgency not in URGENCIES:
        raise InstanceError(f"{where} : 'urgency' doit valoir 1, 2 ou 3, pas {urgency!r}")
    modalities = _field(item, "modalities", where)
    if not isinstance(modalities, list) or not modalities:
        raise InstanceError(f"{where} : 'modalities' doit être une liste non vide")
    for modality in modalities:
        if not isinstance(modality, str) or modality not in MODALITIES:
            raise InstanceError(
                f"{where} : modalité inconnue {modality!r} (valeurs admises : {', '.join(sorted(MODALITIES))})"
            )
    channel = _choice(item, "channel", where, CHANNELS)
    exam_type = _choice(item, "exam_type", where, EXAM_TYPES, required=channel == "imaging")
    max_km = _field(item, "max_km", where, required=False)
    return Request(
        id=identifier,
        lat=_number(item, "lat", where, -90, 90),
        lon=_number(item, "lon", where, -180, 180),
        deadline=_moment(item, "deadline", where),
        urgency=int(urgency),
        channel=channel,
        exam_type=exam_type,
        modalities=frozenset(modalities),
        max_km=None if max_km is None else _number(item, "max_km", where, 0, 40_000),
        received_at=_moment(item, "received_at", where),
    )


def _slot(item: Any, index: int, seen: set[str]) -> Slot:
    identifier, where = _item(item, f"slots[{index}]", seen)
    capacity = _field(item, "capacity", where)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise InstanceError(f"{where} : 'capacity' doit être un entier de 1 à {MAX_CAPACITY}, pas {capacity!r}")
    tier = _field(item, "tier", where)
    if tier not in (0, 1, 2) or isinstance(tier, bool):
        raise InstanceError(f"{where} : 'tier' doit valoir 0, 1 ou 2, pas {tier!r}")
    channel = _choice(item, "channel", where, CHANNELS)
    return Slot(
        id=identifier,
        lat=_number(item, "lat", where, -90, 90),
        lon=_number(item, "lon", where, -180, 180),
        start=_moment(item, "start", where),
        channel=channel,
        exam_type=_choice(item, "exam_type", where, EXAM_TYPES, required=channel == "imaging"),
        modality=_choice(item, "modality", where, MODALITIES),
        capacity=capacity,
        tier=int(tier),
    )


def instance_from_json(text: str) -> Instance:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstanceError(f"JSON invalide : {error.msg} (ligne {error.lineno}, colonne {error.colno})") from error
    if not isinstance(data, dict):
        raise InstanceError("l'instance doit être un objet JSON avec now, requests et slots")
    for name in ("requests", "slots"):
        if not isinstance(data.get(name), list):
            raise InstanceError(f"'{name}' doit être une liste")
    now = _moment(data, "now", "l'instance")
    requests_seen: set[str] = set()
    slots_seen: set[str] = set()
    return Instance(
        now=now,
        requests=tuple(_request(item, index, requests_seen) for index, item in enumerate(data["requests"])),
        slots=tuple(_slot(item, index, slots_seen) for index, item in enumerate(data["slots"])),
    )


def plan_to_json(plan: Plan) -> str:
    return json.dumps(
        {
            "assignments": [{"request": request, "slot": slot} for request, slot in plan.assignments],
            "objective": {
                "urgency_in_deadline": plan.objective.urgency_in_deadline,
                "placed": plan.objective.placed,
                "km": round(plan.objective.km, 3),
                "tier": plan.objective.tier,
            },
            "seconds": round(plan.seconds, 4),
        },
        indent=2,
    )
