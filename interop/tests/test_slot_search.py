"""INT_R04: the SAS platform's search of free slots (`GET /fhir/Slot`), against the ANS guide's CPTS flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agenda.models import SlotStatus
from agenda.tests.factories import make_slot
from conftest import World
from interop import codes
from tests.factories import ProfessionalFactory, SiteFactory, next_rpps

from .helpers import FHIR_SETTINGS, parse_r4b, sas_get

PARIS = ZoneInfo("Europe/Paris")
INCLUDES = (
    "_include=Slot:schedule&_include:iterate=Schedule:actor&_include=Slot:service-type-reference"
    "&_include:iterate=HealthcareService:organization"
)


@pytest.fixture(autouse=True)
def _fhir_settings(settings: Any) -> None:
    for name, value in FHIR_SETTINGS.items():
        setattr(settings, name, value)


def _future(days: int, hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(PARIS) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def _window(start: datetime, end: datetime) -> str:
    # As the guide writes it: the offset's `+` not percent-encoded (it arrives as a space).
    return f"start=ge{start.isoformat(timespec='milliseconds')}&start=le{end.isoformat(timespec='milliseconds')}"


def _search(client: Client, practitioners: list[str], start: datetime, end: datetime, extra: str = "") -> Any:
    actors = ",".join(f"{codes.IDNPS}|{value}" for value in practitioners)
    query = f"{INCLUDES}&{_window(start, end)}&schedule.actor:Practitioner.identifier={actors}&status=free{extra}"
    return sas_get(client, f"/fhir/Slot?{query}")


def _by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry)
    return found


@pytest.fixture
def cpts(world: World) -> dict[str, Any]:
    """A GP of the cell's CPTS (FINESS known) with a practice, and one free slot open to the SAS tomorrow."""
    world.territory.finess = "950047225"
    world.territory.save()
    world.cell.phone = "+33102030405"
    world.cell.save()
    site = SiteFactory(cell=world.cell, name="Maison de santé du Parc", address="25 chemin des Prés", finess="")
    doctor = ProfessionalFactory(cell=world.cell, last_name="Forêt", first_name="Pierre", phone="+33561855977")
    doctor.sites.add(site)
    slot = make_slot(
        world.cell, starts_at=_future(1, 16, 40), professional=doctor, site=site, open_to_sas=True, open_to_gps=False
    )
    return {"site": site, "doctor": doctor, "slot": slot, "id": "8" + str(doctor.rpps)}


