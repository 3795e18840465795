"""The yearly ACI report against a small invented year, every figure computed by hand (issue 22).

The year 2025 of the test cell (territory: Argentan and L'Aigle, which hold a QPV; Gacé, which does not). Paris times.

 req  received          born        commune   MT situation     origin        outcome                     band
 R0   31/12/2024 23:30  —           Argentan  no MT            pharmacist    (2024: not counted)
 R1   10/01 09:00       01/03/2024  Argentan  no MT            pharmacist    seen +5 h, ER: avoided      0-1
 R2   20/02 10:00       20/02/2023  Argentan  MT unavailable   GP            seen +24 h                  2-14 (birthday)
 R3   20/02 11:00       21/02/2023  Gacé      no MT            pharmacist    seen +4 h, ER: avoided      0-1 (next day)
 R5   28/02 09:00       29/02/2000  L'Aigle   passing through  pharmacist    seen +5 h                   15-24 (29/02)
 R4   01/03 09:00       29/02/2000  L'Aigle   passing through  pharmacist    seen +24 h                  25-44 (as R5)
 R6   15/04 09:00       15/04/1960  Argentan  no MT            GP            seen +72 h, ER: avoided     65-74
 R7   15/04 10:00       16/04/1960  Gacé      no MT            pharmacist    no-show, ER                 45-64
 R8   05/06 09:00       05/06/1949  L'Aigle   MT unavailable   pharmacist    to a pharmacy, ER: avoided  75+
 R9   05/06 10:00       06/06/1950  Argentan  no MT            pharmacist    to a pharmacy, ER: avoided  65-74
 R10  10/09 00:30       10/09/2010  Argentan  passing through  pharmacist    to the ER: not avoided      15-24 (UTC: 14)
 R11  10/09 10:00       —           Gacé      no MT            pharmacist    closed: unreachable         unknown
 R12  10/09 11:00       —           Gacé      no MT            pharmacist    closed as duplicate: NOT COUNTED
 R13  03/11 09:00       04/11/2011  Argentan  no MT            pharmacist    open                        2-14
 R14  03/11 10:00       —           L'Aigle   MT unavailable   SAS (account) open (R11's names)          unknown
 R16  12/12 09:00       (erased)    Argentan  no MT            pharmacist    closed, anonymised          unknown
 R17  12/12 10:00       (erased)    Argentan  no MT            pharmacist    closed, anonymised          unknown
 R15  31/12 23:30       01/01/1980  Argentan  no MT            SAS (site)    open                        45-64
 R99  01/01/2026 00:10  —           Argentan  no MT            pharmacist    (2026: not counted)

Slots (GP, capacity 1, unless said): the seven appointments above (all taken), a free GP slot 10/01 16:00, a
physiotherapy slot 20/06 of capacity 2 nobody took, a withdrawn slot 01/07 (another GP), a slot 05/01/2026 (a GP who
offered nothing in 2025). Callbacks: R1 +15 min, R2 +45 min, R3 +30 min, R6 +60 min, R11 +30 min (no answer).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pypdfium2
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import RequesterType, Role
from agenda import services as agenda
from agenda.models import SlotStatus
from agenda.tests.factories import make_slot
from conftest import World
from directory.models import Profession, ResourceKind, SiteKind
from indicators import aci, breakdowns, report
from indicators.figures import Row, Scope
from referrals import services as referrals
from referrals.models import Request
from referrals.tests.factories import make_request
from surveys.models import Audience, Score, Survey
from tests.factories import (
    CellFactory,
    MembershipFactory,
    ProfessionalFactory,
    ResourceFactory,
    SiteFactory,
    TerritoryFactory,
    UserFactory,
    commune,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=PARIS)
YEAR = aci.aci_year(2025)
ARGENTAN, GACE, L_AIGLE = "61006", "61181", "61214"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Labels compared as their English msgids: the French catalogue is merged later."""
    with translation.override("en"):
        yield


