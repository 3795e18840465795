"""A ServiceRequest sent while the cell is closed creates the request, and the answer carries the closed-cell note."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from conftest import World
from territory import opening
from territory.tests.closing import close_until_the_day_after_tomorrow

from .helpers import parse_r4b
from .test_service_requests import _body, _fhir_settings, _post, requester

__all__ = ["_fhir_settings", "requester"]  # the fixtures, used here by name

pytestmark = pytest.mark.django_db


def test_a_service_request_to_the_closed_cell_is_taken_with_a_note_saying_when_it_reopens(
    client: Client, world: World, requester: Any
) -> None:
    reopens_at = close_until_the_day_after_tomorrow(world.cell)
    response = _post(client, _body(requester.rpps))
    assert response.status_code == 201, response.json()
    resource = parse_r4b(response.json())  # still a valid R4B ServiceRequest
    with translation.override("fr"):
        assert [note.text for note in resource.note] == [opening.ClosedAnswer(reopens_at).text()]


def test_a_service_request_to_an_open_cell_has_no_note(client: Client, world: World, requester: Any) -> None:
    response = _post(client, _body(requester.rpps))
    assert "note" not in response.json()