def test_answer_has_the_structure_of_the_guides_cpts_bundle_example(client: Client, cpts: dict[str, Any]) -> None:
    """input/fsh/examples/CPTS/example-bundlecpts1.fsh: one slot of Dr Pierre Foret at a practice of a CPTS."""
    response = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset" and bundle["total"] == 1
    assert bundle["meta"]["profile"] == [codes.PROFILE_BUNDLE]
    assert [link["relation"] for link in bundle["link"]] == ["self"]
    entries = _by_type(bundle)
    # The example's entries: Slot (match), then Schedule, Practitioner, PractitionerRole, HealthcareService and
    # Organization (include), each with its profile and a full URL.
    assert {kind: len(found) for kind, found in entries.items()} == {
        "Slot": 1,
        "Schedule": 1,
        "Practitioner": 1,
        "PractitionerRole": 1,
        "HealthcareService": 1,
        "Organization": 1,
    }
    modes = {e["resource"]["resourceType"]: e["search"]["mode"] for e in bundle["entry"]}
    assert modes["Slot"] == "match" and {modes[k] for k in modes if k != "Slot"} == {"include"}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"https://aiguillage.test/fhir/{resource['resourceType']}/{resource['id']}"
    profiles = {e["resource"]["resourceType"]: e["resource"]["meta"]["profile"] for e in bundle["entry"]}
    assert profiles == {
        "Slot": ["https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-cpts-slot-aggregator"],
        "Schedule": ["http://sas.fr/fhir/StructureDefinition/FrScheduleAgregateur"],
        "Practitioner": ["http://sas.fr/fhir/StructureDefinition/FrPractitionerAgregateur"],
        "PractitionerRole": ["http://sas.fr/fhir/StructureDefinition/FrPractitionerRoleExerciceAgregateur"],
        "HealthcareService": [
            "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-cpts-healthcareservice-aggregator"
        ],
        "Organization": [
            "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-cpts-organization-aggregator"
        ],
    }

    slot = entries["Slot"][0]["resource"]
    schedule = entries["Schedule"][0]["resource"]
    practitioner = entries["Practitioner"][0]["resource"]
    role = entries["PractitionerRole"][0]["resource"]
    service = entries["HealthcareService"][0]["resource"]
    organization = entries["Organization"][0]["resource"]
    # Slot (example-slotcpts1.fsh): visibility codes, AMB, the CPTS category 604 with the R5 extension referencing
    # the HealthcareService, SM54, ROUTINE, its schedule, free, start/end with the Paris offset, the booking URL.
    type_creneau = "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
    assert {(c["system"], c["code"]) for c in slot["meta"]["security"]} == {
        (type_creneau, "SNP"),
        (type_creneau, "CPTS"),
    }
    assert slot["serviceType"][0]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}
    ]
    cpts_type = slot["serviceType"][1]
    assert cpts_type["coding"] == [
        {
            "system": "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement",
            "code": "604",
        }
    ]
    assert cpts_type["extension"] == [
        {
            "url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Slot.serviceType",
            "valueReference": {"reference": f"HealthcareService/{service['id']}"},
        }
    ]
    assert slot["specialty"][0]["coding"] == [
        {
            "system": "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale",
            "code": "SM54",
        }
    ]
    assert slot["appointmentType"]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": "ROUTINE"}
    ]
    assert slot["schedule"] == {"reference": f"Schedule/{schedule['id']}"}
    assert slot["status"] == "free"
    start = datetime.fromisoformat(slot["start"])
    assert start == cpts["slot"].starts_at and start.utcoffset() == _future(1, 16, 40).utcoffset()
    assert slot["comment"] == f"https://aiguillage.test/sas/creneaux/{cpts['slot'].pk}/"
    # Schedule (example-schedule.fsh): the Practitioner and the PractitionerRole as actors.
    assert schedule["actor"] == [
        {"reference": f"Practitioner/{practitioner['id']}"},
        {"reference": f"PractitionerRole/{role['id']}"},
    ]
    # Practitioner (example-practitioner.fsh): IDNPS = 8 + RPPS.
    assert practitioner["identifier"] == [
        {
            "type": {"coding": [{"system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": "IDNPS"}]},
            "system": "urn:oid:1.2.250.1.71.4.2.1",
            "value": cpts["id"],
        }
    ]
    assert practitioner["name"] == [{"family": "Forêt", "given": ["Pierre"]}]
    # PractitionerRole (example-practitionerrole.fsh): the Location contained and referenced, the practitioner, phone.
    assert role["practitioner"] == {"reference": f"Practitioner/{practitioner['id']}"}
    [location] = role["contained"]
    assert role["location"] == [{"reference": f"#{location['id']}"}]
    assert location["meta"]["profile"] == ["http://sas.fr/fhir/StructureDefinition/FrLocationAgregateur"]
    assert location["identifier"][0]["type"]["coding"][0] == {
        "system": "http://interopsante.org/fhir/CodeSystem/fr-location-identifier-type",
        "code": "INTRN",
    }
    site = cpts["site"]
    assert location["address"] == {
        "line": ["25 chemin des Prés"],
        "city": site.commune.name,
        "postalCode": site.commune.postal_codes.split()[0],
    }
    assert role["telecom"] == [{"system": "phone", "value": "+33561855977"}]
    # HealthcareService -> Organization: 1 + FINESS of the CPTS, IDNST, its phone.
    assert service["providedBy"] == {"reference": f"Organization/{organization['id']}"}
    assert organization["identifier"] == [
        {
            "type": {
                "coding": [{"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": "IDNST"}]
            },
            "system": "urn:oid:1.2.250.1.71.4.2.2",
            "value": "1950047225",
        }
    ]
    assert organization["name"] == "CPTS Test Orne"
    assert organization["telecom"] == [{"system": "phone", "value": "+33102030405"}]


def test_every_resource_of_the_answer_parses_with_the_r4b_models(client: Client, cpts: dict[str, Any]) -> None:
    bundle = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23)).json()
    parsed = parse_r4b(bundle)
    assert parsed.total == 1
    assert [entry.resource.__resource_type__ for entry in parsed.entry] == [
        "Slot",
        "Schedule",
        "Practitioner",
        "PractitionerRole",
        "HealthcareService",
        "Organization",
    ]
    assert parsed.entry[3].resource.contained[0].__resource_type__ == "Location"


