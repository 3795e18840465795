"""A lock held elsewhere longer than the lock timeout refuses the write with "try again", within about the timeout,
and writes nothing (docs/locking.md). Two real connections: a thread holds the lock in an open transaction while the
test, on its own connection, tries the write. PostgreSQL only (SQLite has neither row locks nor lock_timeout: its
writers queue for the database's lock); the PostgreSQL pass of `make test` fails here rather than skip."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Role
from agenda.models import Booking
from agenda.services import slot_book
from agenda.tests.factories import make_slot
from api.services import api_token_create
from common.errors import DomainError
from common.locking import LOCK_BUSY, lock_names
from common.text import normalize
from interop.tests.helpers import FHIR_SETTINGS
from interop.tests.test_service_requests import _body as service_request_body
from interop.tests.test_service_requests import _post as fhir_post
from referrals import services
from referrals.models import Request, RequestEvent
from referrals.states import Status
from referrals.tests.factories import make_request
from territory.communes import load_communes
from territory.models import Cell, Commune
from tests.factories import CellFactory, MembershipFactory, ProfessionalFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 500
# Refused after the timeout, long before the holder lets go (it would hold 60 s): a lock that was waited for whole
# would be far beyond this.
AT_MOST = TIMEOUT_MS / 1000 + 5


@pytest.fixture(autouse=True)
def _on_postgresql(settings: Any) -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("AIGUILLAGE_EXPECT_DB") == "postgresql":
            pytest.fail("the PostgreSQL pass runs on SQLite: the lock timeout is not tested")
        pytest.skip("row locks and lock_timeout are PostgreSQL's; SQLite serialises writers instead")
    settings.AIGUILLAGE_LOCK_TIMEOUT_MS = TIMEOUT_MS
    if not Commune.objects.exists():  # transactional tests empty the database, reference data included
        load_communes(Commune)


@contextmanager
def held_elsewhere(take: Callable[[], object]) -> Iterator[None]:
    """Another connection takes the lock in a transaction and keeps it until the block ends, then rolls back."""
    taken, release = threading.Event(), threading.Event()
    failures: list[str] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                take()
                taken.set()
                release.wait(timeout=60)
        except Exception as error:
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            taken.set()
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(timeout=30) and failures == []
        yield
    finally:
        release.set()
        thread.join(timeout=30)
    assert failures == []


def _refused_quickly(action: Callable[[], object]) -> DomainError:
    started = time.monotonic()
    with pytest.raises(DomainError) as refused:
        action()
    waited = time.monotonic() - started
    assert TIMEOUT_MS / 1000 * 0.9 <= waited < AT_MOST, waited
    return refused.value


def _cell() -> tuple[Cell, Any]:
    cell = cast(Cell, CellFactory(slug="verrous"))
    TerritoryFactory(cell=cell, communes=["61006"])
    ProfessionalFactory(cell=cell)
    return cell, MembershipFactory(cell=cell, role=Role.COORDINATOR).user


def _row_of(request: Request) -> Callable[[], object]:
    return lambda: Request.objects.select_for_update().get(pk=request.pk)


def test_a_request_locked_elsewhere_refuses_taking_it_with_try_again_and_writes_nothing() -> None:
    cell, coordinator = _cell()
    request = make_request(cell)
    events = RequestEvent.objects.filter(request=request).count()
    with held_elsewhere(_row_of(request)):
        refused = _refused_quickly(lambda: services.request_take(request=request, user=coordinator))
    assert (refused.message, refused.code) == (LOCK_BUSY, "busy")
    request.refresh_from_db()
    assert (request.status, request.holder_id) == (Status.RECEIVED, None)
    assert RequestEvent.objects.filter(request=request).count() == events
    services.request_take(request=request, user=coordinator)  # once the other lets go, the same action goes through
    request.refresh_from_db()
    assert (request.status, request.holder_id) == (Status.IN_PROGRESS, coordinator.pk)


def test_booking_a_request_locked_elsewhere_is_refused_and_the_slot_stays_free() -> None:
    cell, coordinator = _cell()
    request = make_request(cell)
    slot = make_slot(cell, starts_at=timezone.now() + timedelta(hours=5))
    with held_elsewhere(_row_of(request)):
        refused = _refused_quickly(lambda: slot_book(slot=slot, request=request, user=coordinator))
    assert (refused.message, refused.code) == (LOCK_BUSY, "busy")
    slot.refresh_from_db()
    assert (slot.booked, Booking.objects.count(), Request.objects.get(pk=request.pk).status) == (0, 0, Status.RECEIVED)


def _same_patient_being_recorded(cell: Cell, last_name: str, first_name: str) -> Callable[[], object]:
    """The named lock intake takes on a patient (referrals.services.intake._flag_duplicates)."""
    return lambda: lock_names(f"request-patient:{cell.pk}:{normalize(f'{last_name} {first_name}')}")


def test_the_api_answers_409_try_again_while_the_same_patient_is_being_recorded() -> None:
    cell, _coordinator = _cell()
    pro = ProfessionalFactory(cell=cell, profession="gp")
    membership = MembershipFactory(cell=cell, role=Role.REQUESTER, requester_type="sas_regulator", professional=pro)
    token = api_token_create(membership=membership)[1]
    body = {
        "patient": {"last_name": "Girard", "first_name": "Hugo", "commune_insee": "61006", "phone": "06 12 34 56 78"}
        | {"mt_situation": "no_mt"},
        "need": {"reason": "Douleur lombaire", "reason_category": "pain", "care_channel": "gp", "urgency": "48h"}
        | {"elsewhere": "er"},
        "idempotency_key": "verrou-1",
    }

    def send() -> Any:
        with translation.override("en"):  # the middleware's language, undone after the answer
            return Client().post(
                "/api/v1/requests",
                data=json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_ACCEPT_LANGUAGE="en",
            )

    assert Client().get("/api/v1/requests/1", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404  # warmed up
    with held_elsewhere(_same_patient_being_recorded(cell, "Girard", "Hugo")):
        started = time.monotonic()
        answer = send()
        waited = time.monotonic() - started
    assert waited < AT_MOST, waited
    with translation.override("en"):
        assert (answer.status_code, answer.json()) == (409, {"errors": {"request": [str(LOCK_BUSY)]}})
    assert Request.objects.count() == 0
    assert send().status_code == 201  # the same key again, once the other is recorded: nothing of the first was kept


def test_fhir_answers_a_409_operation_outcome_while_the_same_patient_is_being_recorded(settings: Any) -> None:
    for name, value in FHIR_SETTINGS.items():
        setattr(settings, name, value)
    cell, _coordinator = _cell()
    doctor = ProfessionalFactory(cell=cell, last_name="Garnier", first_name="Odile")
    MembershipFactory(
        user=UserFactory(username="odile"), cell=cell, role=Role.REQUESTER, requester_type="gp", professional=doctor
    )
    with held_elsewhere(_same_patient_being_recorded(cell, "Vasseur", "Léon")), translation.override("en"):
        answer = fhir_post(Client(HTTP_ACCEPT_LANGUAGE="en"), service_request_body(doctor.rpps))
    with translation.override("en"):
        assert answer.status_code == 409
        assert answer.json() == {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "lock-error", "diagnostics": str(LOCK_BUSY)}],
        }
    assert Request.objects.count() == 0
