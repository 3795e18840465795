"""INT_R04: the free slots open to the SAS, as the guide's `searchset` Bundle (profile sas-cpts-bundle-aggregator).

One Schedule and one PractitionerRole per professional and place (the guide's FAQ: "1 agenda pour 1 lieu de
consultation"), the Location contained in the PractitionerRole, one HealthcareService and one Organization per CPTS
(the cell's territory whose FINESS the CPTS holds). A fixed number of queries whatever the number of slots.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import RequesterType
from agenda.models import Slot
from directory.models import Profession, Professional, Site
from referrals.models import CareChannel, ExamType, Modality
from territory.models import Commune, Territory

from . import codes
from .search import PARIS, SlotSearch

# How the care is given, in the guide's ActEncounterCode subset: AMB at a practice, HH at home, VR remote.
SERVICE_TYPE = {
    Modality.IN_PERSON: "AMB",
    Modality.MEDICOBUS: "AMB",
    Modality.HOME_VISIT: "HH",
    Modality.ASSISTED_TELECONSULTATION: "VR",
}


def base_url() -> str:
    return settings.AIGUILLAGE_BASE_URL.rstrip("/") + "/fhir"


def sas_slots(search: SlotSearch) -> QuerySet[Slot]:
    """Free slots of the professionals searched, open to SAS regulators, in the window. An assisted teleconsultation
    needs a spot's time and a teleconsultant's booked together: the SAS cannot book those, they are left out. The
    professionals are looked up first (a handful of ids), so that the slots are read by the (professional, start)
    index."""
    who = Q()
    if search.rpps:
        who |= Q(rpps__in=search.rpps)
    if search.adeli:
        who |= Q(adeli__in=search.adeli)
    professionals = list(Professional.objects.filter(who, is_active=True).values_list("pk", flat=True))
    return (
        Slot.objects.filter(
            Q(site__isnull=False) | Q(commune__isnull=False),  # a place to give as the Location (line, city, code)
            professional_id__in=professionals,
            starts_at__gte=search.starts_from,
            starts_at__lte=search.starts_until,
        )
        .with_place_left()
        .open_to(RequesterType.SAS_REGULATOR)
        .exclude(modality=Modality.ASSISTED_TELECONSULTATION)
        .order_by("starts_at", "pk")
    )


def slot_booking_url(slot_id: int) -> str:
    """Where a regulator books this slot in Aiguillage (the SAS platform adds `origin=sas` itself)."""
    return settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse("interop:sas_slot", kwargs={"slot_id": slot_id})


def _phone(value: Any) -> str:
    return str(value) if value else ""


def _national_id(professional: Any) -> str:
    return codes.national_ps_id(rpps=professional.rpps, adeli=professional.adeli)


def _place_key(slot: Any) -> str:
    """A professional's consultation place: the site, or a Médicobus stop (commune and place) of it."""
    if slot.commune_id is not None:
        return f"s{slot.site_id or 0}-c{slot.commune_id}"
    return f"s{slot.site_id or 0}"


def schedule_id(slot: Any) -> str:
    return f"p{slot.professional_id}-{_place_key(slot)}"


def _location(slot: Any) -> dict[str, Any]:
    site = slot.site
    commune = slot.commune if slot.commune_id is not None else (site.commune if site is not None else None)
    line = (
        (slot.place if slot.commune_id is not None else "")
        or (site.address if site else "")
        or (site.name if site else "")
    )
    address: dict[str, Any] = {"line": [line or (commune.name if commune else "")]}
    if commune is not None:
        address["city"] = commune.name
        if commune.postal_codes:
            address["postalCode"] = commune.postal_codes.split()[0]
    location: dict[str, Any] = {
        "resourceType": "Location",
        "id": "lieu",
        "meta": {"profile": [codes.PROFILE_LOCATION]},
        "identifier": [
            {
                "type": {"coding": [{"system": codes.LOCATION_IDENTIFIER_TYPE, "code": "INTRN"}]},
                "system": codes.OWN + "place",
                "value": _place_key(slot),
            }
        ],
        "address": address,
    }
    if site is not None:
        location["name"] = site.name
    return location


