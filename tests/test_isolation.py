"""Every URL of the project declares what it requires, and no user of one cell reaches another cell's objects.

The walk covers every URL pattern, so URLs added later are covered the day they land: a new URL with an object in
its address must say here which object it takes (OBJECTS_BY_URL), or this test fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.http import urlsafe_base64_encode

from accounts.models import Invitation
from accounts.policies import role_allows
from accounts.services import invitation_token_hash
from agenda.models import Booking, CalendarFeed
from alerts.models import Alert, AlertPolicy, Cascade
from conftest import World
from directory.models import Professional, ReorientationResource, Site
from notifications.models import Message, MessageTemplate
from placement.views import proposal_token
from referrals.models import (
    DuplicateFlag,
    DutyShift,
    ProtocolRule,
    ReferralSettings,
    RequestEvent,
    SupervisorQuestion,
    Tag,
)
from surveys.models import Questionnaire, QuestionnaireQuestion, SurveyPolicy
from territory.models import Closure
from tests.factories import UserFactory, next_rpps

# Outside any cell: Django's admin (platform administrators only, guarded by is_staff), i18n, and the JSON API, whose
# every operation requires a bearer token (api/tests/test_api.py checks it in the OpenAPI document and by calling it).
NOT_CELL_NAMESPACES = {"admin", "api_v1"}
NOT_CELL_URLS = {"set_language"}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: Callable[..., Any]
    kwargs: tuple[str, ...]


def walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from walk(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            full = prefix + str(entry.pattern)
            kwargs = tuple(sorted(set(entry.pattern.regex.groupindex) | set(_resolver_kwargs(full))))
            yield Route(name, full, entry.callback, kwargs)


def _resolver_kwargs(pattern: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", pattern)


def cell_routes() -> list[Route]:
    routes = []
    for route in walk(get_resolver().url_patterns):
        if route.name.split(":")[0] in NOT_CELL_NAMESPACES or route.name in NOT_CELL_URLS:
            continue
        routes.append(route)
    return routes


def declared_permission(callback: Callable[..., Any]) -> Any:
    view_class = getattr(callback, "view_class", None)
    return getattr(view_class, "permission", None) if view_class else getattr(callback, "permission", None)


# For each URL with an object in its address: which object of a cell it takes, per keyword.
# Address parts that name no object of a cell (a kind of message): the same in every cell.
NOT_OBJECTS = {"kind", "table", "fmt"}

OBJECTS_BY_URL: dict[str, dict[str, Callable[[World, Any], Any]]] = {
    "indicators:report_job": {"pk": lambda w, cell: cell.report_jobs.first()},
    "indicators:report_job_download": {"pk": lambda w, cell: cell.report_jobs.first()},
    "directory:site_detail": {"pk": lambda w, cell: Site.objects.filter(cell=cell).first()},
    "directory:site_update": {"pk": lambda w, cell: Site.objects.filter(cell=cell).first()},
    "directory:professional_detail": {"pk": lambda w, cell: Professional.objects.filter(cell=cell).first()},
    "directory:professional_update": {"pk": lambda w, cell: Professional.objects.filter(cell=cell).first()},
    "directory:resource_detail": {"pk": lambda w, cell: ReorientationResource.objects.filter(cell=cell).first()},
    "directory:resource_update": {"pk": lambda w, cell: ReorientationResource.objects.filter(cell=cell).first()},
    "territory:territory_detail": {"pk": lambda w, cell: cell.territories.first()},
    "territory:territory_update": {"pk": lambda w, cell: cell.territories.first()},
    "territory:territory_commune_add": {"pk": lambda w, cell: cell.territories.first()},
    "territory:closure_remove": {"pk": lambda w, cell: _closure(cell)},
    "territory:territory_commune_remove": {
        "pk": lambda w, cell: cell.territories.first(),
        "commune_pk": lambda w, cell: cell.territories.first().communes.first(),
    },
    "accounts:member_update": {"pk": lambda w, cell: cell.memberships.first()},
    "referrals:request_detail": {"pk": lambda w, cell: cell.requests.first()},
    "referrals:request_action": {"pk": lambda w, cell: cell.requests.first(), "action": lambda w, cell: "take"},
    "referrals:question_answer": {"pk": lambda w, cell: SupervisorQuestion.objects.filter(request__cell=cell).first()},
    "referrals:duplicate_decide": {"pk": lambda w, cell: DuplicateFlag.objects.filter(first__cell=cell).first()},
    "referrals:tag_update": {"pk": lambda w, cell: cell.tags.first()},
    "referrals:tag_archive": {"pk": lambda w, cell: cell.tags.first()},
    "referrals:tag_restore": {"pk": lambda w, cell: cell.tags.first()},
    "referrals:partner_poster": {"pk": lambda w, cell: cell.partners.first()},
    "referrals:partner_update": {"pk": lambda w, cell: cell.partners.first()},
    "referrals:protocol_question_update": {"pk": lambda w, cell: cell.protocol_questions.first()},
    "referrals:protocol_rule_create": {"pk": lambda w, cell: cell.protocol_questions.first()},
    "referrals:protocol_rule_update": {
        "pk": lambda w, cell: cell.protocol_questions.first(),
        "rule_pk": lambda w, cell: cell.protocol_questions.first().rules.first(),
    },
    "agenda:book": {"pk": lambda w, cell: cell.requests.first(), "slot_pk": lambda w, cell: cell.slots.first()},
    "agenda:request_sessions": {"pk": lambda w, cell: cell.requests.first()},
    "agenda:plan_update": {"pk": lambda w, cell: cell.plans.first()},
    "notifications:message_detail": {"pk": lambda w, cell: cell.messages.first()},
    "notifications:health_message": {"pk": lambda w, cell: _health_message(cell)},
    "alerts:start": {"pk": lambda w, cell: cell.requests.filter(status="received").last()},
    "alerts:stop": {"pk": lambda w, cell: cell.cascades.first()},
    "notifications:template_edit": {"kind": lambda w, cell: "patient_booked"},
    "indicators:export": {"table": lambda w, cell: "places", "fmt": lambda w, cell: "xlsx"},
    "agenda:tour_update": {"pk": lambda w, cell: cell.tours.first()},
    "agenda:tour_stop": {"pk": lambda w, cell: cell.tours.first()},
    "agenda:spot_update": {"pk": lambda w, cell: cell.spots.first()},
    "agenda:plan_stop": {"pk": lambda w, cell: cell.plans.first()},
    "agenda:booking_cancel": {"pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first()},
    "agenda:booking_outcome": {"pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first()},
    "agenda:booking_note": {"pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first()},
    "agenda:booking_slip": {"pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first()},
    "agenda:appointment": {"pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first()},
    "agenda:appointment_outcome": {"pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first()},
    "agenda:appointment_debrief": {"pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first()},
    "agenda:booking_move": {
        "pk": lambda w, cell: Booking.objects.filter(request__cell=cell).first(),
        "slot_pk": lambda w, cell: cell.slots.filter(booked=0).last(),
    },
    "public:request": {"token": lambda w, cell: cell.partners.first().token},
    "calendar_feed": {"token": lambda w, cell: CalendarFeed.objects.filter(professional__cell=cell).first().token},
    "patient_cancel": {
        "token": lambda w, cell: (
            Booking.objects.filter(request__cell=cell, cancel_token__isnull=False).first().cancel_token
        )
    },
    "public:thanks": {"token": lambda w, cell: cell.partners.first().token},
    "survey_answer": {"token": lambda w, cell: cell.surveys.first().token},
    "questionnaire_answer": {
        "token": lambda w, cell: cell.questionnaires.first().invitations.first().token,
    },
    "surveys:questionnaire": {"pk": lambda w, cell: cell.questionnaires.first()},
    "alert_answer": {"token": lambda w, cell: Alert.objects.filter(cascade__cell=cell).first().token},
    "privacy:patient_rights": {"pk": lambda w, cell: cell.requests.first()},
    "privacy:patient_erase": {"pk": lambda w, cell: cell.requests.first()},
    "privacy:patient_export": {"pk": lambda w, cell: cell.requests.first(), "fmt": lambda w, cell: "json"},
    "privacy": {"slug": lambda w, cell: cell.slug},
    "accounts:member_second_factor_reset": {"pk": lambda w, cell: cell.memberships.first()},
    "accounts:psc_request_decide": {"pk": lambda w, cell: cell.psc_access_requests.first()},
    "accounts:invitation_resend": {"pk": lambda w, cell: _invitation(cell)},
    "accounts:invitation_revoke": {"pk": lambda w, cell: _invitation(cell)},
    "accounts:invitation_accept": {"token": lambda w, cell: _invitation(cell) and f"isolation-{cell.slug}"},
    "accounts:password_reset_confirm": {
        "uidb64": lambda w, cell: urlsafe_base64_encode(str(w.owner.pk).encode()),
        "token": lambda w, cell: "set-password",
    },
    # Outside any cell: the SAS platform's link to a slot (a requester of the slot's cell only: interop tests), and
    # FHIR reads, served only to the client certificate that sent the request (interop/tests).
    "interop:sas_slot": {"slot_id": lambda w, cell: cell.slots.first()},
    "interop:service_request_read": {"resource_id": lambda w, cell: cell.requests.first()},
    "interop:task_read": {"resource_id": lambda w, cell: cell.requests.first()},
    "interop:practitioner_read": {"resource_id": lambda w, cell: "regulateur-1"},  # the SAS platform's only
    "interop:not_served": {"rest": lambda w, cell: "Patient/1"},
    # Day sheets: the world's first professional is the effector's own, and the doctor of the cell's tour.
    "desk:daysheet_tour": {"pk": lambda w, cell: cell.tours.first()},
    "desk:daysheet_tour_pdf": {"pk": lambda w, cell: cell.tours.first()},
    "desk:daysheet_spot": {"pk": lambda w, cell: cell.spots.first()},
    "desk:daysheet_spot_pdf": {"pk": lambda w, cell: cell.spots.first()},
    "desk:daysheet_site": {"pk": lambda w, cell: Site.objects.filter(cell=cell).first()},
    "desk:daysheet_site_pdf": {"pk": lambda w, cell: Site.objects.filter(cell=cell).first()},
    "desk:daysheet_professional": {"pk": lambda w, cell: Professional.objects.filter(cell=cell).first()},
    "desk:daysheet_professional_pdf": {"pk": lambda w, cell: Professional.objects.filter(cell=cell).first()},
    "directory:pool_accept": {"pk": lambda w, cell: _pool_agreement(cell)},
    "directory:pool_end": {"pk": lambda w, cell: _pool_agreement(cell)},
    "directory:import_detail": {"pk": lambda w, cell: cell.annuaire_imports.first()},
    "directory:import_report": {"pk": lambda w, cell: cell.annuaire_imports.first()},
}


def _closure(cell: Any) -> Closure:
    """A closure of the cell (the populated world has none)."""
    closure, _created = Closure.objects.get_or_create(
        cell=cell, first_day=date(2099, 8, 10), defaults={"last_day": date(2099, 8, 21), "reason": "Fermeture annuelle"}
    )
    return closure


def _pool_agreement(cell: Any) -> Any:
    """A professional of a third cell offered to the cell (decision 0021; the populated world has none): the cell may
    accept or end it, the world's other cell is no party to it."""
    from directory.models import PoolAgreement
    from territory.models import Cell

    third, _created = Cell.objects.get_or_create(
        slug=f"tierce-{cell.pk}", defaults={"name": f"Cellule tierce {cell.pk}"}
    )
    professional, _created = Professional.objects.get_or_create(
        cell=third, last_name="Mutualisé", first_name="Alex", defaults={"profession": "gp", "rpps": next_rpps()}
    )
    agreement, _created = PoolAgreement.objects.get_or_create(
        professional=professional,
        cell=cell,
        defaults={
            "tier": "regional",
            "starts_on": timezone.localdate(),
            "created_by": cell.memberships.first().user,
            "created_at": timezone.now(),
        },
    )
    return agreement


