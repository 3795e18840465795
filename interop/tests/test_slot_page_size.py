"""The Slot search's page size (interop/search.py): the guide's `_count=1000` served in one page, more refused, a
search without `_count` paged by the same default, each page linking the `next` one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from agenda.tests.factories import make_slot
from conftest import World
from interop import search

from .helpers import parse_r4b, sas_get
from .test_slot_search import _fhir_settings, _future, _search  # noqa: F401 (_fhir_settings: a fixture)
from .test_slot_search import cpts as cpts  # a fixture


def _matches(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle["entry"] if entry["search"]["mode"] == "match"]


def test_the_guides_count_is_served_and_more_is_refused(client: Client, world: World, cpts: dict[str, Any]) -> None:
    make_slot(world.cell, starts_at=_future(2, 9), professional=cpts["doctor"], site=cpts["site"], open_to_sas=True)
    guide = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23), extra="&_count=1000")
    assert guide.status_code == 200 and guide.json()["total"] == 2  # the fixture's slot and this one
    too_many = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23), extra=f"&_count={search.MAX_COUNT + 1}")
    assert too_many.status_code == 400
    assert parse_r4b(too_many.json()).issue[0].expression == ["_count"]


def test_without_count_the_default_pages_and_links_the_next_page(
    client: Client, world: World, cpts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "DEFAULT_COUNT", 2)
    for hour in (8, 9, 10):
        make_slot(
            world.cell, starts_at=_future(2, hour), professional=cpts["doctor"], site=cpts["site"], open_to_sas=True
        )
    first = _search(client, [cpts["id"]], _future(1, 0), _future(3, 23)).json()
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert first["total"] == 4 and len(_matches(first)) == 2  # the fixture's slot and these three
    assert "_count" not in links["next"]
    second = sas_get(client, links["next"].replace("https://aiguillage.test", "")).json()
    assert len(_matches(second)) == 2 and "next" not in {link["relation"] for link in second["link"]}
    assert set(_matches(first)).isdisjoint(_matches(second))
