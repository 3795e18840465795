"""Geocoding French addresses with the Base Adresse Nationale (BAN), falling back to the commune's point.

BAN's search API (`GET {AIGUILLAGE_BAN_URL}/search?q=…&citycode=…`) answers GeoCodeJSON: a FeatureCollection whose
features have `geometry.coordinates` = [longitude, latitude] and `properties` (label, score, type, name, housenumber,
street, postcode, citycode, city…). Rules:

- Off unless AIGUILLAGE_BAN_URL is set: then no address ever leaves the server and every point is the commune's.
- One short timeout (AIGUILLAGE_BAN_TIMEOUT) per call; any failure (timeout, refused, an error status, not GeoCodeJSON)
  gives the commune's point and is not remembered, so the next save asks again. The address is never logged.
- A match is trusted only in the address's own commune (BAN's citycode, or an arrondissement of Paris, Lyon or
  Marseille), with a score of at least AIGUILLAGE_BAN_MIN_SCORE, and at the house number or the street; otherwise the
  commune's point, and that answer is remembered like a match.
- Answers are kept in `GeocodedAddress` for AIGUILLAGE_BAN_CACHE_DAYS: one table for every process and the worker.
- Reading a point (`cached_point`, `cached_points`: the slot finder, the alerts…) never calls BAN: the call happens in
  the background after a save (referrals.tasks, directory.tasks), so a slow BAN never slows a page down.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from common import outbound
from common.text import normalize

from .models import Commune, GeocodedAddress, PointPrecision

logger = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 1_000_000
MIN_QUERY_LENGTH = 3  # BAN refuses shorter queries
SUGGESTION_LIMIT = 5
SUGGESTION_CACHE_SECONDS = 600
# BAN gives the arrondissement's code, not the city's, in the three cities split into municipal arrondissements.
ARRONDISSEMENT_PREFIXES = {"75056": "751", "69123": "6938", "13055": "132"}
PRECISION_OF_TYPE = {
    "housenumber": PointPrecision.ADDRESS,
    "street": PointPrecision.STREET,
    "locality": PointPrecision.STREET,  # a lieu-dit: as precise as a street in the countryside
}


class BanUnavailable(Exception):
    """BAN gave no usable answer: unreachable, too slow, an error status, or something that is not GeoCodeJSON."""


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    precision: str  # a PointPrecision

    @property
    def pair(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)


@dataclass(frozen=True)
class BanFeature:
    """One address of a BAN answer, with what a form needs to fill its fields."""

    label: str  # "12 Rue de la Gare 61230 Gacé"
    name: str  # "12 Rue de la Gare": what goes in a street field
    postcode: str
    citycode: str
    city: str
    kind: str  # BAN's type: housenumber, street, locality, municipality
    score: float
    latitude: float
    longitude: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ban_enabled() -> bool:
    return bool(settings.AIGUILLAGE_BAN_URL)


def ban_search(
    query: str, *, citycode: str = "", limit: int = SUGGESTION_LIMIT, autocomplete: bool = False
) -> list[BanFeature]:
    """One call to BAN's search. Raises BanUnavailable on any failure; an answer with no feature is an empty list."""
    base = settings.AIGUILLAGE_BAN_URL.rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise BanUnavailable("AIGUILLAGE_BAN_URL must be an http(s) address")
    params = {"q": query, "limit": str(limit), "autocomplete": "1" if autocomplete else "0"}
    if citycode:
        params["citycode"] = citycode
    ban = outbound.Service(
        purpose="BAN geocoding",
        timeout=settings.AIGUILLAGE_BAN_TIMEOUT,
        max_bytes=MAX_ANSWER_BYTES,
        follow_redirects=True,  # a GET that carries no secret, as before
    )
    try:
        payload = ban.get_json(f"{base}/search", params=params)
    except outbound.Refused as error:
        raise BanUnavailable(f"HTTP {error.status}") from error
    except outbound.OutboundError as error:  # unreachable, too slow, or not JSON: the message names no address
        raise BanUnavailable(str(error)) from error
    return _features(payload)


