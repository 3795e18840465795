"""nginx compresses what pays and leaks nothing (deploy/nginx/aiguillage.conf): the FHIR Slot searchset (hundreds of
kilobytes of repetitive JSON), the API's JSON and the static files come gzip-compressed to a client that accepts it,
and are the very same bytes once decompressed; the pages (a CSRF token beside what the user typed: BREACH) never are.
Real nginx in front of gunicorn (deploy/tests/conftest.py), on PostgreSQL as the folder's other tests."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from agenda.tests.factories import make_slot
from conftest import World
from deploy.tests.stack import Deployment, https
from interop import codes
from tests.factories import ProfessionalFactory, SiteFactory

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    # Committed rows: gunicorn reads the test database through its own connections.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not ON_POSTGRESQL, reason="runs once, on PostgreSQL (make test-postgres)"),
    pytest.mark.xdist_group("deployment"),
]

PARIS = ZoneInfo("Europe/Paris")
GZIP = {"Accept-Encoding": "gzip"}


def _day(days: int, hour: int) -> datetime:
    day = (datetime.now(PARIS) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


def _slot_search(world: World, doctors: int = 6, per_day: int = 24) -> str:
    """The SAS platform's search of two days of `doctors` GPs with `per_day` free slots each (~100 KB of JSON)."""
    world.territory.finess = "950047225"
    world.territory.save()
    site = SiteFactory(cell=world.cell, name="Maison de santé du Parc", finess="")
    actors = []
    for _ in range(doctors):
        doctor = ProfessionalFactory(cell=world.cell)
        doctor.sites.add(site)
        actors.append(f"{codes.IDNPS}|8{doctor.rpps}")
        for day in (1, 2):
            for index in range(per_day):
                start = _day(day, 8) + timedelta(minutes=20 * index)
                make_slot(world.cell, starts_at=start, professional=doctor, site=site, open_to_sas=True)
    window = f"start=ge{_day(1, 0).isoformat()}&start=le{_day(2, 23).isoformat()}".replace("+", "%2B")
    return (
        f"/fhir/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor&{window}"
        f"&schedule.actor:Practitioner.identifier={','.join(actors)}&status=free&_count=1000"
    )


def _without_stamp(body: bytes) -> dict[str, Any]:
    """The searchset without what differs from one answer to the next: its own id and time."""
    bundle = json.loads(body)
    return {key: value for key, value in bundle.items() if key not in ("id", "meta", "timestamp")}


def test_the_fhir_slot_searchset_comes_gzipped_when_asked_and_identical_once_decompressed(
    deployment: Deployment, world: World
) -> None:
    path = _slot_search(world)
    plain = https(deployment, path, cert=deployment.pki.allowed)
    assert plain.status == 200, plain.body[:500]
    assert plain.json()["total"] == 6 * 2 * 24 and len(plain.body) > 50_000
    assert "Content-Encoding" not in plain.headers  # not asked: as the app wrote it
    packed = https(deployment, path, cert=deployment.pki.allowed, headers=GZIP)
    assert packed.status == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Content-Type"].startswith("application/fhir+json")
    assert "Accept-Encoding" in packed.headers["Vary"]
    unpacked = gzip.decompress(packed.body)
    assert len(unpacked) == len(plain.body) and _without_stamp(unpacked) == _without_stamp(plain.body)
    assert len(packed.body) * 8 < len(plain.body), (len(packed.body), len(plain.body))  # repetitive JSON


def test_the_apis_json_comes_gzipped_when_asked(deployment: Deployment, world: World) -> None:
    # The API's own description (OpenAPI, JSON), served without a token.
    plain = https(deployment, "/api/v1/openapi.json", headers={"Accept": "application/json"})
    assert plain.status == 200 and plain.headers["Content-Type"].startswith("application/json"), plain.status
    packed = https(deployment, "/api/v1/openapi.json", headers={"Accept": "application/json", **GZIP})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.body) == plain.body


def test_static_css_and_javascript_come_gzipped_when_asked(deployment: Deployment, world: World) -> None:
    rule = "".join(f".rule-{index} {{ margin: {index}px; padding: 0; }}\n" for index in range(200)).encode()
    (deployment.static_root / "css" / "compressed.css").write_bytes(rule)
    (deployment.static_root / "compressed.js").write_bytes(b"console.log('x');\n" * 200)
    for path, body in (("/static/css/compressed.css", rule), ("/static/compressed.js", b"console.log('x');\n" * 200)):
        packed = https(deployment, path, headers=GZIP)
        assert packed.status == 200 and packed.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(packed.body) == body


def _gzip_switches(conf: str) -> list[tuple[str, str]]:
    """Each `gzip on|off;` of the configuration with the block it sits in (`server`, `location /fhir/`…)."""
    blocks: list[str] = []
    switches = []
    for line in conf.splitlines():
        code = line.split("#", 1)[0].strip()
        if code.endswith("{"):
            blocks.append(code[:-1].strip())
        elif code == "}":
            blocks.pop()
        elif code in ("gzip on;", "gzip off;"):
            switches.append((blocks[-1], code))
    return switches


def test_pages_are_never_compressed() -> None:
    # A page carries a CSRF token beside what the user sent: compressed, its length would let an eavesdropper guess
    # the token (BREACH). nginx compresses text/html wherever gzip is on (and Debian's nginx.conf turns it on for the
    # whole `http` block), so the server turns it off and only the JSON and static locations turn it on. (Read from
    # the file: the test deployment cannot draw a page, it has no collected static manifest.)
    conf = (settings.BASE_DIR / "deploy" / "nginx" / "aiguillage.conf").read_text()
    switches = _gzip_switches(conf)
    assert ("server", "gzip off;") in switches
    assert {block for block, switch in switches if switch == "gzip on;"} == {
        "location /fhir/",
        "location /api/",
        "location /static/",
    }
