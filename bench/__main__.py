"""Benchmarks, outside the test suite: `make bench` runs them on a throwaway PostgreSQL (or DATABASE_URL).

Each benchmark runs several rounds and prints the median and the spread, so that a change can be compared with the
figures in README.md. Later issues add theirs to BENCHMARKS.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import django

if TYPE_CHECKING:
    from django.test import Client

    from accounts.models import User
    from territory.models import Cell


def measure(name: str, action: Callable[[], object], *, rounds: int = 7, inner: int = 20, expect: int = 200) -> None:
    """`expect`: the HTTP status of a success (302 for an action that goes back to the request's page)."""
    warm = action()  # warm-up: caches, connections, compiled templates
    status = getattr(warm, "status_code", 200)
    if status != expect:  # a redirect (to the login, the second factor) would be measured instead of the page
        raise SystemExit(f"{name}: HTTP {status}, not the page to measure")
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            action()
        per_call.append((time.perf_counter() - start) / inner * 1000)
    print(
        f"{name:<55} median {statistics.median(per_call):8.2f} ms   "
        f"min {min(per_call):8.2f}   max {max(per_call):8.2f}   ({rounds}×{inner} calls)",
        flush=True,
    )


def prepare() -> None:
    """Django with the test settings, the database migrated and the demo loaded: what every benchmark starts from
    (`python -m bench`, `python -m bench.search`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiguillage.settings.test")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    from demo.loader import load_demo

    load_demo()


def main() -> int:
    prepare()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from accounts.testing import mark_second_factor_verified
    from referrals.models import Request
    from referrals.states import OPEN
    from territory.models import Cell
    from territory.selectors import commune_search

    print(f"Database: {connection.vendor}; Python {sys.version.split()[0]}; Django {django.get_version()}")
    from bench.forecast import bench_forecast

    forecast_beats_baselines = bench_forecast()  # first: the seeds below add requests to the demo cell
    cell = Cell.objects.get(slug="orne-est")
    measure("commune_search('saint germain') in all of France", lambda: commune_search("saint germain"))
    measure("commune_search('61200') by postal code", lambda: commune_search("61200"))
    measure("commune_search('arg') within the cell", lambda: commune_search("arg", cell=cell))
    client = Client()
    client.force_login(User.objects.get(username="admin-orne"))
    mark_second_factor_verified(client, User.objects.get(username="admin-orne"))
    measure("GET professionals list (page 1, 25 rows)", lambda: client.get("/c/orne-est/annuaire/professionnels/"))
    measure(
        "GET professionals search ?q=mart (htmx partial)",
        lambda: client.get("/c/orne-est/annuaire/professionnels/?q=mart", HTTP_HX_REQUEST="true"),
    )
    measure("GET cell home (cell administrator)", lambda: client.get("/c/orne-est/"))

    seeded = seed_requests(cell, total=50_000, open_=300)
    coordinator = Client()
    coordinator.force_login(User.objects.get(username="coordination"))
    mark_second_factor_verified(coordinator, User.objects.get(username="coordination"))
    print(f"Requests in the database: {seeded} ({Request.objects.filter(cell=cell, status__in=OPEN).count()} open)")
    measure(
        "GET queue (50,000 requests, 50 most pressing shown)",
        lambda: coordinator.get("/c/orne-est/demandes/"),
        rounds=7,
        inner=5,
    )
    measure(
        "GET queue search ?q=dupont (htmx partial)",
        lambda: coordinator.get("/c/orne-est/demandes/?q=dupont", HTTP_HX_REQUEST="true"),
        rounds=7,
        inner=5,
    )
    from bench.search import bench_search

    bench_search(cell, coordinator)  # find any request: name, reference, phone, date of birth, period
    seeded_slots = seed_slots(cell, total=200_000)
    request = Request.objects.filter(cell=cell, status__in=OPEN).order_by("deadline_at").first()
    assert request is not None
    from agenda.finder import find_slots

    print(f"Future slots in the department: {seeded_slots}")
    measure("slot finder for one request (200,000 future slots)", lambda: find_slots(request, timezone.now()))
    measure(
        "GET request page with the slot finder",
        lambda: coordinator.get(f"/c/orne-est/demandes/{request.pk}/"),
        rounds=7,
        inner=5,
    )
    bench_day_actions(cell, coordinator, User.objects.get(username="coordination"))
    if "--day" in sys.argv:  # `python -m bench --day`: up to the day's actions only
        return 0
    bench_fhir(cell)
    bench_indicators()
    from bench.placement import main as bench_placement

    bench_placement()
    return 0 if forecast_beats_baselines else 1


DAY_ROUNDS, DAY_INNER = 7, 5


def bench_day_actions(cell: Cell, coordinator: Client, user: User) -> None:
    """A coordinator's day (issue 19.11), each action on requests and slots of its own so that it really happens
    every call: open an unheld request's page, take it, log a callback, qualify it, book it. Every call's request
    goes through the four actions in turn, as a coordinator does; each figure is the server's time for one POST (its
    redirect back to the page is the page's figure). Other requests book telemedicine spots' times, each paired with
    a teleconsultant. Afterwards the bench checks that each action did happen."""
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from agenda.models import Booking, Slot, SlotStatus
    from referrals.models import Callback, EventKind, Qualification, Request, RequestEvent
    from referrals.services import protocol_for
    from referrals.states import Status

    calls = 1 + DAY_ROUNDS * DAY_INNER  # the warm-up and the measured calls
    if connection.vendor == "postgresql":  # as autovacuum would after the bulk load: the planner needs statistics
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    now = timezone.now()
    requests = list(
        Request.objects.filter(cell=cell, status=Status.RECEIVED, holder__isnull=True, care_channel="gp")
        .order_by("-deadline_at")
        .values_list("pk", flat=True)[: 2 * calls]
    )
    pool, for_spots = requests[:calls], requests[calls:]
    slots = list(
        Slot.objects.filter(
            cell=cell,
            care_channel="gp",
            modality="in_person",
            status=SlotStatus.OPEN,
            booked=0,
            starts_at__gt=now + timedelta(hours=2),
            starts_at__lt=now + timedelta(days=7),
        )
        .order_by("?")
        .values_list("pk", flat=True)[:calls]
    )
    # Spots' times with a teleconsultant free at that time, one per time (two would compete for one doctor).
    teleconsultant_free = Slot.objects.teleconsultant_times().filter(
        cell=cell, care_channel="gp", starts_at__lte=OuterRef("starts_at"), ends_at__gte=OuterRef("ends_at")
    )
    spot_times = dict(
        Slot.objects.filter(
            cell=cell,
            modality="assisted_teleconsultation",
            site__isnull=False,
            status=SlotStatus.OPEN,
            booked=0,
            starts_at__gt=now + timedelta(hours=2),
            starts_at__lt=now + timedelta(days=7),
        )
        .filter(Exists(teleconsultant_free))
        .order_by("starts_at")
        .values_list("starts_at", "pk")
    )
    spots = list(spot_times.values())[:calls]
    assert len(for_spots) == calls and len(slots) == len(spots) == calls, "not enough requests or free slots"
    page = "/c/orne-est/demandes/{}/"
    each: dict[str, int] = {"rounds": DAY_ROUNDS, "inner": DAY_INNER}
    pages = iter(pool)
    measure(
        "GET request page of an open request (not held)",
        lambda: coordinator.get(page.format(next(pages))),
        **each,
    )
    taken = iter(pool)
    measure(
        "POST take a request",
        lambda: coordinator.post(page.format(next(taken)) + "take/"),
        expect=302,
        **each,
    )
    called = iter(pool)
    measure(
        "POST log a callback (no answer)",
        lambda: coordinator.post(
            page.format(next(called)) + "callback/", {"callback-outcome": "no_answer", "callback-note": "Messagerie"}
        ),
        expect=302,
        **each,
    )
    questions = protocol_for(cell)[0]
    answers = {"yes_no": "no", "number": "38", "choice": "Consultation médicale"}
    qualification = {f"qualify-q{q.pk}": answers.get(q.kind, "") for q in questions}
    qualified = iter(pool)
    measure(
        "POST qualify a request (protocol answered)",
        lambda: coordinator.post(page.format(next(qualified)) + "qualify/", qualification),
        expect=302,
        **each,
    )
    booked = iter(zip(pool, slots, strict=True))

    def book() -> object:
        request_pk, slot_pk = next(booked)
        return coordinator.post(f"/c/orne-est/agenda/demandes/{request_pk}/creneaux/{slot_pk}/")

    measure("POST book a slot for a request", book, expect=302, **each)
    spot_booked = iter(zip(for_spots, spots, strict=True))

    def book_spot() -> object:
        request_pk, slot_pk = next(spot_booked)
        return coordinator.post(f"/c/orne-est/agenda/demandes/{request_pk}/creneaux/{slot_pk}/")

    measure("POST book a spot's time (a teleconsultant paired)", book_spot, expect=302, **each)
    took = RequestEvent.objects.filter(request__in=pool, actor=user, kind=EventKind.TAKEN).count()
    assert took == calls, "a request was not taken"
    assert Callback.objects.filter(request__in=pool, by=user).count() == calls, "a callback was not logged"
    assert Qualification.objects.filter(request__in=pool, by=user).count() == calls, "a qualification was refused"
    assert Booking.objects.filter(request__in=pool, slot__in=slots).count() == calls, "a booking was refused"
    assert Request.objects.filter(pk__in=pool, status=Status.ORIENTED).count() == calls
    paired = Booking.objects.filter(request__in=for_spots, slot__in=spots, paired_slot__isnull=False).count()
    assert paired == calls, "a spot's time was booked without its teleconsultant, or refused"


def bench_fhir(cell: Cell) -> None:
    """INT_R04 as the SAS platform sends it: 25 practitioners, a 3-day window, among the 200,000 seeded slots. The
    seeded GP slots are spread over 200 GPs (about 5 a day each, most open to the SAS), so the answer is a real one
    (a few hundred slots with everything they include), through the whole HTTP stack."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from agenda.models import Slot
    from directory.models import Professional
    from tests.factories import next_rpps

    gps = list(Professional.objects.filter(cell=cell, profession="gp").exclude(rpps=""))
    gps += Professional.objects.bulk_create(
        Professional(cell=cell, last_name=f"Banc{n}", first_name="Claude", profession="gp", rpps=next_rpps())
        for n in range(max(0, 200 - len(gps)))
    )
    site = cell.sites.filter(kind="practice").first()
    ids = list(
        Slot.objects.filter(cell=cell, care_channel="gp", modality="in_person")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for number, doctor in enumerate(gps):
        Slot.objects.filter(pk__in=ids[number :: len(gps)]).update(professional=doctor, site=site, open_to_sas=True)
    chosen = gps[:25]
    start = timezone.localtime() + timedelta(days=1)
    actors = ",".join(f"urn:oid:1.2.250.1.71.4.2.1|8{doctor.rpps}" for doctor in chosen)
    query = (
        "/fhir/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor&_include=Slot:service-type-reference"
        f"&_include:iterate=HealthcareService:organization&start=ge{start.isoformat(timespec='seconds')}"
        f"&start=le{(start + timedelta(days=3)).isoformat(timespec='seconds')}"
        f"&schedule.actor:Practitioner.identifier={actors}&status=free"
    )
    from django.conf import settings

    settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS = ["CN=plateforme-sas.bench,OU=SAS"]
    sas = Client(HTTP_X_SSL_CLIENT_VERIFY="SUCCESS", HTTP_X_SSL_CLIENT_S_DN="CN=plateforme-sas.bench,OU=SAS,C=FR")
    answer = sas.get(query).json()
    included = len(answer["entry"]) - min(answer["total"], 1000)
    print(f"FHIR Slot search: {answer['total']} free slots of 25 GPs in 3 days, {included} resources included")
    measure("GET /fhir/Slot, 25 practitioners, 3 days (200,000 slots)", lambda: sas.get(query), rounds=7, inner=5)


def bench_indicators() -> None:
    """A year of activity for one cell (at least 100,000 requests and 300,000 slots), then the dashboard over it."""
    from datetime import date, timedelta

    from django.test import Client
    from django.utils import timezone

    from accounts.models import Membership, Role, User
    from accounts.testing import mark_second_factor_verified
    from agenda.models import Slot
    from indicators import figures
    from indicators.history import generate_history
    from referrals.models import Request
    from territory.models import Cell
    from tests.factories import (
        CellFactory,
        MembershipFactory,
        ProfessionalFactory,
        ResourceFactory,
        SiteFactory,
        TerritoryFactory,
        UserFactory,
    )

    cell = cast("Cell", CellFactory(name="CSNP Banc d'essai", slug="banc-essai"))
    TerritoryFactory(cell=cell, communes=["61006", "61181", "61214"])
    admin = MembershipFactory(user=UserFactory(username="admin-banc"), cell=cell, role=Role.CELL_ADMIN).user
    for index in range(8):
        SiteFactory(cell=cell, name=f"Maison de santé {index}")
    for index in range(60):
        ProfessionalFactory(cell=cell, last_name=f"Effecteur{index}", is_adherent=index % 2 == 0)
    ProfessionalFactory(cell=cell, last_name="Officine", profession="pharmacist")
    ResourceFactory(cell=cell)
    today = timezone.localdate()
    started = time.perf_counter()
    made = generate_history(cell, days=365, requests_per_day=275, slots_per_day=825, until=today)
    print(
        f"A year of activity: {made.requests} requests, {made.slots} slots, {made.bookings} appointments "
        f"(written in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    assert Request.objects.filter(cell=cell).count() >= 100_000 and Slot.objects.filter(cell=cell).count() >= 300_000
    from django.db import connection

    if connection.vendor == "postgresql":  # as autovacuum would after such a load: the planner needs the statistics
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    assert isinstance(admin, User) and isinstance(cell, Cell) and Membership.objects.filter(cell=cell).exists()
    year = figures.Period(today - timedelta(days=365), today - timedelta(days=1))
    scope = figures.Scope(cell)
    now = timezone.now()
    measure("indicators: summary of a year (SQL aggregations)", lambda: figures.summary(scope, year, now), inner=3)
    measure("indicators: places per month of a year", lambda: figures.slots_by_month(scope, year, now), inner=3)
    client = Client()
    client.force_login(admin)
    mark_second_factor_verified(client, admin)
    from indicators.rollups import refresh

    started = time.perf_counter()
    stored = refresh(cell, now)  # the nightly job (manage.py refresh_indicators)
    print(f"refresh_indicators: {stored} months stored in {time.perf_counter() - started:.1f} s", flush=True)
    # The dashboard's default, the last twelve months (eleven stored, the current one live), then any 365 days (a
    # stored month less: the first days and the last ones live).
    back = today.year * 12 + today.month - 1 - 11
    twelve = figures.Period(date(back // 12, back % 12 + 1, 1), today)
    for label, period in (("the last 12 months", twelve), ("365 days from mid-month", year)):
        query = {"first": period.first.isoformat(), "last": period.last.isoformat()}
        measure(
            f"GET indicators dashboard, {label} (100,000 requests, 300,000 slots)",
            lambda query=query: client.get("/c/banc-essai/indicateurs/", query),  # type: ignore[misc]
            rounds=5,
            inner=1,
        )
    from indicators import aci

    # The yearly ACI report's work in the background job (live tables: age bands, communes, distinct patients).
    measure(
        f"yearly ACI report PDF of {year.last.year}, the worker's work (same database)",
        lambda: aci.render_pdf(cell, aci.aci_year(year.last.year), now),
        rounds=3,
        inner=1,
    )


def seed_slots(cell: Cell, *, total: int) -> int:
    """Future slots over 90 days across the cell's sites, every care channel and modality, with teleconsultants'
    times beside the spots' (so the finder pairs them), written in bulk."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from agenda.models import Slot
    from directory.models import Professional, Site, SiteKind

    rng = random.Random(2026)
    sites = list(Site.objects.filter(cell=cell).exclude(kind=SiteKind.TELEMEDICINE_SPOT))
    spot = Site.objects.filter(cell=cell, kind=SiteKind.TELEMEDICINE_SPOT).first()
    doctors = list(Professional.objects.filter(cell=cell).exclude(teleconsultant_tier=""))
    gps = list(Professional.objects.filter(cell=cell, profession="gp"))
    communes = list(cell.territories.first().communes.all())  # type: ignore[union-attr]
    channels = ["gp"] * 6 + ["imaging", "physiotherapy", "nursing", "biology"]
    start = timezone.now() + timedelta(hours=1)
    rows = []
    for _ in range(total):
        at = start + timedelta(minutes=rng.randrange(0, 90 * 24 * 60 // 20) * 20)
        channel = rng.choice(channels)
        kind = rng.random()
        fields: dict[str, object] = {"modality": "in_person", "site": rng.choice(sites)}
        if channel == "gp" and kind < 0.1 and spot is not None:
            fields = {"modality": "assisted_teleconsultation", "site": spot}
        elif channel == "gp" and kind < 0.2 and doctors:
            fields = {"modality": "assisted_teleconsultation", "site": None, "professional": rng.choice(doctors)}
        elif channel == "gp" and kind < 0.3:
            fields = {"modality": "medicobus", "site": None, "commune": rng.choice(communes), "place": "Place"}
        elif channel == "gp":
            fields["professional"] = rng.choice(gps)
        rows.append(
            Slot(
                cell=cell,
                starts_at=at,
                ends_at=at + timedelta(minutes=20),
                care_channel=channel,
                exam_type="radiography" if channel == "imaging" else "",
                booked=1 if rng.random() < 0.3 else 0,
                **fields,
            )
        )
    Slot.objects.bulk_create(rows, batch_size=5000)
    return Slot.objects.filter(cell=cell, starts_at__gt=timezone.now()).count()


def seed_requests(cell: Cell, *, total: int, open_: int) -> int:
    """Many past requests (closed, reoriented, seen) and a day's open ones, written in bulk."""
    from datetime import timedelta

    from django.utils import timezone

    from referrals.deadlines import SNP_HOURS
    from referrals.models import Request
    from referrals.states import Status

    territory = cell.territories.first()
    assert territory is not None
    communes = list(territory.communes.all())
    requester = cell.professionals.first()
    now = timezone.now()
    done = [Status.CLOSED, Status.REORIENTED, Status.SEEN, Status.NO_SHOW]
    rows = []
    for i in range(total):
        is_open = i < open_
        received = now - timedelta(minutes=i * 7 if is_open else 60 * 24 * 3 + i)
        rows.append(
            Request(
                cell=cell,
                reference=f"B{i:07d}",
                channel="phone",
                status=Status.RECEIVED if is_open else done[i % len(done)],
                received_at=received,
                deadline_at=received + timedelta(hours=SNP_HOURS),
                requester_professional=requester,
                patient_last_name=("Dupont" if i % 50 == 0 else f"Patient{i}"),
                patient_first_name="Test",
                patient_search_name=("dupont test" if i % 50 == 0 else f"patient{i} test"),
                patient_commune=communes[i % len(communes)],
                patient_phone=f"+336{i:08d}",
                mt_situation="no_mt",
                reason="Bench",
                reason_category="other",
                care_channel="gp",
                urgency="48h",
                elsewhere="er",
            )
        )
    Request.objects.bulk_create(rows, batch_size=2000)
    return Request.objects.filter(cell=cell).count()


if __name__ == "__main__":
    sys.exit(main())
