"""The shipped QPV list (the national 2024 list): the demo's communes of Orne, a commune without one, the QPV straddling
communes, and what the list does not cover."""

from __future__ import annotations

import csv
from collections import Counter

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


def test_the_list_is_the_whole_national_list() -> None:
    codes = {each.code for each in qpv.qpvs()}
    metropolitan = {each.code for each in qpv.qpvs() if len(each.department) == 2}
    assert (len(codes), len(metropolitan)) == (1584, 1362)  # 1,362 in metropolitan France, as INSEE counts them
    assert len({each.department for each in qpv.qpvs() if len(each.department) == 2}) == 96  # every department


def test_a_qpv_straddling_communes_is_listed_under_each_of_them() -> None:
    assert [q.code for q in qpv.qpv_by_commune()["14271"]] == ["QN01402M"]  # Fleury-sur-Orne
    assert "QN01402M" in [q.code for q in qpv.qpv_by_commune()["14118"]]  # and Caen
    communes_per_qpv = Counter(each.code for each in qpv.qpvs())
    assert sum(1 for count in communes_per_qpv.values() if count > 1) == 149
    assert len(qpv.qpvs()) == 1776  # one row per QPV and commune


def test_a_commune_of_a_collectivity_without_qpv_is_not_said_to_have_none() -> None:
    assert qpv.is_covered("44043")  # Clisson: every metropolitan department is covered
    assert "44043" not in qpv.communes_with_qpv()
    assert qpv.is_covered("98712") and "98712" in qpv.communes_with_qpv()  # Arue, French Polynesia
    assert not qpv.is_covered("97502")  # Saint-Pierre: unknown, not "no QPV"
    assert qpv.department_of("97411") == "974"
    assert qpv.department_of("98712") == "987"


def test_codes_are_anct_codes_of_their_department() -> None:
    for each in qpv.qpvs():
        prefix = "QN" + each.department if len(each.department) == 3 else "QN0" + each.department
        assert len(each.code) == 8 and each.code.startswith(prefix), each
        assert qpv.department_of(each.commune) == each.department, each
        # no C1 control character: a Windows-1252 file read as Latin-1 would leave them
        assert not any("\x80" <= char <= "\x9f" for char in each.name + each.commune_name), each


def test_names_keep_their_ligatures() -> None:
    assert [q.name for q in qpv.qpv_by_commune()["16374"]] == ["Champ De Manœuvre"]  # Soyaux
    assert qpv.qpv_by_commune()["59378"][0].commune_name == "Marcq-en-Barœul"


def test_the_list_is_read_once() -> None:
    assert qpv.communes_with_qpv() is qpv.communes_with_qpv()


@pytest.mark.django_db
def test_every_commune_of_the_list_is_a_known_commune() -> None:
    with qpv.DATA.open(encoding="utf-8") as handle:
        codes = {row["insee_com"] for row in csv.DictReader(handle)}
    known = set(Commune.objects.filter(insee_code__in=codes).values_list("insee_code", flat=True))
    # Pierrefitte-sur-Seine (93059: three QPV, two shared with Stains and Saint-Denis) is missing from communes.csv.
    assert codes - known <= {"93059"}
    assert len(known) == 834
