"""The shipped QPV list: the demo's communes of Orne, a commune without one, and what the list does not cover."""

from __future__ import annotations

import csv

import pytest

from territory import qpv
from territory.models import Commune


def test_the_orne_communes_with_a_qpv_are_argentan_flers_l_aigle_and_alencon() -> None:
    orne = {code for code in qpv.communes_with_qpv() if code.startswith("61")}
    assert orne == {"61006", "61169", "61214", "61001"}
    assert [(q.code, q.name) for q in qpv.qpv_by_commune()["61006"]] == [
        ("QN06101M", "Les Provinces"),
        ("QN06102M", "Saint Michel - Vallée d'Auge"),
    ]


def test_a_small_commune_of_a_covered_department_has_none() -> None:
    assert "61181" not in qpv.communes_with_qpv()  # Gacé
    assert qpv.is_covered("61181")


def test_a_department_outside_the_shipped_list_is_not_said_to_have_none() -> None:
    assert qpv.departments() == {"14", "27", "50", "61", "76"}
    assert not qpv.is_covered("44043")  # Clisson: unknown, not "no QPV"
    assert qpv.department_of("97411") == "974"


def test_codes_are_anct_codes_of_their_department() -> None:
    for each in qpv.qpvs():
        assert len(each.code) == 8 and each.code.startswith("QN0" + each.department), each


def test_the_list_is_read_once() -> None:
    assert qpv.communes_with_qpv() is qpv.communes_with_qpv()


@pytest.mark.django_db
def test_every_commune_of_the_list_is_a_known_commune() -> None:
    with qpv.DATA.open(encoding="utf-8") as handle:
        codes = {row["insee_com"] for row in csv.DictReader(handle)}
    assert set(Commune.objects.filter(insee_code__in=codes).values_list("insee_code", flat=True)) == codes
