"""The first acceptance wins: the effectors of a cascade's three steps all accept at the same instant, each in their
own database connection, through the real code. Exactly one appointment; the others are told it is taken; nobody
gets an error. Runs on SQLite and on PostgreSQL (`make test`)."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from agenda.models import Booking, Slot
from alerts import selectors, services
from alerts.models import Alert, AlertStatus, Cascade, CascadeStatus, Step
from common.errors import DomainError
from directory.models import Profession
from referrals.models import Status
from referrals.tests.factories import make_request
from territory.communes import load_communes
from territory.models import Cell, Commune
from tests.factories import CellFactory, MembershipFactory, ProfessionalFactory, SiteFactory, TerritoryFactory

pytestmark = pytest.mark.django_db(transaction=True)
ARGENTAN, GACE, L_AIGLE = "61006", "61181", "61214"
PER_STEP = 4


def test_simultaneous_acceptances_from_every_step_give_one_appointment() -> None:
    if not Commune.objects.exists():  # transactional tests empty the database, reference data included
        load_communes(Commune)
    cell: Cell = CellFactory(slug="alertes")
    TerritoryFactory(cell=cell, communes=[ARGENTAN, GACE, L_AIGLE])
    ProfessionalFactory(cell=cell, profession=Profession.PHARMACIST)
    coordinator = MembershipFactory(cell=cell, role=Role.COORDINATOR).user

    def gp(name: str, insee: str) -> object:
        professional = ProfessionalFactory(cell=cell, last_name=name, phone="+33611223344")
        professional.sites.add(SiteFactory(cell=cell, commune=Commune.objects.get(insee_code=insee)))
        return professional

    usual = gp("Traitant", ARGENTAN)
    for index in range(PER_STEP):
        gp(f"Proche{index}", ARGENTAN)
        gp(f"Loin{index}", L_AIGLE)
    request = make_request(cell, commune=Commune.objects.get(insee_code=ARGENTAN))

    # The controlled clock: the usual professional's step, then the nearby one, then the territory's, all unanswered.
    start = timezone.now()
    cascade = services.cascade_start(request=request, user=coordinator, usual_professional=usual, now=start)
    assert set(Alert.objects.values_list("professional__last_name", flat=True)) == {"Traitant"}
    policy = selectors.policy_for(cell.pk)
    step2 = start + timedelta(minutes=policy.usual_minutes)
    services.cascades_advance(now=step2)
    step3 = step2 + timedelta(minutes=policy.nearby_minutes)
    services.cascades_advance(now=step3)
    cascade.refresh_from_db()
    assert cascade.step == Step.TERRITORY
    assert Alert.objects.filter(step=Step.NEARBY).count() == PER_STEP
    assert Alert.objects.filter(step=Step.TERRITORY).count() == PER_STEP
    # Only the live step may answer: the others' alerts have expired.
    tokens = list(Alert.objects.filter(status=AlertStatus.SENT).values_list("token", flat=True))
    late = Alert.objects.filter(status=AlertStatus.EXPIRED).values_list("token", flat=True).first()
    assert late is not None and len(tokens) == PER_STEP

    barrier = threading.Barrier(len(tokens))
    outcomes: list[str] = []
    lock = threading.Lock()
    answer_at = step3 + timedelta(minutes=1)
    # Tomorrow morning: never past midnight, whenever the test runs.
    appointment = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(9, 0)))

    def accept(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            # Each effector offers a different time: the winner's is the appointment.
            services.alert_accept(
                token=tokens[index], starts_at=appointment + timedelta(minutes=30 * index), now=answer_at
            )
            result = "accepted"
        except DomainError as error:
            result = error.code
        except Exception as error:
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == len(tokens)
    assert outcomes.count("accepted") == 1, outcomes
    assert outcomes.count("taken") == len(tokens) - 1, outcomes
    assert Booking.objects.filter(request=request).count() == 1
    assert Slot.objects.filter(cell=cell).count() == 1  # no slot left behind by a losing acceptance
    request.refresh_from_db()
    assert request.status == Status.ORIENTED
    cascade.refresh_from_db()
    assert cascade.status == CascadeStatus.ACCEPTED
    assert Alert.objects.filter(status=AlertStatus.ACCEPTED).count() == 1
    assert Alert.objects.filter(status=AlertStatus.CLOSED).count() == len(tokens) - 1
    with pytest.raises(DomainError) as error:
        services.alert_accept(token=late, starts_at=appointment, now=answer_at)
    assert error.value.code == "taken"
    assert Cascade.objects.count() == 1