def _invitation(cell: Any) -> Invitation:
    """A waiting invitation of the cell (the populated world has none), its link's token `isolation-<cell>`."""
    invitation, _created = Invitation.objects.get_or_create(
        cell=cell,
        email=f"invitee@{cell.slug}.example.org",
        defaults={
            "role": "coordinator",
            "token_hash": invitation_token_hash(f"isolation-{cell.slug}"),
            "sent_at": timezone.now(),
            "expires_at": timezone.now() + timedelta(days=7),
        },
    )
    return invitation


def _health_message(cell: Any) -> Message:
    """The MT's summary about the cell's first request, for its first professional (the populated world has none)."""
    message, _created = Message.objects.get_or_create(
        cell=cell,
        key=f"mt_summary:isolation:{cell.pk}",
        defaults={
            "request": cell.requests.first(),
            "kind": "mt_summary",
            "channel": "email",
            "to": "medecin.traitant@example.org",
            "professional": cell.professionals.first(),
            "subject": "Un message à lire",
            "body": "Lien vers Aiguillage",
            "details": f"Note de consultation {cell.name}",
            "created_at": timezone.now(),
        },
    )
    return message


def url_for(route: Route, world: World, *, cell_of_address: Any, cell_of_objects: Any) -> str:
    kwargs: dict[str, Any] = {}
    for key in route.kwargs:
        if key == "cell":
            kwargs[key] = cell_of_address.slug
        else:
            value = OBJECTS_BY_URL[route.name][key](world, cell_of_objects)
            kwargs[key] = getattr(value, "pk", value)
    return reverse(route.name, kwargs=kwargs)


