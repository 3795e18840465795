"""A fake BAN search API on loopback: real HTTP, GeoCodeJSON answers from a few invented addresses, and the ways the
real one fails (too slow, a 500, an empty answer, not JSON). Every call is recorded to be asserted on."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from common.text import normalize
from tests.loopback import LoopbackHandler, serving


@dataclass(frozen=True)
class Address:
    housenumber: str
    street: str
    postcode: str
    citycode: str
    city: str
    latitude: float
    longitude: float
    score: float = 0.95

    @property
    def name(self) -> str:
        return f"{self.housenumber} {self.street}".strip()

    @property
    def label(self) -> str:
        return f"{self.name} {self.postcode} {self.city}"

    def feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [self.longitude, self.latitude]},
            "properties": {
                "label": self.label,
                "score": self.score,
                "housenumber": self.housenumber,
                "id": f"{self.citycode}_0001_{self.housenumber or '0'}",
                "name": self.name,
                "postcode": self.postcode,
                "citycode": self.citycode,
                "city": self.city,
                "context": "61, Orne, Normandie",
                "type": "housenumber" if self.housenumber else "street",
                "street": self.street,
            },
        }


# Invented: streets of Gacé (61181) and Argentan (61006) with made-up points a few hundred metres from the town centre.
ADDRESSES = [
    Address("12", "Rue de la Gare", "61230", "61181", "Gacé", 48.7931, 0.2988),
    Address("14", "Rue de la Gare", "61230", "61181", "Gacé", 48.7933, 0.2991),
    Address("3", "Place du Château", "61230", "61181", "Gacé", 48.7962, 0.2961),
    Address("", "Rue des Essais", "61230", "61181", "Gacé", 48.7801, 0.3102, score=0.72),
    Address("7", "Rue de la Gare", "61200", "61006", "Argentan", 48.7405, -0.0102),
]


@dataclass
class FakeBan:
    url: str = ""  # while running
    mode: str = "ok"  # ok | slow | error | empty | garbage | low_score | other_commune
    delay: float = 3.0
    calls: list[dict[str, str]] = field(default_factory=list)

    def answer(self, params: dict[str, str]) -> list[dict[str, Any]]:
        words = normalize(params.get("q", "")).split()
        found = []
        for address in ADDRESSES:
            if params.get("citycode") and address.citycode != params["citycode"]:
                continue
            label_words = normalize(address.label).split()
            if all(any(w.startswith(word) for w in label_words) for word in words):
                found.append(address.feature())
        if self.mode == "low_score":
            for feature in found:
                feature["properties"]["score"] = 0.2
        if self.mode == "other_commune":
            for feature in found:
                feature["properties"]["citycode"] = "61214"
        return found[: int(params.get("limit", "5"))]


class BanHandler(LoopbackHandler):
    def do_GET(self) -> None:
        fake = self.fake
        parsed = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(parsed.query))
        fake.calls.append({"path": parsed.path, **params})
        if parsed.path != "/search":
            self.send_body(404, b'{"code": 404, "message": "Not found"}')
            return
        if fake.mode == "slow":
            time.sleep(fake.delay)
        if fake.mode == "error":
            self.send_body(500, b"Internal Server Error", "text/plain")
            return
        if fake.mode == "garbage":
            self.send_body(200, b"<html>maintenance</html>", "text/html")
            return
        features = [] if fake.mode == "empty" else fake.answer(params)
        body = {
            "type": "FeatureCollection",
            "version": "draft",
            "features": features,
            "attribution": "BAN",
            "licence": "ETALAB-2.0",
            "query": params.get("q", ""),
            "limit": int(params.get("limit", "5")),
        }
        self.send_json(200, body)


@contextmanager
def running_fake_ban() -> Iterator[FakeBan]:
    fake = FakeBan()
    with serving(BanHandler, fake) as fake.url:
        yield fake


@pytest.fixture
def fake_ban() -> Iterator[FakeBan]:
    """A fake BAN on loopback (geocoding stays off until `ban_on`)."""
    with running_fake_ban() as fake:
        yield fake


@pytest.fixture
def ban_on(settings: Any, fake_ban: FakeBan) -> FakeBan:
    """BAN geocoding on, against the fake, with a short timeout and no answer cached from another test."""
    from django.core.cache import cache

    settings.AIGUILLAGE_BAN_URL = fake_ban.url
    settings.AIGUILLAGE_BAN_TIMEOUT = 0.5
    cache.clear()
    return fake_ban