def _features(payload: Any) -> list[BanFeature]:
    if not isinstance(payload, dict) or payload.get("type") != "FeatureCollection":
        raise BanUnavailable("not a GeoCodeJSON FeatureCollection")
    features = []
    for feature in payload.get("features") or []:
        try:
            properties = feature["properties"]
            longitude, latitude = (float(c) for c in feature["geometry"]["coordinates"][:2])
            score = float(properties.get("score", 0))
        except (KeyError, TypeError, ValueError):
            continue  # one malformed feature does not spoil the others
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            continue
        features.append(
            BanFeature(
                label=str(properties.get("label", "")),
                name=str(properties.get("name", "")),
                postcode=str(properties.get("postcode", "")),
                citycode=str(properties.get("citycode", "")),
                city=str(properties.get("city", "")),
                kind=str(properties.get("type", "")),
                score=score,
                latitude=latitude,
                longitude=longitude,
            )
        )
    return features


def in_commune(citycode: str, commune: Commune) -> bool:
    """BAN's citycode names this commune (or one of its municipal arrondissements)."""
    prefix = ARRONDISSEMENT_PREFIXES.get(commune.insee_code)
    return citycode == commune.insee_code or bool(prefix and citycode.startswith(prefix))


def _citycode_filter(commune: Commune) -> str:
    return "" if commune.insee_code in ARRONDISSEMENT_PREFIXES else commune.insee_code


def address_key(street: str, commune: Commune) -> str:
    """The cache key of an address: a hash of the commune's code and the normalised street (case, accents, punctuation
    and "St"/"Saint" do not matter)."""
    return hashlib.sha256(f"{commune.insee_code}|{normalize(street)}".encode()).hexdigest()


def commune_point(commune: Commune) -> GeoPoint | None:
    if not commune.has_point:
        return None
    return GeoPoint(commune.latitude, commune.longitude, PointPrecision.COMMUNE)  # type: ignore[arg-type]


def _point_of(row: GeocodedAddress, commune: Commune) -> GeoPoint | None:
    if row.precision == PointPrecision.COMMUNE or row.latitude is None or row.longitude is None:
        return commune_point(commune)
    return GeoPoint(row.latitude, row.longitude, row.precision)


def _worth_asking(street: str) -> bool:
    return len(normalize(street).replace(" ", "")) >= MIN_QUERY_LENGTH


def _best_match(features: list[BanFeature], commune: Commune) -> BanFeature | None:
    minimum = settings.AIGUILLAGE_BAN_MIN_SCORE
    for feature in features:  # BAN sorts them by score
        if feature.kind in PRECISION_OF_TYPE and feature.score >= minimum and in_commune(feature.citycode, commune):
            return feature
    return None


def geocode(*, street: str, commune: Commune, now: datetime | None = None) -> GeoPoint | None:
    """The point of a street address in a commune: BAN's when it is trusted, else the commune's (None when the
    commune has no point). Never raises: a failure of BAN is logged (without the address) and gives the commune's
    point. Asks BAN at most once per address and AIGUILLAGE_BAN_CACHE_DAYS; never when geocoding is off."""
    if not ban_enabled() or not _worth_asking(street):
        return commune_point(commune)
    now = now or timezone.now()
    key = address_key(street, commune)
    fresh_from = now - timedelta(days=settings.AIGUILLAGE_BAN_CACHE_DAYS)
    row = GeocodedAddress.objects.filter(key=key, fetched_at__gte=fresh_from).first()
    if row is not None:
        return _point_of(row, commune)
    query = street.strip() if _citycode_filter(commune) else f"{street.strip()} {commune.name}"
    try:
        features = ban_search(query, citycode=_citycode_filter(commune), limit=SUGGESTION_LIMIT)
    except BanUnavailable as error:
        logger.warning("BAN geocoding unavailable (%s): the commune's point is used", error)
        return commune_point(commune)
    match = _best_match(features, commune)
    values: dict[str, Any] = {
        "commune": commune,
        "precision": PRECISION_OF_TYPE[match.kind] if match else PointPrecision.COMMUNE,
        "latitude": match.latitude if match else None,
        "longitude": match.longitude if match else None,
        "score": match.score if match else (features[0].score if features else None),
        "fetched_at": now,
    }
    try:
        with transaction.atomic():
            row, _created = GeocodedAddress.objects.update_or_create(key=key, defaults=values)
            # Old answers go as new ones come: the table holds no address longer than the cache keeps it.
            GeocodedAddress.objects.filter(fetched_at__lt=fresh_from).delete()
    except IntegrityError:  # the same address stored at the same moment by another process
        row = GeocodedAddress.objects.get(key=key)
    return _point_of(row, commune)