ROUTES = cell_routes()


def test_the_walk_finds_the_project_urls() -> None:
    names = {route.name for route in ROUTES}
    assert {"accounts:cell_home", "directory:site_list", "territory:commune_search"} <= names
    assert len(ROUTES) >= 20


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_url_declares_its_permission(route: Route) -> None:
    assert declared_permission(route.callback) is not None, f"{route.name} ({route.pattern}) declares no permission"


@pytest.mark.parametrize("route", [r for r in ROUTES if set(r.kwargs) - {"cell"}], ids=lambda r: r.name)
def test_every_object_url_is_known_to_this_test(route: Route) -> None:
    assert route.name in OBJECTS_BY_URL, f"say in OBJECTS_BY_URL which object {route.name} takes"
    assert set(route.kwargs) - {"cell"} == set(OBJECTS_BY_URL[route.name])


def _commune_label(commune: Any) -> str:
    return f"{commune.name} ({commune.postal_codes.split()[0]}) · {commune.insee_code}"


def _professional_body(world: World, cell: Any) -> dict[str, Any]:
    return {
        "last_name": "Corps",
        "first_name": "Valide",
        "profession": "gp",
        "rpps": next_rpps(),
        "adeli": "",
        "sites": [Site.objects.filter(cell=cell).first().pk],
        "teleconsultant_tier": "",
        "phone": "",
        "email": "",
        "mssante": "",
        "specialty": "",
        "is_active": "on",
    }