def test_twenty_five_practitioners_in_one_search_in_a_fixed_number_of_queries(
    client: Client, world: World, cpts: dict[str, Any]
) -> None:
    doctors = [cpts["doctor"]] + [ProfessionalFactory(cell=world.cell) for _ in range(24)]
    for number, doctor in enumerate(doctors[1:], start=1):
        make_slot(world.cell, starts_at=_future(2, 8, number), professional=doctor, site=cpts["site"], open_to_sas=True)
    ids = ["8" + doctor.rpps for doctor in doctors]
    with CaptureQueriesContext(connection) as one:
        _search(client, ids[:1], _future(1, 0), _future(3, 23))
    with CaptureQueriesContext(connection) as many:
        response = _search(client, ids, _future(1, 0), _future(3, 23))
    bundle = response.json()
    assert response.status_code == 200 and bundle["total"] == 25
    assert len(_by_type(bundle)["Practitioner"]) == 25 and len(_by_type(bundle)["Schedule"]) == 25
    assert len(many.captured_queries) == len(one.captured_queries)
    parse_r4b(bundle)
    too_many = _search(client, [*ids, "8" + next_rpps()], _future(1, 0), _future(3, 23))
    assert too_many.status_code == 400
    assert "25" in parse_r4b(too_many.json()).issue[0].diagnostics


def test_unknown_practitioner_is_an_empty_searchset(client: Client, cpts: dict[str, Any]) -> None:
    response = _search(client, ["8" + next_rpps()], _future(1, 0), _future(3, 23))
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "searchset" and bundle["total"] == 0 and bundle["entry"] == []
    parse_r4b(bundle)


def test_a_window_without_slots_is_an_empty_searchset(client: Client, cpts: dict[str, Any]) -> None:
    response = _search(client, [cpts["id"]], _future(5, 0), _future(7, 23))
    assert response.status_code == 200 and response.json()["total"] == 0


@pytest.mark.parametrize(
    "start",
    [
        "start=ge2026-13-01T10:00:00%2B01:00&start=le2026-12-03T10:00:00%2B01:00",  # no 13th month
        "start=ge2026-12-01T25:00:00&start=le2026-12-03",  # no 25 o'clock
        "start=gehier&start=le2026-12-03",
        "start=ge2026-12-01",  # no end
        "start=ge2026-12-05&start=le2026-12-01",  # end before start
        "start=ge2026-12-01&start=le2027-03-01",  # too long a window
    ],
)
def test_malformed_window_is_a_400_with_an_operation_outcome(client: Client, cpts: dict[str, Any], start: str) -> None:
    actor = f"schedule.actor:Practitioner.identifier={codes.IDNPS}|{cpts['id']}"
    response = sas_get(client, f"/fhir/Slot?{start}&{actor}&status=free")
    assert response.status_code == 400
    outcome = parse_r4b(response.json())
    assert outcome.issue[0].severity == "error" and outcome.issue[0].expression == ["start"]


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("start=ge2026-12-01&start=le2026-12-02&status=free", "schedule.actor:Practitioner.identifier"),
        (
            "start=ge2026-12-01&start=le2026-12-02&status=free&schedule.actor:Practitioner.identifier=123",
            "schedule.actor:Practitioner.identifier",
        ),
        (
            "start=ge2026-12-01&start=le2026-12-02&status=free&schedule.actor:Practitioner.identifier=urn:oid:9.9|810000000001",
            "schedule.actor:Practitioner.identifier",
        ),
        ("start=ge2026-12-01&start=le2026-12-02&schedule.actor:Practitioner.identifier=810000000001", "status"),
        (
            "start=ge2026-12-01&start=le2026-12-02&status=busy&schedule.actor:Practitioner.identifier=810000000001",
            "status",
        ),
        (
            "start=ge2026-12-01&start=le2026-12-02&status=free&schedule.actor:Practitioner.identifier=810000000001&_include=Slot:everything",
            "_include",
        ),
        (
            "start=ge2026-12-01&start=le2026-12-02&status=free&schedule.actor:Practitioner.identifier=810000000001&_count=-1",
            "_count",
        ),
    ],
)
def test_other_bad_parameters_are_named(client: Client, world: World, query: str, expression: str) -> None:
    response = sas_get(client, f"/fhir/Slot?{query}")
    assert response.status_code == 400
    assert parse_r4b(response.json()).issue[0].expression == [expression]


