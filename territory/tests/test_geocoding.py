"""Geocoding against a fake BAN on loopback (real HTTP): matches, the commune's point on every kind of failure, the
cache in the database, and nothing at all when geocoding is off."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from territory import geocoding
from territory.geocoding import BanUnavailable, GeoPoint, address_key, cached_points, geocode, in_commune, suggest
from territory.models import Commune, GeocodedAddress, PointPrecision
from tests.fake_ban import FakeBan

pytestmark = pytest.mark.django_db

GACE, ARGENTAN = "61181", "61006"


def commune(code: str) -> Commune:
    return Commune.objects.get(insee_code=code)


def test_geocoding_is_off_by_default_and_then_asks_nothing(fake_ban: FakeBan) -> None:
    from django.conf import settings

    assert settings.AIGUILLAGE_BAN_URL == ""
    gace = commune(GACE)
    point = geocode(street="12 rue de la Gare", commune=gace)
    assert point == GeoPoint(gace.latitude, gace.longitude, PointPrecision.COMMUNE)
    assert suggest("12 rue de la", commune=gace) == []
    assert cached_points([("12 rue de la Gare", gace)]) == {}
    assert fake_ban.calls == []
    assert not GeocodedAddress.objects.exists()


def test_an_address_is_placed_at_its_house_number_within_its_commune(ban_on: FakeBan) -> None:
    point = geocode(street="12 rue de la Gare", commune=commune(GACE))
    assert point == GeoPoint(48.7931, 0.2988, PointPrecision.ADDRESS)  # [lon, lat] in GeoCodeJSON, read the right way
    (call,) = ban_on.calls
    assert call["path"] == "/search"
    assert call["q"] == "12 rue de la Gare"
    assert call["citycode"] == GACE
    assert call["autocomplete"] == "0"


def test_a_street_without_a_number_is_placed_at_the_street(ban_on: FakeBan) -> None:
    point = geocode(street="rue des essais", commune=commune(GACE))
    assert point is not None and point.precision == PointPrecision.STREET
    assert point.pair == (48.7801, 0.3102)


def test_the_second_time_the_answer_comes_from_the_database(ban_on: FakeBan) -> None:
    gace = commune(GACE)
    first = geocode(street="12 rue de la Gare", commune=gace)
    # Case, accents, punctuation and spacing do not make it another address.
    second = geocode(street="12, RUE  de la gare", commune=gace)
    assert first == second
    assert len(ban_on.calls) == 1
    row = GeocodedAddress.objects.get()
    assert row.key == address_key("12 rue de la Gare", gace)
    assert "gare" not in row.key  # a hash, not the address


def test_an_old_answer_is_asked_again_and_old_rows_are_removed(ban_on: FakeBan, settings: Any) -> None:
    gace = commune(GACE)
    geocode(street="12 rue de la Gare", commune=gace)
    geocode(street="14 rue de la Gare", commune=gace)
    stale = timezone.now() - timedelta(days=settings.AIGUILLAGE_BAN_CACHE_DAYS + 1)
    GeocodedAddress.objects.update(fetched_at=stale)
    geocode(street="12 rue de la Gare", commune=gace)
    assert len(ban_on.calls) == 3
    assert GeocodedAddress.objects.count() == 1  # the other stale row went with the new answer
    assert GeocodedAddress.objects.get().fetched_at > stale


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_a_failing_ban_gives_the_commune_point_and_is_not_remembered(ban_on: FakeBan, mode: str) -> None:
    ban_on.mode = mode
    gace = commune(GACE)
    assert geocode(street="12 rue de la Gare", commune=gace) == geocoding.commune_point(gace)
    assert not GeocodedAddress.objects.exists()
    ban_on.mode = "ok"
    assert geocode(street="12 rue de la Gare", commune=gace).precision == PointPrecision.ADDRESS
    assert len(ban_on.calls) == 2


def test_a_slow_ban_is_given_up_after_the_timeout(ban_on: FakeBan) -> None:
    ban_on.mode, ban_on.delay = "slow", 3.0
    gace = commune(GACE)
    started = time.monotonic()
    point = geocode(street="12 rue de la Gare", commune=gace)
    assert time.monotonic() - started < 2.0  # the 0.5 s timeout, not the 3 s answer
    assert point == geocoding.commune_point(gace)
    assert not GeocodedAddress.objects.exists()


@pytest.mark.parametrize(
    ("mode", "reason"), [("slow", "no answer within 0.5 s"), ("error", "HTTP 500"), ("garbage", "not JSON")]
)
def test_a_failing_ban_is_logged_with_its_reason_without_the_address(
    ban_on: FakeBan, mode: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    ban_on.mode, ban_on.delay = mode, 1.0
    caplog.set_level(logging.DEBUG)  # every logger, the HTTP library's included
    geocode(street="12 rue de la Gare", commune=commune(GACE))
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning.name == "territory.geocoding" and "the commune's point is used" in warning.getMessage()
    assert reason in warning.getMessage()
    assert "Gare" not in caplog.text and "gare" not in caplog.text.lower()


def test_a_slow_ban_raises_for_the_caller_that_must_know(ban_on: FakeBan) -> None:
    ban_on.mode = "slow"
    with pytest.raises(BanUnavailable):
        geocoding.ban_search("12 rue de la Gare")


@pytest.mark.parametrize("mode", ["empty", "low_score", "other_commune"])
def test_no_trustworthy_match_gives_the_commune_point_and_is_remembered(ban_on: FakeBan, mode: str) -> None:
    ban_on.mode = mode
    gace = commune(GACE)
    assert geocode(street="12 rue de la Gare", commune=gace) == geocoding.commune_point(gace)
    assert GeocodedAddress.objects.get().precision == PointPrecision.COMMUNE
    assert geocode(street="12 rue de la Gare", commune=gace) == geocoding.commune_point(gace)
    assert len(ban_on.calls) == 1


def test_too_short_an_address_is_not_sent(ban_on: FakeBan) -> None:
    gace = commune(GACE)
    assert geocode(street=" 1 ", commune=gace) == geocoding.commune_point(gace)
    assert ban_on.calls == []


def test_cached_points_read_many_addresses_without_calling_ban(ban_on: FakeBan) -> None:
    gace, argentan = commune(GACE), commune(ARGENTAN)
    geocode(street="12 rue de la Gare", commune=gace)
    geocode(street="7 rue de la Gare", commune=argentan)
    ban_on.mode = "empty"
    geocode(street="99 rue Inconnue", commune=gace)
    calls = len(ban_on.calls)
    points = cached_points(
        [("12 rue de la Gare", gace), ("7 rue de la gare", argentan), ("99 rue Inconnue", gace), ("3 rue X", gace)]
    )
    assert points == {
        address_key("12 rue de la Gare", gace): GeoPoint(48.7931, 0.2988, PointPrecision.ADDRESS),
        address_key("7 rue de la Gare", argentan): GeoPoint(48.7405, -0.0102, PointPrecision.ADDRESS),
    }
    assert geocoding.cached_point(street="3 rue X", commune=gace) == geocoding.commune_point(gace)
    assert len(ban_on.calls) == calls


def test_suggestions_are_asked_as_type_ahead_within_the_commune_and_cached(ban_on: FakeBan) -> None:
    gace = commune(GACE)
    found = suggest("12 rue de la g", commune=gace)
    assert [f.label for f in found] == ["12 Rue de la Gare 61230 Gacé"]
    assert (found[0].name, found[0].citycode, found[0].latitude, found[0].longitude) == (
        "12 Rue de la Gare",
        GACE,
        48.7931,
        0.2988,
    )
    assert ban_on.calls[0]["autocomplete"] == "1"
    assert ban_on.calls[0]["citycode"] == GACE
    assert suggest("12 rue de la g", commune=gace) == found
    assert len(ban_on.calls) == 1
    # Without a commune, all of France (here: both communes' streets).
    assert {f.city for f in suggest("rue de la gare")} == {"Gacé", "Argentan"}


def test_suggestions_per_user_and_minute_are_limited(settings: Any) -> None:
    settings.AIGUILLAGE_BAN_SUGGESTIONS_PER_MINUTE = 3
    cache.clear()
    now = timezone.now().replace(second=5)
    assert [geocoding.suggestion_allowed(user_id=1, now=now) for _ in range(4)] == [True, True, True, False]
    assert geocoding.suggestion_allowed(user_id=2, now=now)  # another user
    assert geocoding.suggestion_allowed(user_id=1, now=now + timedelta(minutes=1))  # the next minute


def test_paris_lyon_and_marseille_match_their_arrondissements() -> None:
    paris = Commune(insee_code="75056", name="Paris")
    assert in_commune("75111", paris) and in_commune("75056", paris)
    assert not in_commune("75111", Commune(insee_code="61181", name="Gacé"))
    assert not in_commune("69381", paris)


def test_the_purge_removes_only_old_answers(ban_on: FakeBan, settings: Any) -> None:
    gace = commune(GACE)
    geocode(street="12 rue de la Gare", commune=gace)
    geocode(street="14 rue de la Gare", commune=gace)
    old = timezone.now() - timedelta(days=settings.AIGUILLAGE_BAN_CACHE_DAYS + 1)
    GeocodedAddress.objects.filter(key=address_key("12 rue de la Gare", gace)).update(fetched_at=old)
    assert geocoding.geocoded_addresses_purge() == 1
    assert list(GeocodedAddress.objects.values_list("key", flat=True)) == [address_key("14 rue de la Gare", gace)]