def _site_body(world: World, cell: Any) -> dict[str, Any]:
    return {
        "kind": "practice",
        "name": f"Cabinet {next_rpps()}",
        "address": "",
        "phone": "",
        "email": "",
        "commune": _commune_label(cell.territories.first().communes.first()),
        "finess": "",
        "hours": "",
        "latitude": "",
        "longitude": "",
        "is_active": "on",
    }


def _resource_body(world: World, cell: Any) -> dict[str, Any]:
    return {
        "kind": "pharmacy",
        "name": f"Pharmacie {next_rpps()}",
        "address": "",
        "commune": "",
        "phone": "",
        "email": "",
        "website": "",
        "hours": "",
        "notes": "",
        "is_active": "on",
        "communes_served": [cell.territories.first().communes.first().pk],
    }


def _partner_body(cell: Any) -> dict[str, Any]:
    commune = _commune_label(cell.territories.first().communes.first())
    return {"name": f"Mairie {next_rpps()}", "kind": "town_hall", "commune": commune, "is_active": "on"}


def _intake_body(cell: Any) -> dict[str, Any]:
    return {
        "patient_last_name": "Lemoine",
        "patient_first_name": "Anaïs",
        "patient_birth_date": "1975-04-02",
        "patient_sex": "F",
        "patient_commune": _commune_label(cell.territories.first().communes.first()),
        "patient_street": "",
        "patient_phone": "06 12 34 56 78",
        "mt_situation": "no_mt",
        "mt_name": "",
        "reason": "Otalgie",
        "reason_category": "pain",
        "care_channel": "gp",
        "exam_type": "",
        "urgency": "48h",
        "elsewhere": "er",
        "submission_key": next_rpps(),
    }


# A body that succeeds when posted to the URL in its own cell: the same body must fail on the other cell.
def _plan_body(cell: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "professional": cell.professionals.first().pk,
        "weekdays": ["5"],
        "start_time": "09:00",
        "end_time": "10:00",
        "minutes": "20",
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=40)).isoformat(),
        "care_channel": "gp",
        "exam_type": "",
        "modality": "in_person",
        "capacity": "1",
    }


def _periods_body(first: Any, last: Any) -> dict[str, str]:
    """One opening period of a spot or a tour, as their forms post it (decision 0007)."""
    return {
        "periods-TOTAL_FORMS": "1",
        "periods-INITIAL_FORMS": "0",
        "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "12",
        "periods-0-first_day": first.isoformat(),
        "periods-0-last_day": last.isoformat(),
    }


def _tour_body(cell: Any, name: str) -> dict[str, Any]:
    today = timezone.localdate()
    site = Site.objects.filter(cell=cell).exclude(kind="telemedicine_spot").first()
    return {
        "name": name,
        "doctor": cell.professionals.filter(profession="gp").first().pk,
        "minutes": "20",
        **_periods_body(today, today + timedelta(days=30)),
        "stops-TOTAL_FORMS": "1",
        "stops-INITIAL_FORMS": "0",
        "stops-MIN_NUM_FORMS": "0",
        "stops-MAX_NUM_FORMS": "14",
        "stops-0-weekday": "1",
        "stops-0-commune": _commune_label(site.commune),
        "stops-0-place": "Place de l'église",
        "stops-0-start_time": "14:00",
        "stops-0-end_time": "15:00",
        "stops-0-capacity": "1",
    }


def _spot_body(cell: Any, *, new: bool) -> dict[str, Any]:
    today = timezone.localdate()
    site = Site.objects.get(cell=cell, name__startswith="Point sans plan") if new else cell.spots.first().site
    return {
        "site": site.pk,
        "nurses": [cell.professionals.filter(profession="nurse").first().pk],
        "weekdays": ["0"],
        "start_time": "14:00",
        "end_time": "16:00",
        **_periods_body(today, today + timedelta(days=30)),
        "minutes": "20",
        "cabins": "1",
    }


