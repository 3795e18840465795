"""Demo requests for CSNP Orne-Est, so that the queue shows a working day. Invented patients.

Each request has a stable submission key: loading again finds it and changes nothing. Times are relative to the moment
of loading, so the clocks show every colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Role, User
from agenda import services as agenda_services
from directory.models import Professional, ReorientationResource, Site
from referrals import services
from referrals.models import Channel, Partner, ProtocolQuestion, Request
from territory.models import Cell, Commune


@dataclass(frozen=True)
class DemoRequest:
    key: str
    hours_ago: float
    channel: str
    requester: str  # a requester account's username, or "" for a QR self-registration
    last_name: str
    first_name: str
    born: str
    commune: str  # INSEE code
    phone: str
    mt_situation: str
    reason: str
    reason_category: str
    care_channel: str
    urgency: str
    elsewhere: str
    exam_type: str = ""
    # What the coordinator did: "take", "no_answer", "reached", "qualify", "two_sessions" (a series of two sessions),
    # "release", "ask", "reorient", "close".
    # Only those reached and qualified, with no question to the supervisor, are ready for the placement assistant
    # (released: any coordinator may take them, or the assistant book them).
    then: tuple[str, ...] = ()


REQUESTS = [
    DemoRequest(
        "demo-01",
        40,
        Channel.WEB,
        "pharmacie-gace",
        "Verdier",
        "Yvette",
        "1948-03-12",
        "61181",
        "+33612004001",
        "mt_unavailable",
        "Toux fébrile depuis 3 jours, essoufflement léger à l'effort.",
        "respiratory",
        "gp",
        "24h",
        "er",
        then=("take", "no_answer"),
    ),
    DemoRequest(
        "demo-02",
        30,
        Channel.PHONE,
        "sas61",
        "Moulin",
        "Théo",
        "2019-07-02",
        "61006",
        "+33612004002",
        "no_mt",
        "Otalgie droite, fièvre 38,5 °C depuis hier soir.",
        "pain",
        "gp",
        "48h",
        "er",
        then=("take", "reached", "qualify", "release"),
    ),
    DemoRequest(
        "demo-03",
        20,
        Channel.WEB,
        "pharmacie-gace",
        "Castel",
        "Murielle",
        "1972-11-23",
        "61214",
        "+33612004003",
        "passing_through",
        "Entorse de cheville hier, douleur à l'appui : radio ?",
        "trauma",
        "imaging",
        "48h",
        "er",
        exam_type="radiography",
        then=("take", "reached", "qualify", "release"),
    ),
    DemoRequest(
        "demo-04",
        8,
        Channel.PHONE,
        "sas61",
        "Roussel",
        "Gérard",
        "1955-05-30",
        "61508",
        "+33612004004",
        "no_mt",
        "Brûlures mictionnelles depuis 2 jours, pas de fièvre.",
        "urinary",
        "gp",
        "48h",
        "nowhere",
        then=("take", "reached", "qualify", "ask"),
    ),
    DemoRequest(
        "demo-05",
        3,
        Channel.WEB,
        "pharmacie-gace",
        "Lebrun",
        "Chloé",
        "1994-09-14",
        "61181",
        "+33612004005",
        "no_mt",
        "Éruption cutanée prurigineuse depuis ce matin.",
        "skin",
        "gp",
        "week",
        "nowhere",
        then=("take", "reached", "qualify", "release"),
    ),
    DemoRequest(
        "demo-06",
        1,
        Channel.QR,
        "",
        "Martel",
        "Jacques",
        "1961-01-08",
        "61006",
        "+33612004006",
        "no_mt",
        "Renouvellement de traitement, médecin parti à la retraite.",
        "prescription",
        "gp",
        "week",
        "nowhere",
    ),
    DemoRequest(
        "demo-07",
        0.5,
        Channel.PHONE,
        "sas61",
        "Verdier",
        "Yvette",
        "1948-03-12",
        "61181",
        "+33612004001",
        "mt_unavailable",
        "Rappel de la pharmacie : toux persistante.",
        "respiratory",
        "gp",
        "24h",
        "er",
    ),
    DemoRequest(
        "demo-08",
        26,
        Channel.WEB,
        "pharmacie-gace",
        "Fontaine",
        "Lucas",
        "1988-06-19",
        "61214",
        "+33612004008",
        "no_mt",
        "Lombalgie aiguë après effort, sans signe neurologique.",
        "pain",
        "physiotherapy",
        "week",
        "nowhere",
        then=("take", "reorient"),
    ),
    DemoRequest(
        "demo-09",
        35,
        Channel.PHONE,
        "sas61",
        "Dubreuil",
        "Anne",
        "1979-12-01",
        "61006",
        "+33612004009",
        "mt_unavailable",
        "Plaie superficielle de la main à surveiller.",
        "trauma",
        "nursing",
        "48h",
        "er",
        then=("take", "no_answer", "no_answer", "no_answer", "close"),
    ),
    # The placement assistant's case: two nursing slots at Vimoutiers, one soon and one a day later (demo/agenda.py).
    # First come, first served gives the soon one to the patient who called first and could wait until tomorrow;
    # the patient who needs care within 24 h then gets tomorrow's, after the deadline. The assistant swaps them.
    DemoRequest(
        "demo-10",
        3,
        Channel.WEB,
        "pharmacie-gace",
        "Barbier",
        "Sylvain",
        "1946-02-17",
        "61508",
        "+33612004010",
        "no_mt",
        "Pansement d'ulcère de jambe à refaire, son infirmière est en congé.",
        "skin",
        "nursing",
        "week",
        "nowhere",
        then=("take", "reached", "qualify", "release"),
    ),
    DemoRequest(
        "demo-11",
        1,
        Channel.PHONE,
        "sas61",
        "Perrin",
        "Léna",
        "1958-09-03",
        "61508",
        "+33612004011",
        "no_mt",
        "Injections d'anticoagulant prescrites à la sortie de l'hôpital, à débuter sous 24 h.",
        "other",
        "nursing",
        "24h",
        "er",
        then=("take", "reached", "qualify", "release"),
    ),
    # Seed 004: a physiotherapy patient seen once or twice, to begin the care while their usual physiotherapist has no
    # place: a series of two sessions, to book on the Thursday slots of the experiment.
    DemoRequest(
        "demo-12",
        5,
        Channel.WEB,
        "medecin-gace",
        "Lemarchand",
        "Gaëlle",
        "1991-05-23",
        "61006",
        "+33612004012",
        "mt_unavailable",
        "Entorse de la cheville droite il y a 4 jours : rééducation à débuter, deux séances en attendant son kiné.",
        "trauma",
        "physiotherapy",
        "week",
        "nowhere",
        then=("take", "reached", "qualify", "two_sessions", "release"),
    ),
]


# Where the cell's QR code is displayed (seed 002).
PARTNERS = [
    ("Mairie de Gacé", "town_hall", "61181"),
    ("France Services de Vimoutiers", "france_services", "61508"),
]


def _requester(username: str, cell: Cell) -> tuple[Professional | None, Site | None, User | None]:
    if not username:
        return None, None, None
    user = User.objects.get(username=username)
    membership = user.memberships.get(cell=cell)
    return membership.professional, membership.site, user


def load_demo_requests(cell: Cell, coordinator: User) -> int:
    """Create the demo requests missing from the cell, and a supervisor on duty now; returns how many were created."""
    now = timezone.now()
    created = 0
    partners = {
        name: Partner.objects.get_or_create(
            cell=cell, name=name, defaults={"kind": kind, "commune": Commune.objects.get(insee_code=insee)}
        )[0]
        for name, kind, insee in PARTNERS
    }
    supervisor = User.objects.filter(memberships__cell=cell, memberships__role=Role.SUPERVISOR).order_by("pk").first()
    if supervisor is not None and services.supervisor_on_duty(cell, now) is None:
        services.shift_add(
            cell=cell, supervisor=supervisor, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=24)
        )
        created += 1
    for spec in REQUESTS:
        professional, site, user = _requester(spec.requester, cell)
        if Request.objects.filter(cell=cell, submission_key=services.stored_submission_key(user, spec.key)).exists():
            continue
        received = now - timedelta(hours=spec.hours_ago)
        request = services.request_create(
            cell=cell,
            channel=spec.channel,
            patient=services.PatientData(
                last_name=spec.last_name,
                first_name=spec.first_name,
                commune=Commune.objects.get(insee_code=spec.commune),
                birth_date=datetime.strptime(spec.born, "%Y-%m-%d").date(),
                phone=spec.phone,
                mt_situation=spec.mt_situation,
            ),
            need=services.NeedData(
                reason=spec.reason,
                reason_category=spec.reason_category,
                care_channel=spec.care_channel,
                urgency=spec.urgency,
                elsewhere=spec.elsewhere,
                exam_type=spec.exam_type,
            ),
            submitted_by=user or None,
            requester_professional=professional,
            requester_site=site,
            partner=partners[PARTNERS[0][0]] if spec.channel == Channel.QR else None,
            submission_key=spec.key,
            now=received,
        )
        created += 1
        _replay(request, spec.then, coordinator, received, now)
    return created


def _replay(request: Request, actions: tuple[str, ...], coordinator: User, received: datetime, now: datetime) -> None:
    at = received
    step = min(timedelta(minutes=25), (now - received) / (len(actions) + 1))  # a recent request: all done by now
    for action in actions:
        at += step
        if action == "take":
            services.request_take(request=request, user=coordinator, now=at)
        elif action == "release":
            services.request_release(request=request, user=coordinator, now=at)
        elif action in ("no_answer", "reached"):
            services.callback_log(request=request, user=coordinator, outcome=action, now=at)
        elif action == "qualify":
            # The first question of the demo protocol is the red flag: answered no, nothing else changes.
            first = ProtocolQuestion.objects.filter(cell=request.cell, is_active=True, red_flag="yes").first()
            services.qualification_record(
                request=request,
                user=coordinator,
                answers={str(first.pk): "no"} if first else {},
                reason="Critères du protocole vérifiés avec le patient.",
                now=at,
            )
        elif action == "two_sessions":
            agenda_services.request_sessions_set(request=request, user=coordinator, sessions=2, now=at)
        elif action == "ask":
            services.question_ask(
                request=request,
                user=coordinator,
                now=at,
                question="Patient de 71 ans, brûlures mictionnelles sans fièvre : téléconsultation "
                "assistée possible, ou consultation en présentiel ?",
            )
        elif action == "reorient":
            resource = ReorientationResource.objects.filter(cell=request.cell, kind="other_doctor").first()
            services.request_reorient(
                request=request,
                user=coordinator,
                resource=resource,
                reason="other_care_fits",
                now=at,
                note="Consultation sans rendez-vous ce soir.",
            )
        elif action == "close":
            services.request_close(
                request=request,
                user=coordinator,
                reason="unreachable",
                now=at,
                note="Trois appels sans réponse ; l'adresseur est prévenu.",
            )