def test_only_free_slots_open_to_the_sas_are_ever_returned(client: Client, world: World, cpts: dict[str, Any]) -> None:
    doctor, site = cpts["doctor"], cpts["site"]
    make_slot(world.cell, starts_at=_future(1, 9), professional=doctor, site=site, open_to_sas=False, open_to_gps=True)
    full = make_slot(world.cell, starts_at=_future(1, 10), professional=doctor, site=site, open_to_sas=True)
    full.booked = 1
    full.save()
    make_slot(
        world.cell,
        starts_at=_future(1, 11),
        professional=doctor,
        site=site,
        open_to_sas=True,
        status=SlotStatus.CANCELLED,
    )
    make_slot(
        world.cell,
        starts_at=_future(1, 12),
        professional=doctor,
        site=site,
        open_to_sas=True,
        modality="assisted_teleconsultation",
    )
    make_slot(world.cell, starts_at=_future(1, 14), professional=doctor, open_to_sas=True, modality="home_visit")
    gone = ProfessionalFactory(cell=world.cell, rpps=next_rpps(), is_active=False)
    make_slot(world.cell, starts_at=_future(1, 13), professional=gone, site=site, open_to_sas=True)
    bundle = _search(client, [cpts["id"], "8" + str(gone.rpps)], _future(1, 0), _future(3, 23)).json()
    assert bundle["total"] == 1
    assert [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"] == [str(cpts["slot"].pk)]


def test_the_plus_of_the_offset_decoded_as_a_space_is_understood(client: Client, cpts: dict[str, Any]) -> None:
    start, end = _future(1, 16, 40), _future(1, 17, 0)
    actor = f"schedule.actor:Practitioner.identifier={codes.IDNPS}|{cpts['id']}&status=free"
    raw = _window(start, end)  # a literal `+`: the query string decodes it as a space
    assert "+" in raw
    encoded = f"start=ge{quote(start.isoformat())}&start=le{quote(end.isoformat())}"
    for window in (raw, encoded):
        response = sas_get(client, f"/fhir/Slot?{window}&{actor}")
        assert response.status_code == 200 and response.json()["total"] == 1, window
    # 16:40 Paris is not 16:40 UTC: an offset lost would move the window and miss the slot.
    wrong = f"start=ge{start.replace(tzinfo=None).isoformat()}Z&start=le{end.replace(tzinfo=None).isoformat()}Z"
    assert sas_get(client, f"/fhir/Slot?{wrong}&{actor}").json()["total"] == 0


def test_paging_with_count_and_links(client: Client, world: World, cpts: dict[str, Any]) -> None:
    for hour in (8, 9, 10, 11):
        make_slot(
            world.cell, starts_at=_future(2, hour), professional=cpts["doctor"], site=cpts["site"], open_to_sas=True
        )
    first = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23), extra="&_count=2").json()
    assert first["total"] == 5
    matches = [e["resource"]["id"] for e in first["entry"] if e["search"]["mode"] == "match"]
    assert len(matches) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "next"}
    seen = list(matches)
    url = links["next"]
    while url:
        assert urlsplit(url).netloc == "aiguillage.test"
        page = sas_get(client, url.replace("https://aiguillage.test", "")).json()
        parse_r4b(page)
        seen += [e["resource"]["id"] for e in page["entry"] if e["search"]["mode"] == "match"]
        links = {link["relation"]: link["url"] for link in page["link"]}
        assert "previous" in links
        url = links.get("next", "")
    assert len(seen) == len(set(seen)) == 5
    starts = [world.cell.slots.get(pk=int(pk)).starts_at for pk in seen]
    assert starts == sorted(starts)
    only_total = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23), extra="&_count=0").json()
    assert only_total["total"] == 5 and only_total["entry"] == []


def test_slots_of_several_cpts_and_a_site_without_finess(client: Client, world: World, cpts: dict[str, Any]) -> None:
    """A professional in two cells' directories: one Practitioner, one Schedule per place; a cell whose CPTS has no
    FINESS publishes its slots without a HealthcareService (the guide has them 0..*)."""
    other_site = SiteFactory(cell=world.other_cell, name="Cabinet du Vignoble", finess="440000123")
    twin = ProfessionalFactory(cell=world.other_cell, rpps=cpts["doctor"].rpps, last_name="Forêt", first_name="Pierre")
    make_slot(world.other_cell, starts_at=_future(2, 9), professional=twin, site=other_site, open_to_sas=True)
    bundle = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23)).json()
    entries = _by_type(bundle)
    assert bundle["total"] == 2 and len(entries["Practitioner"]) == 1 and len(entries["Schedule"]) == 2
    assert len(entries["HealthcareService"]) == 1
    vignoble = [
        e["resource"]
        for e in entries["PractitionerRole"]
        if e["resource"]["contained"][0]["name"] == "Cabinet du Vignoble"
    ]
    assert vignoble[0]["organization"]["identifier"] == {
        "type": {"coding": [{"system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": "IDNST"}]},
        "system": "urn:oid:1.2.250.1.71.4.2.2",
        "value": "1440000123",
    }
    parse_r4b(bundle)