def _practitioner(professional: Any) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": _national_id(professional),
        "meta": {"profile": [codes.PROFILE_PRACTITIONER]},
        "identifier": [codes.practitioner_identifier(_national_id(professional))],
        "name": [{"family": professional.last_name, "given": [professional.first_name]}],
    }


def _practitioner_role(slot: Any) -> dict[str, Any]:
    professional, site = slot.professional, slot.site
    assert professional is not None  # the search is by professional
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": schedule_id(slot),
        "meta": {"profile": [codes.PROFILE_PRACTITIONER_ROLE]},
        "contained": [_location(slot)],
        "practitioner": {"reference": f"Practitioner/{_national_id(professional)}"},
        "location": [{"reference": "#lieu"}],
    }
    if site is not None and site.finess:
        role["organization"] = {
            "identifier": {
                # The profile fixes interopsante's system here (the CPTS Organization uses FR Core's).
                "type": {"coding": [{"system": codes.INTEROPSANTE_V2_0203, "code": "IDNST"}]},
                "system": codes.IDNST,
                "value": "1" + site.finess,
            }
        }
    phone = _phone(site.phone if site is not None else "") or _phone(professional.phone)
    if phone:
        role["telecom"] = [{"system": "phone", "value": phone}]
    return role


def _schedule(slot: Any) -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": schedule_id(slot),
        "meta": {"profile": [codes.PROFILE_SCHEDULE]},
        "actor": [
            {"reference": f"Practitioner/{_national_id(slot.professional)}"},
            {"reference": f"PractitionerRole/{schedule_id(slot)}"},
        ],
    }


def _organization(territory: Territory) -> dict[str, Any]:
    organization: dict[str, Any] = {
        "resourceType": "Organization",
        "id": f"cpts-{territory.pk}",
        "meta": {"profile": [codes.PROFILE_ORGANIZATION]},
        "identifier": [
            {
                "type": {"coding": [{"system": codes.FR_CORE_V2_0203, "code": "IDNST"}]},
                "system": codes.IDNST,
                "value": "1" + territory.finess,
            }
        ],
        "name": territory.name,
    }
    if territory.cell.phone:
        organization["telecom"] = [{"system": "phone", "value": _phone(territory.cell.phone)}]
    return organization


def _healthcare_service(territory: Territory) -> dict[str, Any]:
    return {
        "resourceType": "HealthcareService",
        "id": f"cpts-{territory.pk}",
        "meta": {"profile": [codes.PROFILE_HEALTHCARE_SERVICE]},
        "providedBy": {"reference": f"Organization/cpts-{territory.pk}"},
    }


def _security(slot: Any) -> list[dict[str, str]]:
    """TRE_R314: always CPTS (the cell's shared agenda) and SNP (regulators and coordinators may book it); PRO when
    other professionals may book it directly. Never PUBLIC: patients do not book SNP slots themselves."""
    found = ["SNP", "CPTS"]
    if slot.open_to_pharmacists or slot.open_to_gps or slot.open_to_er:
        found.insert(0, "PRO")
    return [{"system": codes.TYPE_CRENEAU, "code": code} for code in found]


