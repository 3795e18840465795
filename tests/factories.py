"""Factories shared by the apps' tests. Communes come from the reference list loaded by migration."""

from __future__ import annotations

import itertools

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Role, User
from common.identifiers import luhn_key
from directory.models import Profession, Professional, ReorientationResource, ResourceKind, Site, SiteKind
from territory.models import Cell, Commune, Territory

_rpps_counter = itertools.count(1)


def next_rpps() -> str:
    """A Luhn-valid 11-digit RPPS number, different at each call."""
    body = f"1999{next(_rpps_counter):06d}"
    return body + luhn_key(body)


def commune(insee_code: str) -> Commune:
    return Commune.objects.get(insee_code=insee_code)


class CellFactory(DjangoModelFactory):
    class Meta:
        model = Cell
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Cellule {n}")
    slug = factory.Sequence(lambda n: f"cellule-{n}")


class TerritoryFactory(DjangoModelFactory):
    class Meta:
        model = Territory
        skip_postgeneration_save = True

    cell = factory.SubFactory(CellFactory)
    name = factory.Sequence(lambda n: f"CPTS {n}")

    @factory.post_generation
    def communes(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.communes.set(Commune.objects.filter(insee_code__in=extracted))


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    cell = factory.SubFactory(CellFactory)
    kind = SiteKind.PRACTICE
    name = factory.Sequence(lambda n: f"Cabinet médical n° {n}")
    address = "1 rue de la Gare"
    commune = factory.LazyAttribute(lambda o: o.cell.territories.first().communes.first())


class ProfessionalFactory(DjangoModelFactory):
    class Meta:
        model = Professional

    cell = factory.SubFactory(CellFactory)
    last_name = factory.Sequence(lambda n: f"Lenoir{n}")
    first_name = "Camille"
    profession = Profession.GP
    rpps = factory.LazyFunction(next_rpps)


class ResourceFactory(DjangoModelFactory):
    class Meta:
        model = ReorientationResource

    cell = factory.SubFactory(CellFactory)
    kind = ResourceKind.PHARMACY
    name = factory.Sequence(lambda n: f"Pharmacie de garde {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Dominique"
    last_name = factory.Sequence(lambda n: f"Testeur{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("motdepasse-de-test-42")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    cell = factory.SubFactory(CellFactory)
    role = Role.COORDINATOR