def _annuaire_body(world: World, cell: Any) -> dict[str, Any]:
    """A small extract (one invented GP of the cell's territory) as an upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from directory.tests import extracts

    commune = cell.territories.first().communes.first().insee_code
    content = extracts.text([extracts.line(extracts.fake_rpps(1), "CORPS", "VALIDE", commune=commune)])
    upload = SimpleUploadedFile("PS_LibreAcces_Personne_activite_test.txt", content.encode(), "text/plain")
    return {"file": upload, "professions": ["10", "21", "60", "70", "50", "40", "other"]}


def _placement_body(cell: Any) -> dict[str, Any]:
    """A signed proposal of one pairing of the cell, and that pairing chosen (booked, or reported if it cannot be)."""
    request, slot = cell.requests.first(), cell.slots.order_by("-starts_at").first()
    return {"proposal": proposal_token(cell.pk, [(request.pk, slot.pk)]), "pairing": [f"{request.pk}-{slot.pk}"]}


VALID_BODIES: dict[str, Callable[[World, Any], dict[str, Any]]] = {
    "directory:import_start": _annuaire_body,
    "directory:pool_offer": lambda w, cell: {
        "professional": Professional.objects.filter(cell=cell).first().pk,
        "to_cell": _pool_agreement(cell).professional.cell.slug,
        "tier": "regional",
        "starts_on": str(timezone.localdate() + timedelta(days=1)),
    },
    "directory:pool_accept": lambda w, cell: {},
    "directory:pool_end": lambda w, cell: {},
    "directory:site_create": _site_body,
    "directory:site_update": _site_body,
    "directory:professional_create": _professional_body,
    "directory:professional_update": _professional_body,
    "directory:resource_create": _resource_body,
    "directory:resource_update": _resource_body,
    "territory:territory_create": lambda w, cell: {"name": f"Territoire {next_rpps()}", "finess": ""},
    "territory:territory_update": lambda w, cell: {"name": f"Territoire {next_rpps()}", "finess": ""},
    "territory:territory_commune_add": lambda w, cell: {"commune": "Vimoutiers (61120) · 61508"},
    "territory:territory_commune_remove": lambda w, cell: {},
    "territory:cell_settings": lambda w, cell: {"name": cell.name, "phone": "02 33 00 00 00", "email": ""},
    "territory:opening_hours": lambda w, cell: {"day0_0_start": "08:00", "day0_0_end": "19:00"},
    "territory:closure_add": lambda w, cell: {
        "closure-first_day": "2099-08-10",
        "closure-last_day": "2099-08-21",
        "closure-reason": "Fermeture annuelle",
    },
    "territory:closure_remove": lambda w, cell: {},
    "accounts:member_create": lambda w, cell: {
        "username": f"nouveau-{next_rpps()}",
        "first_name": "Nina",
        "last_name": "Neuve",
        "email": "n@example.org",
        "password": "un-mot-de-passe-solide",
        "role": "coordinator",
    },
    "accounts:member_attach": lambda w, cell: {"username": "dora", "email": "dora@example.org", "role": "coordinator"},
    "referrals:request_new": lambda w, cell: _intake_body(cell),
    "referrals:request_phone": lambda w, cell: (
        _intake_body(cell) | {"requester_professional": cell.professionals.first().pk}
    ),
    "referrals:request_action": lambda w, cell: {},
    "referrals:question_answer": lambda w, cell: {"decision": "advice", "answer": "Orienter en présentiel."},
    "referrals:duplicate_decide": lambda w, cell: {"decision": "dismissed"},
    "referrals:partner_create": lambda w, cell: _partner_body(cell),
    "referrals:settings": lambda w, cell: {
        "max_failed_callbacks": "4",
        "hold_idle_minutes": "30",
        "warn_hours_before": "6",
    },
    "agenda:book": lambda w, cell: {},
    "agenda:request_sessions": lambda w, cell: {"sessions": "1"},
    "alerts:start": lambda w, cell: {"usual_professional": ""},
    "alerts:stop": lambda w, cell: {},
    "notifications:template_edit": lambda w, cell: {"text": "{cellule} : RDV le {jour} à {heure}, {lieu}."},
    "surveys:policy": lambda w, cell: {"is_active": "on", "sampling_percent": "20", "patients_surveyed": "on"},
    "capacity:send": lambda w, cell: {"care": "gp", "place": ""},
    "indicators:reports": lambda w, cell: {"kind": "monthly_pdf", "month": "2026-11", "year": ""},
    "surveys:questionnaires": lambda w, cell: {"title": "Nouveau questionnaire"},
    "surveys:questionnaire": lambda w, cell: {"action": "add_question", "text": "Combien ?", "kind": "scale"},
    "alerts:policy": lambda w, cell: {
        "usual_minutes": "10",
        "nearby_minutes": "20",
        "nearby_km": "12",
        "territory_minutes": "45",
        "appointment_minutes": "15",
    },
    "agenda:feed_renew": lambda w, cell: {},
    "placement:apply": lambda w, cell: _placement_body(cell),
    "agenda:publish": lambda w, cell: {
        "professional": cell.professionals.first().pk,
        "day": "2030-01-07",
        "start": "18:00",
        "end": "19:00",
        "minutes": "20",
        "care_channel": "gp",
        "exam_type": "",
        "modality": "in_person",
        "capacity": "1",
    },
    "agenda:plan_create": lambda w, cell: _plan_body(cell),
    "agenda:plan_update": lambda w, cell: _plan_body(cell),
    "agenda:plan_stop": lambda w, cell: {},
    "agenda:tour_create": lambda w, cell: _tour_body(cell, "Nouvelle tournée"),
    "agenda:tour_update": lambda w, cell: _tour_body(cell, cell.tours.first().name),
    "agenda:tour_stop": lambda w, cell: {},
    "agenda:spot_create": lambda w, cell: _spot_body(cell, new=True),
    "agenda:spot_update": lambda w, cell: _spot_body(cell, new=False),
    "agenda:absences": lambda w, cell: {
        "professional": cell.professionals.first().pk,
        "starts_at": "2030-02-01T08:00",
        "ends_at": "2030-02-08T20:00",
        "reason": "Congés",
    },
    "agenda:booking_cancel": lambda w, cell: {"reason": "Indisponible", "confirm": "on"},
    "agenda:booking_outcome": lambda w, cell: {"outcome": "no_show"},
    "agenda:booking_note": lambda w, cell: {"effector_note": "Sonner deux fois"},
    "accounts:alert_channel": lambda w, cell: {"alert_channel": "email"},
    "accounts:acting_role": lambda w, cell: {"role": "cell_admin"},  # the owner's own role: a valid switch
    "agenda:appointment_outcome": lambda w, cell: {"outcome": "no_show"},
    "agenda:appointment_debrief": lambda w, cell: {"next_steps": "Revoir le MT", "relay": "gp"},
    "agenda:booking_move": lambda w, cell: {},
    "referrals:protocol_question_create": lambda w, cell: {
        "order": "5",
        "text": "Fièvre ?",
        "kind": "yes_no",
        "choices": "",
        "red_flag": "",
        "red_flag_message": "",
        "is_active": "on",
    },
    "referrals:protocol_question_update": lambda w, cell: {
        "order": "1",
        "text": "Peut se déplacer ?",
        "kind": "yes_no",
        "choices": "",
        "red_flag": "",
        "red_flag_message": "",
        "is_active": "on",
    },
    "referrals:protocol_rule_create": lambda w, cell: {
        "answer": "yes",
        "urgency": "24h",
        "care_channel": "",
        "modality": "",
        "note": "",
    },
    "referrals:protocol_rule_update": lambda w, cell: {
        "answer": "no",
        "modality": "home_visit",
        "care_channel": "",
        "urgency": "",
        "note": "Visite",
    },
    "referrals:partner_update": lambda w, cell: _partner_body(cell),
    "referrals:tag_create": lambda w, cell: {"name": f"Étiquette {next_rpps()}", "colour": "green"},
    "referrals:tag_update": lambda w, cell: {"name": "Médical urgent", "colour": "red"},
    "referrals:tag_archive": lambda w, cell: {},
    "referrals:tag_restore": lambda w, cell: {},
    "referrals:shift_add": lambda w, cell: {
        "supervisor": getattr(cell.memberships.filter(role="supervisor").first(), "user_id", 0),
        "starts_at": "2026-12-01T08:00",
        "ends_at": "2026-12-01T20:00",
    },
    "privacy:data_policy": lambda w, cell: {"request_months": "36"},
    "accounts:member_second_factor_reset": lambda w, cell: {},
    "accounts:psc_request_decide": lambda w, cell: {"decision": "refuse"},
    "accounts:invitation_create": lambda w, cell: {"email": f"invite-{next_rpps()}@example.org", "role": "coordinator"},
    "accounts:invitation_resend": lambda w, cell: {},
    "accounts:invitation_revoke": lambda w, cell: {},
    "accounts:invitation_accept": lambda w, cell: {
        "action": "join",  # a logged-in visitor joins with their account; an anonymous one creates this account
        "username": f"invitee-{next_rpps()}",
        "first_name": "Inès",
        "last_name": "Invitée",
        "password1": "un-long-mot-de-passe-bien-choisi-7",
        "password2": "un-long-mot-de-passe-bien-choisi-7",
    },
    "privacy:patient_rights": lambda w, cell: {
        "patient_last_name": "Delaunay",
        "patient_first_name": "Rose-Marie",
        "patient_birth_date": "",
        "patient_sex": "",
        "patient_commune": _commune_label(cell.territories.first().communes.first()),
        "patient_street": "",
        "patient_phone": "06 12 34 56 78",
    },
    "privacy:patient_erase": lambda w, cell: {"request": cell.requests.first().pk},
    "accounts:member_update": lambda w, cell: {
        "first_name": "Alice",
        "last_name": "Admin",
        "email": "alice@example.org",
        "role": "cell_admin",
        "is_active": "on",
    },
}


# POSTs whose valid body the rules still refuse in this world, with the page saying why (their success is tested
# where the world fits: agenda/tests/test_appointments.py).
REFUSED_HERE = {
    "agenda:appointment_debrief": "only a telemedicine spot's IDEL debriefs; the cell's effector here is a GP",
}


def test_every_url_that_accepts_a_post_has_a_valid_body_here() -> None:
    """So that the walks below post real, valid data, not only empty forms."""
    for route in ROUTES:
        view_class = getattr(route.callback, "view_class", None)
        if view_class is None or "cell" not in route.kwargs:
            continue
        if hasattr(view_class, "post"):
            assert route.name in VALID_BODIES, f"say in VALID_BODIES what a valid POST to {route.name} is"


def _roles(world: World) -> list[Any]:
    return [world.owner, world.colleague, *world.extra_members]


def _member_allowed(world: World, permission: Any) -> Any:
    """A member of the cell whose role has the permission (each route is tried by someone entitled to it)."""
    for user in _roles(world):
        if role_allows(user.memberships.get(cell=world.cell).role, permission):
            return user
    raise AssertionError(f"no role of the test cell has {permission}")


def _fingerprint(cell: Any) -> tuple[Any, ...]:
    _invitation(cell)  # made before, so that only a change of the cell's invitation shows
    return (
        cell.name,
        str(cell.phone),
        tuple(cell.territories.values_list("name", "finess")),
        tuple(cell.territories.first().communes.values_list("pk", flat=True)),
        tuple(Site.objects.filter(cell=cell).values_list("name", "commune")),
        tuple(Professional.objects.filter(cell=cell).values_list("last_name", "rpps")),
        tuple(ReorientationResource.objects.filter(cell=cell).values_list("name", flat=True)),
        tuple(cell.memberships.values_list("user__username", "role", "is_active")),
        tuple(cell.requests.values_list("status", "holder", "failed_callbacks", "reoriented_to")),
        tuple(RequestEvent.objects.filter(request__cell=cell).values_list("pk", flat=True)),
        tuple(SupervisorQuestion.objects.filter(request__cell=cell).values_list("decision", flat=True)),
        tuple(DuplicateFlag.objects.filter(first__cell=cell).values_list("decision", flat=True)),
        tuple(DutyShift.objects.filter(cell=cell).values_list("pk", flat=True)),
        tuple(cell.partners.values_list("name", "is_active")),
        tuple(Tag.objects.filter(cell=cell).values_list("name", "colour", "is_active")),
        tuple(cell.slots.values_list("booked", "status")),
        tuple(Booking.objects.filter(request__cell=cell).values_list("status", flat=True)),
        tuple(ReferralSettings.objects.filter(cell=cell).values_list("max_failed_callbacks", "hold_idle_minutes")),
        tuple(cell.protocol_questions.values_list("text", "red_flag")),
        tuple(ProtocolRule.objects.filter(question__cell=cell).values_list("answer", "modality")),
        tuple(Cascade.objects.filter(cell=cell).values_list("status", flat=True)),
        tuple(AlertPolicy.objects.filter(cell=cell).values_list("nearby_km", flat=True)),
        tuple(MessageTemplate.objects.filter(cell=cell).values_list("text", flat=True)),
        tuple(SurveyPolicy.objects.filter(cell=cell).values_list("sampling_percent", flat=True)),
        tuple(Questionnaire.objects.filter(cell=cell).values_list("title", "status")),
        tuple(QuestionnaireQuestion.objects.filter(questionnaire__cell=cell).values_list("text", flat=True)),
        tuple(cell.psc_access_requests.values_list("status", flat=True)),
        tuple(cell.invitations.values_list("email", "token_hash", "expires_at", "used_at", "revoked_at")),
        tuple(cell.annuaire_imports.values_list("status", "file_name")),
        tuple(cell.report_jobs.values_list("kind", "first", "status")),
    )


@pytest.mark.parametrize("route", [r for r in ROUTES if "cell" in r.kwargs], ids=lambda r: r.name)
def test_no_role_of_one_cell_reaches_any_url_of_the_other_cell(populated: World, route: Route) -> None:
    UserFactory(username="dora", email="dora@example.org")  # an account of nobody's, for member_attach
    other = populated.other_cell
    before = _fingerprint(other)
    for user in _roles(populated):
        client = populated.client_for(user)
        urls = [url_for(route, populated, cell_of_address=other, cell_of_objects=other)]
        if set(route.kwargs) - {"cell", *NOT_OBJECTS}:
            urls.append(url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=other))
        body = VALID_BODIES[route.name](populated, other) if route.name in VALID_BODIES else {}
        for url in urls:
            for method, data in (("get", None), ("post", body)):
                response = getattr(client, method)(url, data)
                assert response.status_code in (403, 404, 405), (
                    f"{user.username}: {method.upper()} {url} answered {response.status_code}"
                )
    assert _fingerprint(other) == before, "the other cell's data changed"


@pytest.mark.parametrize("route", [r for r in ROUTES if "cell" in r.kwargs], ids=lambda r: r.name)
def test_the_same_urls_work_for_their_own_cell(populated: World, route: Route) -> None:
    """Guards the test above against passing vacuously: in its own cell each URL answers, and each POST succeeds."""
    UserFactory(username="dora", email="dora@example.org")  # an account of nobody's, for member_attach
    client = populated.client_for(_member_allowed(populated, declared_permission(route.callback)))
    url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
    response = client.get(url)
    assert response.status_code in (200, 405), f"GET {url} answered {response.status_code}"
    if route.name in VALID_BODIES:
        body = VALID_BODIES[route.name](populated, populated.cell)
        posted = client.post(url, body)
        errors = posted.context["form"].errors if posted.context and "form" in posted.context else ""
        expected = 200 if route.name in REFUSED_HERE else 302
        assert posted.status_code == expected, f"POST {url} answered {posted.status_code} {errors}"


def readable(response: Any) -> str:
    """A page's text, or a PDF's (the monthly report)."""
    if response["Content-Type"] == "application/pdf":
        import pypdfium2

        document = pypdfium2.PdfDocument(response.content)
        return "\n".join(document[index].get_textpage().get_text_range() for index in range(len(document)))
    return str(response.content.decode())


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.kwargs == ("cell",) and declared_permission(r.callback)],
    ids=lambda r: r.name,
)
def test_lists_of_one_cell_never_show_the_other_cells_objects(populated: World, route: Route) -> None:
    client = populated.client_for(_member_allowed(populated, declared_permission(route.callback)))
    url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
    for query in ("", "?q=Vignoble", "?q=Clisson", "?q=PatientVignoble"):
        response = client.get(url + query)
        if response.status_code == 405:
            continue
        assert response.status_code == 200, f"{url}{query} answered {response.status_code}"
        body = readable(response)
        for name in (
            "Maison de santé Vignoble",
            "DocteurVignoble",
            "Pharmacie de garde Vignoble",
            "CSNP Test Vignoble",
            "charlie",
            "PATIENTVIGNOBLE",
            "DemandeurVignoble",
        ):
            assert name not in body, f"{url}{query} shows {name}"


def test_an_anonymous_visitor_is_sent_to_login_from_every_cell_url(populated: World) -> None:
    client = Client()
    for route in ROUTES:
        if "cell" not in route.kwargs:
            continue
        url = url_for(route, populated, cell_of_address=populated.cell, cell_of_objects=populated.cell)
        response = client.get(url)
        assert response.status_code in (302, 405), f"{url} answered {response.status_code} to an anonymous visitor"
        if response.status_code == 302:
            assert "/connexion/" in response["Location"]


def test_ids_of_the_other_cell_inside_form_bodies_are_refused(populated: World) -> None:
    """Choices in forms are limited to the cell: another cell's site, commune or professional is not a valid choice."""
    client = populated.client_for(populated.owner)
    cell, other = populated.cell, populated.other_cell
    foreign_site = Site.objects.get(cell=other, name="Maison de santé Vignoble")
    body = _professional_body(populated, cell) | {"sites": [foreign_site.pk]}
    response = client.post(reverse("directory:professional_create", kwargs={"cell": cell.slug}), body)
    assert response.status_code == 200 and "sites" in response.context["form"].errors
    body = _resource_body(populated, cell) | {"communes_served": [other.territories.first().communes.first().pk]}
    response = client.post(reverse("directory:resource_create", kwargs={"cell": cell.slug}), body)
    assert response.status_code == 200 and "communes_served" in response.context["form"].errors
    foreign_pro = Professional.objects.get(cell=other, last_name="DocteurVignoble")
    body = {
        "username": "x-cell",
        "first_name": "X",
        "last_name": "Y",
        "email": "x@example.org",
        "password": "un-mot-de-passe-solide",
        "role": "effector",
        "professional": foreign_pro.pk,
    }
    response = client.post(reverse("accounts:member_create", kwargs={"cell": cell.slug}), body)
    assert response.status_code == 200 and "professional" in response.context["form"].errors
    assert not Professional.objects.filter(last_name="Corps").exists()
    assert not ReorientationResource.objects.filter(cell=cell, name__startswith="Pharmacie 1").exists()