def test_includes_are_honoured(client: Client, cpts: dict[str, Any]) -> None:
    window = _window(_future(1, 0), _future(3, 23))
    actor = f"schedule.actor:Practitioner.identifier={codes.IDNPS}|{cpts['id']}&status=free"
    bare = sas_get(client, f"/fhir/Slot?{window}&{actor}").json()
    assert [e["resource"]["resourceType"] for e in bare["entry"]] == ["Slot"]
    schedules = sas_get(client, f"/fhir/Slot?_include=Slot:schedule&{window}&{actor}").json()
    assert [e["resource"]["resourceType"] for e in schedules["entry"]] == ["Slot", "Schedule"]


@pytest.mark.parametrize(
    ("window", "found"),
    [
        # The last Sunday of October 2026: 02:00-03:00 happens twice; a slot at 02:30 (the second time, +01:00).
        ("start=ge2026-10-25&start=le2026-10-25", True),
        ("start=ge2026-10-25T02:00:00%2B01:00&start=le2026-10-25T03:00:00%2B01:00", True),
        ("start=ge2026-10-25T02:00:00%2B02:00&start=le2026-10-25T02:45:00%2B02:00", False),  # the first 02:00-02:45
        # A whole month across the change is one window (31 Paris days), not refused for its extra hour.
        ("start=ge2026-10-01&start=le2026-10-31", True),
    ],
)
def test_windows_across_the_october_clock_change(
    client: Client, world: World, cpts: dict[str, Any], window: str, found: bool
) -> None:
    at = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 Paris, the second time (+01:00)
    assert at.astimezone(PARIS).isoformat() == "2026-10-25T02:30:00+01:00"
    make_slot(world.cell, starts_at=at, professional=cpts["doctor"], site=cpts["site"], open_to_sas=True)
    actor = f"schedule.actor:Practitioner.identifier={codes.IDNPS}|{cpts['id']}&status=free"
    response = sas_get(client, f"/fhir/Slot?{window}&{actor}")
    assert response.status_code == 200, response.json()
    starts = [e["resource"]["start"] for e in response.json()["entry"] if e["search"]["mode"] == "match"]
    assert ("2026-10-25T02:30:00+01:00" in starts) is found


def test_the_march_clock_change_day_counts_from_paris_midnight(client: Client, world: World, cpts: dict) -> None:
    # 29 March 2026: 02:00 does not exist. A day-only search of that day starts at 00:00+01:00 and ends 23:59+02:00.
    early = make_slot(
        world.cell,
        starts_at=datetime(2026, 3, 29, 0, 10, tzinfo=PARIS),
        professional=cpts["doctor"],
        site=cpts["site"],
        open_to_sas=True,
    )
    late = make_slot(
        world.cell,
        starts_at=datetime(2026, 3, 29, 23, 30, tzinfo=PARIS),
        professional=cpts["doctor"],
        site=cpts["site"],
        open_to_sas=True,
    )
    make_slot(
        world.cell,
        starts_at=datetime(2026, 3, 30, 0, 5, tzinfo=PARIS),
        professional=cpts["doctor"],
        site=cpts["site"],
        open_to_sas=True,
    )
    actor = f"schedule.actor:Practitioner.identifier={codes.IDNPS}|{cpts['id']}&status=free"
    bundle = sas_get(client, f"/fhir/Slot?start=ge2026-03-29&start=le2026-03-29&{actor}").json()
    ids = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    assert ids == [str(early.pk), str(late.pk)]
    assert [e["resource"]["start"] for e in bundle["entry"] if e["search"]["mode"] == "match"] == [
        "2026-03-29T00:10:00+01:00",
        "2026-03-29T23:30:00+02:00",
    ]


def test_a_slot_named_to_professionals_reaches_the_sas_only_when_open_to_the_sas(
    client: Client, world: World, cpts: dict[str, Any]
) -> None:
    """Decision 0017: named lists open a slot to those named, never to the SAS; the SAS flag alone does."""
    doctor, site = cpts["doctor"], cpts["site"]
    named_only = make_slot(world.cell, starts_at=_future(1, 9), professional=doctor, site=site, open_to_sas=False)
    named_only.open_to_professionals.add(ProfessionalFactory(cell=world.cell))
    named_only.open_to_sites.add(SiteFactory(cell=world.cell, kind="sas"))
    named_and_sas = make_slot(world.cell, starts_at=_future(1, 10), professional=doctor, site=site, open_to_sas=True)
    named_and_sas.open_to_professionals.add(ProfessionalFactory(cell=world.cell))
    bundle = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23)).json()
    found = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    assert found == [str(named_and_sas.pk), str(cpts["slot"].pk)]