def _specialty(professional: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if professional.profession == Profession.GP:
        found.append({"coding": [{"system": codes.SPECIALITE_ORDINALE, "code": codes.GENERAL_MEDICINE}]})
    else:
        found.append({"text": str(Profession(professional.profession).label)})
    if professional.specialty:
        found.append({"text": professional.specialty})
    return found


def _instant(moment: Any) -> str:
    return timezone.localtime(moment, PARIS).isoformat(timespec="seconds")


class _Instants:
    """`_instant` for the many times of one answer: Paris's offset is a whole number of hours and changes only on a
    UTC hour (the March and October clock changes, at 01:00 UTC), so each UTC hour's local date, hour and offset are
    formatted once, and each time adds its minutes and seconds. The same strings as `_instant` (the tests compare them
    on any day), in less than half its time."""

    def __init__(self) -> None:
        self._hours: dict[tuple[int, int, int, int], tuple[str, str] | None] = {}

    def __call__(self, moment: Any) -> str:
        if moment.tzinfo is not UTC:
            if moment.tzinfo is None:
                return _instant(moment)  # refused there, as localtime refuses a naive time
            moment = moment.astimezone(UTC)
        key = (moment.year, moment.month, moment.day, moment.hour)
        if key not in self._hours:
            start = _instant(moment.replace(minute=0, second=0, microsecond=0))  # e.g. 2026-03-29T03:00:00+02:00
            whole = start[13:19] == ":00:00" and len(start) == 25  # a whole-hour offset, a four-digit year
            self._hours[key] = (start[:13], start[19:]) if whole else None
        parts = self._hours[key]
        if parts is None:
            return _instant(moment)
        return f"{parts[0]}:{moment.minute:02d}:{moment.second:02d}{parts[1]}"


class _Labels:
    """What every slot of one answer repeats, computed once: care labels (a lazy translation is costly to render),
    a professional's specialty, the booking address's pattern, the times' hours and offsets."""

    def __init__(self) -> None:
        self.instant = _Instants()
        self._care: dict[tuple[str, str], str] = {}
        self._specialty: dict[int, list[dict[str, Any]]] = {}
        marker = 987654321
        self.booking = slot_booking_url(marker).replace(str(marker), "{}")

    def care(self, slot: Any) -> str:
        key = (slot.care_channel, slot.exam_type)
        if key not in self._care:
            care = str(CareChannel(slot.care_channel).label)
            self._care[key] = f"{care} — {ExamType(slot.exam_type).label}" if slot.exam_type else care
        return self._care[key]

    def specialty(self, professional: Any) -> list[dict[str, Any]]:
        if professional.pk not in self._specialty:
            self._specialty[professional.pk] = _specialty(professional)
        return self._specialty[professional.pk]


def _slot(slot: Any, territories: list[Territory], labels: _Labels) -> dict[str, Any]:
    service_types: list[dict[str, Any]] = [
        {"coding": [{"system": codes.ACT_CODE, "code": SERVICE_TYPE[Modality(slot.modality)]}]}
    ]
    for territory in territories:
        service_types.append(
            {
                "extension": [
                    {
                        "url": codes.SERVICE_TYPE_R5,
                        "valueReference": {"reference": f"HealthcareService/cpts-{territory.pk}"},
                    }
                ],
                "coding": [{"system": codes.CATEGORIE_ETABLISSEMENT, "code": codes.CPTS_CATEGORY}],
            }
        )
    service_types.append({"text": labels.care(slot)})
    return {
        "resourceType": "Slot",
        "id": str(slot.pk),
        "meta": {"profile": [codes.PROFILE_SLOT], "security": _security(slot)},
        "serviceType": service_types,
        "specialty": labels.specialty(slot.professional),
        "appointmentType": {"coding": [{"system": codes.APPOINTMENT_REASON, "code": "ROUTINE"}]},
        "schedule": {"reference": f"Schedule/{schedule_id(slot)}"},
        "status": "free",
        "start": labels.instant(slot.starts_at),
        "end": labels.instant(slot.ends_at),
        "comment": labels.booking.format(slot.pk),
    }


def _territories_by_slot(slots: list[Any]) -> dict[int, list[Territory]]:
    """The CPTS of each slot: the cell's territories with a FINESS whose communes hold the slot's place; all of the
    cell's when none does (a slot just outside the territory is still the CPTS's offer). Two queries."""
    cell_ids = {slot.cell_id for slot in slots}
    territories = [
        territory
        # The SAS reads 1 + nine digits: a Corsican FINESS (2A, 2B) cannot be sent as the guide defines it.
        for territory in Territory.objects.filter(cell_id__in=cell_ids)
        .exclude(finess="")
        .select_related("cell")
        .order_by("pk")
        if territory.finess.isdecimal()
    ]
    by_cell: dict[int, list[Territory]] = defaultdict(list)
    for territory in territories:
        by_cell[territory.cell_id].append(territory)
    places = {slot.commune_id or (slot.site.commune_id if slot.site else None) for slot in slots} - {None}
    holding: dict[int, set[int]] = defaultdict(set)
    if places and territories:
        links = Territory.communes.through.objects.filter(
            territory_id__in=[t.pk for t in territories], commune_id__in=places
        ).values_list("commune_id", "territory_id")
        for commune_id, territory_id in links:
            holding[commune_id].add(territory_id)
    found: dict[int, list[Territory]] = {}
    for slot in slots:
        place = slot.commune_id or (slot.site.commune_id if slot.site else None)
        of_cell = by_cell.get(slot.cell_id, [])
        local = [t for t in of_cell if t.pk in holding.get(place or 0, set())]
        found[slot.pk] = local or of_cell
    return found


def _link(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params, doseq=True, safe=':|,')}"


