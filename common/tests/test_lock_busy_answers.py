"""A lock given up after the lock timeout outside a bounded block (a later wait in the same transaction) answers
"try again" with a 409 everywhere — the pages, the API, the FHIR server — never a 500; any other database failure
is not turned into it. The failure is the one Django raises: an OperationalError chained to psycopg's
LockNotAvailable (SQLSTATE 55P03), as common.tests.test_locking builds it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from api.services import api_token_create
from common.locking import LOCK_BUSY
from conftest import World
from interop.tests.helpers import FHIR_SETTINGS, sas_get
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def _lock_given_up(*args: Any, **kwargs: Any) -> None:
    cause = psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
    error = OperationalError(str(cause))
    error.__cause__ = cause
    raise error


def _other_failure(*args: Any, **kwargs: Any) -> None:
    cause = psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
    error = OperationalError(str(cause))
    error.__cause__ = cause
    raise error


def test_a_page_says_try_again_with_a_way_back(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    url = reverse("referrals:supervisor_inbox", kwargs={"cell": world.cell.slug})
    client = world.client_for(world.colleague)
    monkeypatch.setattr("accounts.policies.membership_for", _lock_given_up)
    answer = client.get(url, HTTP_REFERER=f"http://testserver/c/{world.cell.slug}/demandes/")
    assert answer.status_code == 409
    page = answer.content.decode()
    assert escape(str(LOCK_BUSY)) in page
    assert f'href="http://testserver/c/{world.cell.slug}/demandes/"' in page
    elsewhere = client.get(url, HTTP_REFERER="https://example.org/piege")
    assert elsewhere.status_code == 409 and "example.org" not in elsewhere.content.decode()


def test_another_database_failure_is_not_a_try_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = world.client_for(world.colleague)
    client.raise_request_exception = True
    monkeypatch.setattr("accounts.policies.membership_for", _other_failure)
    with pytest.raises(OperationalError, match="statement timeout"):
        client.get(reverse("referrals:supervisor_inbox", kwargs={"cell": world.cell.slug}))


def test_the_api_answers_409_with_the_french_errors_body(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    pro = ProfessionalFactory(cell=world.cell, profession="gp")
    membership = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pro)
    token = api_token_create(membership=membership)[1]
    monkeypatch.setattr("api.v1.selectors.request_for", _lock_given_up)
    answer = Client().get("/api/v1/requests/1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 409
    assert answer.json() == {"errors": {"request": [str(LOCK_BUSY)]}}


def test_the_fhir_server_answers_409_lock_error(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FHIR_SETTINGS.items():
        setattr(settings, name, value)
    monkeypatch.setattr("interop.views.parse_slot_search", _lock_given_up)
    answer = sas_get(Client(), "/fhir/Slot?start=ge2026-12-08")
    assert answer.status_code == 409
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert [(issue["code"], issue["diagnostics"]) for issue in outcome["issue"]] == [("lock-error", str(LOCK_BUSY))]