def geocoded_addresses_purge(*, now: datetime | None = None) -> int:
    """Remove the answers older than AIGUILLAGE_BAN_CACHE_DAYS (also done as new answers come, while geocoding is
    on; this is for when it is off or idle). Returns how many went."""
    fresh_from = (now or timezone.now()) - timedelta(days=settings.AIGUILLAGE_BAN_CACHE_DAYS)
    deleted, _ = GeocodedAddress.objects.filter(fetched_at__lt=fresh_from).delete()
    return deleted


def cached_point(*, street: str, commune: Commune) -> GeoPoint | None:
    """The best point known without calling BAN: the address's, once geocoded, else the commune's."""
    return cached_points([(street, commune)]).get(address_key(street, commune)) or commune_point(commune)


def cached_points(addresses: Iterable[tuple[str, Commune]]) -> dict[str, GeoPoint]:
    """For many addresses at once (one query), the points BAN gave, by `address_key`. Addresses BAN has not placed
    (not asked yet, no match, geocoding off) are absent: their caller uses the commune's point."""
    if not ban_enabled():
        return {}
    communes = {address_key(street, commune): commune for street, commune in addresses if _worth_asking(street)}
    if not communes:
        return {}
    rows = GeocodedAddress.objects.filter(key__in=communes).exclude(precision=PointPrecision.COMMUNE)
    return {row.key: GeoPoint(row.latitude, row.longitude, row.precision) for row in rows}  # type: ignore[arg-type]


def suggest(query: str, *, commune: Commune | None = None) -> list[BanFeature]:
    """Addresses for a type-ahead field (BAN's autocomplete), within the commune when one is given; the same query
    is answered from the cache for a few minutes. Raises BanUnavailable."""
    query = " ".join(query.split())[:200]
    if not ban_enabled() or not _worth_asking(query):
        return []
    citycode = _citycode_filter(commune) if commune is not None else ""
    cache_key = "ban-suggest:" + hashlib.sha256(f"{citycode}|{normalize(query)}".encode()).hexdigest()
    cached = cache.get(cache_key)
    if cached is not None:
        return [BanFeature(**item) for item in cached]
    features = ban_search(query, citycode=citycode, limit=SUGGESTION_LIMIT, autocomplete=True)
    if commune is not None:
        features = [f for f in features if in_commune(f.citycode, commune)]
    features = [f for f in features if f.kind in PRECISION_OF_TYPE]
    cache.set(cache_key, [f.as_dict() for f in features], SUGGESTION_CACHE_SECONDS)
    return features


def suggestion_allowed(*, user_id: int, now: datetime | None = None) -> bool:
    """At most AIGUILLAGE_BAN_SUGGESTIONS_PER_MINUTE suggestion calls per user and minute (counted in Django's cache:
    per process unless a shared cache is configured; a soft limit that keeps one user from using BAN's quota up)."""
    now = now or timezone.now()
    key = f"ban-suggest-count:{user_id}:{now:%Y%m%d%H%M}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    return count <= settings.AIGUILLAGE_BAN_SUGGESTIONS_PER_MINUTE
