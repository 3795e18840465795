"""The app server's workers pay the first call's imports and tables at their start (aiguillage/warmup.py): the API's
intake then answers the same, without them in its time."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import pytest
from django.template import engines
from django.template.loaders import cached
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from aiguillage import warmup
from api.services import api_token_create
from common import holidays
from conftest import World
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

VARYING = ("id", "reference", "received_at", "deadline_at", "timeline")  # the request's own, and times


def intake(token: str, key: str) -> dict[str, Any]:
    body = {
        "patient": {"last_name": "Girard", "first_name": "Hugo", "commune_insee": "61006", "phone": "06 12 34 56 78"}
        | {"mt_situation": "no_mt"},
        "need": {"reason": "Lombalgie", "reason_category": "pain", "care_channel": "gp", "urgency": "48h"}
        | {"elsewhere": "er"},
        "idempotency_key": key,
    }
    response = Client().post(
        "/api/v1/requests", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 201, response.content
    return {name: value for name, value in response.json().items() if name not in VARYING}


def test_the_warm_up_reads_no_database_and_fills_the_first_calls_tables(django_assert_num_queries: Any) -> None:
    holidays._year.cache_clear()
    with django_assert_num_queries(0):
        warmup.warm_up()
    assert holidays._year.cache_info().currsize == 2  # this year and the next, metropolitan France
    misses = holidays._year.cache_info().misses
    assert holidays.is_public_holiday(timezone.localdate().replace(month=7, day=14))
    assert holidays._year.cache_info().misses == misses  # the call found its table ready


def test_the_intake_answers_the_same_after_the_warm_up(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell, profession="gp")
    member = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="sas_regulator", professional=pro)
    token = api_token_create(membership=member)[1]
    holidays._year.cache_clear()
    cold = intake(token, "froid-1")
    warmup.warm_up()
    assert intake(token, "chaud-1") == cold


def test_the_wsgi_application_warms_up_at_its_start(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append(True))
    if "aiguillage.wsgi" in sys.modules:
        importlib.reload(sys.modules["aiguillage.wsgi"])
    else:
        importlib.import_module("aiguillage.wsgi")
    assert calls == [True]


def test_the_warm_up_compiles_every_template_of_the_project_once() -> None:
    loader = engines["django"].engine.template_loaders[0]
    assert isinstance(loader, cached.Loader)  # production's loader (DEBUG off): templates compiled once per process
    loader.reset()
    warmup.warm_up()
    names = set(warmup.project_templates())
    assert {"referrals/intake.html", "referrals/request_detail.html", "alerts/_waiting.html"} <= names
    assert not any(name.startswith(("admin/", "django/")) for name in names)  # the libraries' own are not ours
    assert names <= set(loader.get_template_cache)