def at(day: int, month: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def year(world: World) -> World:
    cell, user = world.cell, world.colleague
    pharmacist = ProfessionalFactory(cell=cell, profession=Profession.PHARMACIST, last_name="Officine")
    gp_requester = ProfessionalFactory(cell=cell, profession=Profession.GP, last_name="Adresseur")
    doctor = ProfessionalFactory(cell=cell, last_name="Morel", is_adherent=True)
    physio = ProfessionalFactory(cell=cell, last_name="Kiné", profession=Profession.PHYSIOTHERAPIST)
    nurse = ProfessionalFactory(cell=cell, last_name="Soins", profession=Profession.NURSE)
    MembershipFactory(user=UserFactory(username="nurse"), cell=cell, role=Role.EFFECTOR, professional=nurse)
    gone = ProfessionalFactory(cell=cell, last_name="Parti")  # an effector role no longer active, no slot
    MembershipFactory(
        user=UserFactory(username="gone"), cell=cell, role=Role.EFFECTOR, professional=gone, is_active=False
    )
    withdrawn = ProfessionalFactory(cell=cell, last_name="Retiré")
    later = ProfessionalFactory(cell=cell, last_name="Tardif")
    sas_site = SiteFactory(cell=cell, kind=SiteKind.OTHER, name="SAS de l'Orne")
    sas_user = UserFactory(username="regulateur")
    MembershipFactory(
        user=sas_user,
        cell=cell,
        role=Role.REQUESTER,
        requester_type=RequesterType.SAS_REGULATOR,
        site=sas_site,
    )
    pharmacy = ResourceFactory(cell=cell, kind=ResourceKind.PHARMACY)
    er = ResourceFactory(cell=cell, kind=ResourceKind.EMERGENCY)

    def request(received: datetime, last: str, first: str, insee: str, **fields: object) -> Request:
        fields.setdefault("requester_professional", pharmacist)
        fields.setdefault("mt_situation", "no_mt")
        fields.setdefault("elsewhere", "er")
        return make_request(cell, now=received, last_name=last, first_name=first, commune=commune(insee), **fields)

    def see(req: Request, starts: datetime, seen: bool = True) -> None:
        slot = make_slot(cell, professional=doctor, starts_at=starts)
        booking = agenda.slot_book(slot=slot, request=req, user=user, now=req.received_at + timedelta(minutes=50))
        agenda.booking_outcome(booking=booking, user=user, seen=seen, now=slot.ends_at)

    def call(req: Request, minutes: int, outcome: str = "reached") -> None:
        referrals.callback_log(
            request=req, user=user, outcome=outcome, now=req.received_at + timedelta(minutes=minutes)
        )

    request(at(31, 12, 23, 30, year=2024), "Avant", "Anne", ARGENTAN)
    r1 = request(at(10, 1, 9), "Bébé", "Lou", ARGENTAN, birth_date=date(2024, 3, 1))
    call(r1, 15)
    see(r1, at(10, 1, 14))
    make_slot(cell, professional=doctor, starts_at=at(10, 1, 16))  # nobody took it
    r2 = request(
        at(20, 2, 10), "Petit", "Noé", ARGENTAN, birth_date=date(2023, 2, 20), mt_situation="mt_unavailable",
        requester_professional=gp_requester, elsewhere="nowhere",
    )  # fmt: skip
    call(r2, 45)
    r3 = request(at(20, 2, 11), "Petite", "Zoé", GACE, birth_date=date(2023, 2, 21))
    call(r3, 30)
    see(r3, at(20, 2, 15))
    see(r2, at(21, 2, 10))
    r5 = request(
        at(28, 2, 9), "MARTIN", "Lea", L_AIGLE, birth_date=date(2000, 2, 29), mt_situation="passing_through",
        elsewhere="nowhere",
    )  # fmt: skip
    see(r5, at(28, 2, 14))
    r4 = request(
        at(1, 3, 9), "Martin", "Léa", L_AIGLE, birth_date=date(2000, 2, 29), mt_situation="passing_through",
        elsewhere="nowhere",
    )  # fmt: skip
    see(r4, at(2, 3, 9))
    r6 = request(
        at(15, 4, 9), "Aîné", "Paul", ARGENTAN, birth_date=date(1960, 4, 15), requester_professional=gp_requester
    )
    call(r6, 60)
    r7 = request(at(15, 4, 10), "Absent", "Jean", GACE, birth_date=date(1960, 4, 16))
    see(r7, at(16, 4, 10), seen=False)
    see(r6, at(18, 4, 9))
    r8 = request(at(5, 6, 9), "Ancien", "Marc", L_AIGLE, birth_date=date(1949, 6, 5), mt_situation="mt_unavailable")
    referrals.request_reorient(request=r8, user=user, resource=pharmacy, now=at(5, 6, 10))
    r9 = request(at(5, 6, 10), "Veille", "Luc", ARGENTAN, birth_date=date(1950, 6, 6))
    referrals.request_reorient(request=r9, user=user, resource=pharmacy, now=at(5, 6, 11))
    make_slot(cell, professional=physio, starts_at=at(20, 6, 9), care_channel="physiotherapy", capacity=2)
    make_slot(cell, professional=withdrawn, starts_at=at(1, 7, 9), status=SlotStatus.CANCELLED)
    r10 = request(
        at(10, 9, 0, 30), "Ado", "Tom", ARGENTAN, birth_date=date(2010, 9, 10), mt_situation="passing_through"
    )
    referrals.request_reorient(request=r10, user=user, resource=er, now=at(10, 9, 8))
    r11 = request(at(10, 9, 10), "Durand", "Paul", GACE, elsewhere="nowhere")
    call(r11, 30, outcome="no_answer")
    referrals.request_close(request=r11, user=user, reason="unreachable", now=at(10, 9, 12))
    r12 = request(at(10, 9, 11), "Durand", "Paul", GACE, elsewhere="nowhere")
    referrals.request_close(request=r12, user=user, reason="duplicate", now=at(10, 9, 12))
    request(at(3, 11, 9), "Enfant", "Ida", ARGENTAN, birth_date=date(2011, 11, 4))
    request(at(3, 11, 10), "Durand", "Paul", L_AIGLE, mt_situation="mt_unavailable", submitted_by=sas_user)
    for hour, name in ((9, "Effacé"), (10, "Effacée")):
        erased = request(at(12, 12, hour), name, "X", ARGENTAN, birth_date=date(1990, 1, 1))
        referrals.request_close(request=erased, user=user, reason="resolved_otherwise", now=at(12, 12, hour, 30))
        Request.objects.filter(pk=erased.pk).update(
            patient_last_name="—",
            patient_first_name="",
            patient_search_name="",
            patient_birth_date=None,
            patient_phone="",
            anonymised_at=at(20, 12, 9),
        )  # fmt: skip  (what privacy.retention does)
    request(
        at(31, 12, 23, 30), "Régulé", "Max", ARGENTAN, birth_date=date(1980, 1, 1), requester_professional=None,
        requester_site=sas_site,
    )  # fmt: skip
    request(at(1, 1, 0, 10, year=2026), "Après", "Eve", ARGENTAN)
    make_slot(cell, professional=later, starts_at=at(5, 1, 9, year=2026))
    # Satisfaction: two requesters surveyed, one answered.
    first = Survey.objects.create(
        cell=cell, request=r1, audience=Audience.REQUESTER, address="a@example.org", token="t1",
        sent_at=at(11, 1, 9), answered_at=at(12, 1, 9),
    )  # fmt: skip
    Survey.objects.create(
        cell=cell, request=r3, audience=Audience.REQUESTER, address="b@example.org", token="t2", sent_at=at(21, 2, 9)
    )
    for question, value in (("speed", 4), ("fit", 5), ("contact", 3), ("again", 4)):
        Score.objects.create(survey=first, question=question, value=value)
    return world


def test_the_headline_figures_of_the_year(year: World) -> None:
    s = aci.context(year.cell, YEAR, NOW)["summary"]
    assert s.requests == 16  # R1–R17 but R12 (duplicate); R0 and R99 are of 2024 and 2026
    assert (s.oriented, s.reoriented, s.closed, s.still_open) == (7, 3, 3, 3)
    # oriented: R1–R6 seen, R7 no-show; reoriented: R8, R9, R10; closed: R11, R16, R17; open: R13, R14, R15
    assert s.seen == 6 and s.seen_within_48h == 5  # R6 was seen after 72 h
    assert s.seen_within_48h_rate == 83.3  # 5 / 6
    assert s.er_avoided == 5  # R1, R3, R6 seen; R8, R9 sent to a pharmacy (R7 did not come, R10 went to the ER)
    assert (s.offered, s.taken, s.not_taken) == (10, 7, 3)  # 7 appointments + 1 free GP + 2 physiotherapy places
    assert s.fill_rate == 70.0
    assert s.no_shows == 1 and s.callbacks == 5
    assert s.first_callback_delay == timedelta(minutes=36)  # (15 + 45 + 30 + 60 + 30) / 5
    assert s.consultation_delay == timedelta(hours=134 / 6)  # (5 + 24 + 4 + 5 + 24 + 72) h / 6
    assert s.escalations == 0 and s.supervisor_answer_delay is None


def test_the_breakdowns_of_the_year(year: World) -> None:
    scope = Scope(year.cell)
    assert breakdowns.by_mt_situation(scope, YEAR) == [
        Row("no_mt", 10),  # R1, R3, R6, R7, R9, R11, R13, R15, R16, R17
        Row("mt_unavailable", 3),  # R2, R8, R14
        Row("passing_through", 3),  # R4, R5, R10
    ]
    assert breakdowns.by_origin(scope, YEAR) == [
        Row("pharmacist", 12),
        Row("gp", 2),  # R2, R6
        Row("sas", 2),  # R14 sent from the regulator's account, R15 for the SAS's structure
    ]
    assert breakdowns.by_age_band(scope, YEAR) == [
        Row("0-1", 2),  # R1; R3 is 2 only the day after
        Row("2-14", 2),  # R2 on her 2nd birthday, R13
        Row("15-24", 2),  # R5 (29 February: 25 on 1 March), R10 at 00:30 Paris on his 15th birthday
        Row("25-44", 1),  # R4
        Row("45-64", 2),  # R7 (65 the next day), R15
        Row("65-74", 2),  # R6 on his 65th birthday, R9 (75 the next day)
        Row("75+", 1),  # R8
        Row("", 4),  # R11, R14 without a date of birth; R16, R17 anonymised
    ]
    communes = breakdowns.by_commune(scope, YEAR)
    assert [(c.insee_code, c.name, c.count, c.has_qpv) for c in communes] == [
        (ARGENTAN, "Argentan", 9, True),  # R1, R2, R6, R9, R10, R13, R15, R16, R17
        (L_AIGLE, "L'Aigle", 4, True),  # R4, R5, R8, R14
        (GACE, "Gacé", 3, False),  # R3, R7, R11
    ]
    split = breakdowns.qpv_split(scope, communes)
    assert (split.in_qpv_commune, split.elsewhere, split.not_covered) == (13, 3, 0)
    assert [q.code for q in split.cell_qpvs] == ["QN06101M", "QN06102M", "QN06105M"]  # Argentan ×2, L'Aigle
    # 16 requests, R4 and R5 one person (accents and case aside); R11 and R14 share their names but not their
    # commune (no date of birth): two; R16 and R17, anonymised, one each.
    assert breakdowns.distinct_patients(scope, YEAR) == 15
    assert [(p.profession, p.count, p.cpts_adherents) for p in breakdowns.participants(scope, YEAR)] == [
        ("gp", 1, 1),  # Morel (slots); not Parti (role ended), Retiré (withdrawn slot), Tardif (2026)
        ("nurse", 1, 0),  # an active effector role, no slot
        ("physiotherapist", 1, 0),  # the June slot
    ]


def test_the_age_rule_around_birthdays_and_29_february() -> None:
    assert breakdowns.age_on(date(2025, 2, 28), date(2000, 2, 29)) == 24
    assert breakdowns.age_on(date(2025, 3, 1), date(2000, 2, 29)) == 25
    assert breakdowns.age_on(date(2024, 2, 29), date(2000, 2, 29)) == 24
    assert breakdowns.age_on(date(2025, 4, 15), date(1960, 4, 15)) == 65
    assert breakdowns.age_on(date(2025, 4, 14), date(1960, 4, 15)) == 64


def test_the_report_tables_per_month_and_suppressed(year: World) -> None:
    shown = {t.slug: t for t in aci.tables(year.cell, YEAR, NOW)}
    requests = shown["requests"]
    assert [row[0].first for row in requests.rows] == [date(2025, m, 1) for m in range(1, 13)]
    # Received per month: Jan 1, Feb 3, Mar 1, Apr 2, Jun 2, Sep 2, Nov 2, Dec 3 (R15 at 23:30 on 31 December)
    assert [row[1] for row in requests.rows] == ["< 5", "< 5", "< 5", "< 5", 0, "< 5", 0, 0, "< 5", 0, "< 5", "< 5"]
    places = shown["places"]
    assert [(row[0].first.month, row[1]) for row in places.rows] == [
        (1, "GP consultation"),  # 2 offered
        (2, "GP consultation"),  # 3
        (3, "GP consultation"),  # 1
        (4, "GP consultation"),  # 2
        (6, "Physiotherapy"),  # 2
    ]
    assert {row[2] for row in places.rows} <= {"< 5", "hidden"}  # every month's offer is small: none shown
    headline = dict((row[0], row[1]) for row in shown["headline"].rows)
    assert headline["Requests received"] == 16 and headline["Distinct patients"] == 15
    outcomes = dict((row[0], row[1]) for row in shown["outcomes"].rows)
    assert outcomes == {"Oriented": 7, "Reoriented": "< 5", "Closed": "< 5", "Still being handled": "< 5"}
    delays = dict((row[0], row[1]) for row in shown["delays"].rows)
    assert delays["Seen within 48 h (% of patients seen)"] == 83.3
    assert delays["Mean delay to the first callback (hours)"] == 0.6
    assert delays["Mean delay to the consultation (hours)"] == 22.3
    assert delays["Mean delay of the supervisor's answer (hours)"] is None  # no question asked
    origin = dict((row[0], row[1]) for row in shown["origin"].rows)
    assert origin == {"Pharmacist": 12, "General practitioner": "< 5", "SAS (15 / 116 117)": "< 5"}
    satisfaction = shown["satisfaction"].rows
    assert satisfaction[0] == ["Requesters — Surveys sent", "< 5", None]  # 2 sent, 1 answered: too few for a mark
    assert ["Requesters — How quickly was your request handled?", "< 5", "—"] in satisfaction


def test_the_raw_satisfaction_marks(year: World) -> None:
    computed = aci._compute(year.cell, YEAR, NOW)
    rows = computed.tables["satisfaction"].rows
    assert rows[:3] == [
        ["Requesters — Surveys sent", 2, None],
        ["Requesters — Surveys answered", 1, None],
        ["Requesters — How quickly was your request handled?", 1, 4.0],
    ]


def test_the_report_s_queries_do_not_grow_with_the_requests(year: World, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(20):
        aci.context(year.cell, YEAR, NOW)
    for hour in range(8, 20):
        make_request(year.cell, now=at(2, 10, hour), last_name=f"Patient{hour}", commune=commune(GACE))
    with django_assert_max_num_queries(20):
        context = aci.context(year.cell, YEAR, NOW)
    assert context["summary"].requests == 28


def test_progress_is_told_as_sections_are_computed(year: World) -> None:
    told: list[int] = []
    aci.render_pdf(year.cell, YEAR, NOW, progress=told.append)
    assert told == sorted(told) and told[-1] == 100 and len(told) >= 4


def test_the_pdf_holds_the_headline_figures(year: World) -> None:
    pdf = pypdfium2.PdfDocument(aci.render_pdf(year.cell, YEAR, NOW))
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    assert "ACI report 2025" in text
    assert "Requests received 16" in text.replace("\n", " ").replace("\r", " ")
    assert "Distinct patients 15" in text.replace("\r\n", " ").replace("\n", " ")
    assert "SAS (15 / 116 117)" in text
    assert "QN06101M" in text  # Argentan's QPV named
    assert "83.3" in text or "83,3" in text


def test_the_xlsx_has_one_typed_sheet_per_table(year: World) -> None:
    book = openpyxl.load_workbook(io.BytesIO(aci.render_xlsx(year.cell, YEAR, NOW)))
    titles = [table.title for table in aci.tables(year.cell, YEAR, NOW)]
    assert len(book.sheetnames) == len(titles)
    requests = book[book.sheetnames[titles.index("Requests per month")]]
    assert requests["A2"].value == datetime(2025, 1, 1)  # a month is a date
    headline = book[book.sheetnames[0]]
    assert headline["B2"].value == 16  # a count is a number


def test_a_year_without_activity_gives_an_empty_well_formed_report(world: World) -> None:
    context = aci.context(world.cell, aci.aci_year(2023), NOW)
    assert context["empty"] and context["summary"].requests == 0
    assert dict(context["key_figures"])["Seen within 48 h"] is None  # no division by zero
    assert [row[1] for row in context["tables"]["requests"].rows] == [0] * 12
    assert [row[1] for row in context["tables"]["age"].rows] == [0] * 8
    text = "\n".join(
        p.get_textpage().get_text_range()
        for p in pypdfium2.PdfDocument(aci.render_pdf(world.cell, aci.aci_year(2023), NOW))
    )
    assert "No request was received in this period" in text
    assert "No satisfaction survey was sent in this period" in text
    assert "No place was offered in this period" in text


def test_a_cell_whose_communes_hold_no_qpv_says_so(world: World) -> None:
    cell = CellFactory(name="CSNP du pays de Gacé", slug="gace")
    TerritoryFactory(cell=cell, communes=[GACE, "61153"])  # Gacé, Écouché-les-Vallées
    context = aci.context(cell, aci.aci_year(2025), NOW)
    assert context["qpv_covered"] and context["cell_qpvs"] == ()
    html = render_to_string("indicators/aci_report.html", context)
    assert "None of the communes of the territory has a priority neighbourhood" in html


def test_a_cell_outside_the_shipped_list_is_not_told_it_has_no_qpv(world: World) -> None:
    cell = CellFactory(name="CSNP de l'archipel", slug="archipel")
    TerritoryFactory(cell=cell, communes=["97502", "97501"])  # Saint-Pierre-et-Miquelon: no QPV listed there
    context = aci.context(cell, aci.aci_year(2025), NOW)
    assert not context["qpv_covered"]
    html = render_to_string("indicators/aci_report.html", context)
    assert "does not cover the communes of this territory" in html


def test_the_monthly_report_names_the_sas_and_shows_professionals_and_satisfaction(year: World) -> None:
    december = report.context(year.cell, date(2025, 12, 1), NOW)
    origin = december["breakdowns"][0]
    assert origin.slug == "origin"
    assert dict((row[0], row[1]) for row in origin.rows) == {"Pharmacist": "< 5", "SAS (15 / 116 117)": "< 5"}
    # December: R16, R17 from the pharmacist, R15 for the SAS
    assert december["professionals"].rows == [["Nurse (IDEL)", "< 5", 0]]  # no slot in December: her role only
    assert december["satisfaction_sent"] == 0
    january = report.context(year.cell, date(2025, 1, 1), NOW)
    assert january["satisfaction_sent"] == 1  # the survey about R1
    text = "\n".join(
        p.get_textpage().get_text_range()
        for p in pypdfium2.PdfDocument(report.render_pdf(year.cell, date(2025, 1, 1), NOW))
    )
    assert "Professionals taking part" in text and "Satisfaction" in text