def _page_params(query: Any, page: int) -> dict[str, list[str]]:
    params = {key: query.getlist(key) for key in query if key != "_page"}
    # The offset's `+` may have come decoded as a space: give it back as sent by the guide's example.
    if "start" in params:
        params["start"] = [value.replace(" ", "+") for value in params["start"]]
    if page > 1:
        params["_page"] = [str(page)]
    return params


_ROW = (
    "pk",
    "cell_id",
    "professional_id",
    "site_id",
    "commune_id",
    "place",
    "starts_at",
    "ends_at",
    "care_channel",
    "exam_type",
    "modality",
    "open_to_pharmacists",
    "open_to_gps",
    "open_to_er",
)


def _page(matching: QuerySet[Slot], offset: int, count: int) -> list[Any]:
    """The page's slots as light rows, with their professional, site and stop commune attached: each distinct
    professional and site is read once (a page has hundreds of slots of a few dozen people and places)."""
    rows = [SimpleNamespace(**row) for row in matching.values(*_ROW)[offset : offset + count]]
    professionals = Professional.objects.in_bulk({row.professional_id for row in rows})
    sites = Site.objects.select_related("commune").in_bulk({row.site_id for row in rows} - {None})
    communes = Commune.objects.in_bulk({row.commune_id for row in rows} - {None})
    for row in rows:
        row.professional = professionals[row.professional_id]
        row.site = sites.get(row.site_id)
        row.commune = communes.get(row.commune_id)
    return rows


def slot_bundle(search: SlotSearch, query: Any) -> dict[str, Any]:
    """The searchset: the page's slots (mode match), then what they include (mode include), each once."""
    matching = sas_slots(search)
    offset = (search.page - 1) * search.count
    slots = _page(matching, offset, search.count) if search.count else []
    # A first page that is not full holds them all: no need to count them again.
    total = len(slots) if offset == 0 and len(slots) < search.count else matching.count()
    base = base_url()
    entries: list[dict[str, Any]] = []
    territories = _territories_by_slot(slots) if slots else {}
    labels = _Labels()
    for slot in slots:
        resource = _slot(slot, territories.get(slot.pk, []), labels)
        entries.append({"fullUrl": f"{base}/Slot/{slot.pk}", "resource": resource, "search": {"mode": "match"}})
    included: dict[str, dict[str, Any]] = {}

    def include(key: str, build: Any, *args: Any) -> None:
        if key not in included:  # each resource built once, however many slots share it
            included[key] = build(*args)

    for slot in slots:
        if search.include_schedule:
            include(f"Schedule/{schedule_id(slot)}", _schedule, slot)
        if search.include_actors:
            include(f"Practitioner/{_national_id(slot.professional)}", _practitioner, slot.professional)
            include(f"PractitionerRole/{schedule_id(slot)}", _practitioner_role, slot)
        for territory in territories.get(slot.pk, []) if search.include_service else []:
            include(f"HealthcareService/cpts-{territory.pk}", _healthcare_service, territory)
            if search.include_organization:
                include(f"Organization/cpts-{territory.pk}", _organization, territory)
    for key, resource in included.items():
        entries.append({"fullUrl": f"{base}/{key}", "resource": resource, "search": {"mode": "include"}})
    path = f"{base}/Slot"
    links = [{"relation": "self", "url": _link(path, _page_params(query, search.page))}]
    if search.count and offset + search.count < total:
        links.append({"relation": "next", "url": _link(path, _page_params(query, search.page + 1))})
    if search.page > 1:
        links.append({"relation": "previous", "url": _link(path, _page_params(query, search.page - 1))})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [codes.PROFILE_BUNDLE], "lastUpdated": timezone.now().isoformat(timespec="seconds")},
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries,
    }
