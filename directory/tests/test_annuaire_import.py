"""The Annuaire Santé import through `manage.py import_annuaire`: the territory's lines only, RPPS as the key, sites and
links, rejected lines with their number and reason, idempotence, the cell's own changes kept, bounded queries."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import World
from directory import annuaire
from directory.models import AnnuaireImport, ImportStatus, Profession, Professional, Site, SiteKind
from directory.services import professional_save
from directory.tests import extracts
from directory.tests.extracts import fake_rpps, line
from tests.factories import ProfessionalFactory, commune

pytestmark = pytest.mark.django_db

GP, NURSE, PHARMACIST = fake_rpps(1), fake_rpps(2), fake_rpps(3)


def run(world: World, path: Path, *args: str) -> tuple[AnnuaireImport, str]:
    out = io.StringIO()
    call_command("import_annuaire", str(path), "--cell", world.cell.slug, *args, stdout=out)
    return AnnuaireImport.objects.filter(cell=world.cell).latest("pk"), out.getvalue()


def territory_file_rows() -> list[dict[str, str]]:
    return [
        # A GP with two practices of the territory, one of them a health centre known by its FINESS number.
        line(GP, "LEBRETON", "JEAN-BAPTISTE", commune="61006", site="CABINET DES TILLEULS"),
        line(
            GP,
            "LEBRETON",
            "JEAN-BAPTISTE",
            commune="61181",
            site="CENTRE DE SANTE DE GACE",
            finess="610000018",
            sector="Centre de santé",
            phone="0233111111",
        ),
        line(NURSE, "DUVAL", "MARIE", commune="61214", profession="60", skill="", email="M.Duval@Example.org"),
        line(PHARMACIST, "ROUSSEL", "LEA", commune="61214", profession="21", skill="", sector="Pharmacie d'officine"),
        # Not the cell's: Alençon (its department, not its territory), Caen and Clisson (other departments).
        line(fake_rpps(4), "HORS", "TERRITOIRE", commune="61001"),
        line(fake_rpps(5), "AUTRE", "DEPARTEMENT", commune="14118"),
        line(fake_rpps(6), "AUTRE", "CELLULE", commune="44043"),
    ]


def test_the_command_imports_the_territory_and_links_each_professional_to_their_sites(
    world: World, tmp_path: Path
) -> None:
    job, out = run(world, extracts.write_txt(tmp_path, territory_file_rows()))

    assert job.status == ImportStatus.DONE
    pros = {pro.rpps: pro for pro in Professional.objects.filter(cell=world.cell)}
    assert set(pros) == {GP, NURSE, PHARMACIST}
    gp = pros[GP]
    assert (gp.last_name, gp.first_name, gp.profession, gp.specialty) == (
        "Lebreton",
        "Jean-Baptiste",
        Profession.GP,
        "Médecine générale",
    )
    assert gp.search_name == "lebreton jean baptiste"  # found by the directory's search
    assert str(gp.phone) == "+33233000000"
    assert sorted(site.name for site in gp.sites.all()) == ["CABINET DES TILLEULS", "CENTRE DE SANTE DE GACE"]
    centre = Site.objects.get(finess="610000018")
    assert (centre.kind, centre.commune.insee_code, str(centre.phone)) == (
        SiteKind.HEALTH_CENTRE,
        "61181",
        "+33233111111",
    )
    assert Site.objects.get(name="CABINET DES TILLEULS").address == "12 Rue DE LA REPUBLIQUE"
    assert pros[NURSE].profession == Profession.NURSE and pros[NURSE].email == "m.duval@example.org"
    assert pros[PHARMACIST].profession == Profession.PHARMACIST
    assert pros[PHARMACIST].sites.get().kind == SiteKind.PHARMACY
    assert not Professional.objects.filter(cell=world.other_cell).exists()
    s = job.summary
    assert (s["lines_read"], s["lines_in_territory"], s["lines_outside_territory"], s["lines_elsewhere"]) == (
        7,
        4,
        1,
        2,
    )
    assert (s["professionals_created"], s["sites_created"], s["links_created"], s["lines_rejected"]) == (3, 4, 4, 0)
    assert "7 lines read" in out and "3 created" in out
    assert "100 %" in out  # the progress ends at 100 %


def test_the_zip_as_published_is_read_from_its_activity_member(world: World, tmp_path: Path) -> None:
    job, _out = run(world, extracts.write_zip(tmp_path, territory_file_rows()))
    assert job.summary["member"] == "PS_LibreAcces_Personne_activite_202611250900.txt"
    assert job.summary["professionals_created"] == 3
    assert set(Professional.objects.filter(cell=world.cell).values_list("rpps", flat=True)) == {GP, NURSE, PHARMACIST}


def test_columns_are_found_by_name_in_any_order_and_spelling(world: World, tmp_path: Path) -> None:
    """Another order, extra columns, other capitals and accents, no trailing "|": the same import."""
    header = [*reversed(extracts.HEADER), "Colonne ajoutée en 2027"]
    respelled = {
        "Libellé Voie (coord. structure)": "libelle voie (coord.  structure)",
        "Nom d'exercice": "NOM D’EXERCICE",
    }
    rows = [{respelled.get(k, k): v for k, v in row.items()} for row in territory_file_rows()]
    header = [respelled.get(name, name) for name in header]
    job, _out = run(world, extracts.write_txt(tmp_path, rows, header=header, trailing_pipe=False))
    assert job.summary["professionals_created"] == 3
    assert job.summary["lines_rejected"] == 0
    assert Professional.objects.get(rpps=GP).last_name == "Lebreton"
    assert Site.objects.get(name="CABINET DES TILLEULS").address == "12 Rue DE LA REPUBLIQUE"


def test_a_missing_required_column_is_a_clear_error_and_nothing_is_written(world: World, tmp_path: Path) -> None:
    header = [name for name in extracts.HEADER if name not in ("Nom d'exercice", "Code commune (coord. structure)")]
    path = extracts.write_txt(tmp_path, territory_file_rows(), header=header)
    with pytest.raises(CommandError) as raised:
        run(world, path)
    assert "« Nom d'exercice »" in str(raised.value)
    assert "« Code commune (coord. structure) »" in str(raised.value)
    assert not Professional.objects.exists()
    assert not AnnuaireImport.objects.exists()


def test_a_file_that_is_not_the_extract_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("lisez-moi.pdf", "rien")
    with pytest.raises(CommandError, match="PS_LibreAcces_Personne_activite"):
        run(world, path)


def test_rejected_lines_are_reported_with_their_number_and_reason(world: World, tmp_path: Path) -> None:
    bad_key = fake_rpps(20, valid_key=False)
    rows: list[dict[str, str] | str] = [
        line(GP, "LEBRETON", "JEAN", commune="61006"),  # line 2: fine
        line("1234567890", "COURT", "NUMERO", commune="61006"),  # 3: RPPS of 10 digits
        line("612345678", "ADELI", "SEULEMENT", commune="61006", id_type="0"),  # 4: ADELI
        line(fake_rpps(21), "ANCIENNE", "COMMUNE", commune="61999"),  # 5: unknown code in the department
        "8|81000000222|881000000222|DR|Docteur|M|Monsieur|COUPEE",  # 6: a cut line
        line(fake_rpps(23), "", "SANSNOM", commune="61006"),  # 7: no name
        line(bad_key, "CLE", "FAUSSE", commune="61181"),  # 8: fails the check key: imported with a warning
        line(fake_rpps(24), "TEL", "ETRANGE", commune="61214", phone="12"),  # 9: phone left out, imported
        line("1", "HORS", "TERRITOIRE", commune="14118"),  # 10: another department's, whatever its faults
        line(GP, "LEBRETON-AUTRE", "JEAN", commune="61181"),  # 11: line 2's RPPS, another name: a warning
    ]
    report = tmp_path / "rejets.csv"
    job, out = run(world, extracts.write_txt(tmp_path, rows), "--report", str(report))

    issues = {(issue.line, issue.level, issue.code) for issue in job.issues.all()}
    assert issues == {
        (3, "rejected", "rpps_invalid"),
        (4, "rejected", "adeli"),
        (5, "rejected", "commune_unknown"),
        (6, "rejected", "columns"),
        (7, "rejected", "name_missing"),
        (8, "warning", "rpps_key"),
        (9, "warning", "phone_invalid"),
        (11, "warning", "name_differs"),
    }  # line 10 is another department's: not the cell's business, not reported
    assert set(Professional.objects.values_list("rpps", flat=True)) == {GP, bad_key, fake_rpps(24)}
    assert job.summary["lines_rejected"] == 5 and job.summary["lines_with_warning"] == 3
    assert Professional.objects.get(rpps=GP).last_name == "Lebreton"  # line 2's name
    assert Professional.objects.get(rpps=GP).sites.count() == 2  # both practices, whatever the name
    assert "line 3 [rejected] 1234567890" in out
    rows_written = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert [row[0] for row in rows_written[1:]] == ["3", "4", "5", "6", "7", "8", "9", "11"]
    cut = next(issue for issue in job.issues.all() if issue.code == "columns")
    assert cut.params == {"found": 8, "expected": len(extracts.HEADER)}
    assert str(len(extracts.HEADER)) in cut.reason


def test_a_second_import_of_the_same_file_changes_nothing(world: World, tmp_path: Path) -> None:
    path = extracts.write_txt(tmp_path, territory_file_rows())
    run(world, path)
    before = _directory_state(world)
    job, out = run(world, path)
    s = job.summary
    assert (s["professionals_created"], s["professionals_updated"], s["professionals_unchanged"]) == (0, 0, 3)
    assert (s["sites_created"], s["sites_updated"], s["links_created"], s["hand_edits_kept"]) == (0, 0, 0, 0)
    assert "0 created, 0 updated" in out
    assert _directory_state(world) == before


def test_the_file_updates_what_the_cell_did_not_change_and_keeps_what_it_did(world: World, tmp_path: Path) -> None:
    run(world, extracts.write_txt(tmp_path, territory_file_rows()))
    nurse = Professional.objects.get(rpps=NURSE)
    professional_save(cell=world.cell, professional=nurse, phone="+33612345678")  # typed by the cell
    changed = territory_file_rows()
    changed[2] = line(NURSE, "DUVAL-MARTIN", "MARIE", commune="61214", profession="60", skill="", phone="0233999999")
    job, _out = run(world, extracts.write_txt(tmp_path, changed))

    nurse.refresh_from_db()
    assert nurse.last_name == "Duval-Martin"  # the register's new name: the cell had not touched it
    assert nurse.search_name == "duval martin marie"
    assert str(nurse.phone) == "+33612345678"  # the cell's own number stays
    assert job.summary["professionals_updated"] == 1 and job.summary["hand_edits_kept"] == 1
    # The next import with the same file: the change of name is done, the cell's phone still kept, nothing to write.
    again, _out = run(world, extracts.write_txt(tmp_path, changed))
    assert again.summary["professionals_updated"] == 0 and again.summary["hand_edits_kept"] == 1


def test_a_professional_entered_by_hand_is_completed_not_duplicated(world: World, tmp_path: Path) -> None:
    site = Site.objects.create(
        cell=world.cell, kind="practice", name="Cabinet des Tilleuls", commune=commune("61006"), phone="+33233555555"
    )
    mine = ProfessionalFactory(cell=world.cell, rpps=GP, last_name="Lebreton", first_name="Jean-Baptiste", specialty="")
    mine.sites.add(site)
    ProfessionalFactory(cell=world.cell, rpps=fake_rpps(40), last_name="Parti", first_name="Depuis")
    job, _out = run(world, extracts.write_txt(tmp_path, territory_file_rows()))

    assert Professional.objects.filter(cell=world.cell, rpps=GP).count() == 1
    mine.refresh_from_db()
    assert mine.specialty == "Médecine générale"  # empty: completed from the file
    assert str(mine.phone) == "+33233000000"
    # The file's "CABINET DES TILLEULS" in Argentan is the cell's "Cabinet des Tilleuls": no second site, phone kept.
    assert Site.objects.filter(cell=world.cell, commune=commune("61006")).count() == 1
    site.refresh_from_db()
    assert str(site.phone) == "+33233555555"
    assert mine.sites.count() == 2
    assert job.summary["professionals_absent"] == 1
    assert job.summary["absent"][0][1:] == ["Depuis PARTI", fake_rpps(40)]
    assert Professional.objects.filter(rpps=fake_rpps(40), is_active=True).exists()  # listed, never removed


def test_only_the_chosen_professions_are_imported(world: World, tmp_path: Path) -> None:
    job, _out = run(world, extracts.write_txt(tmp_path, territory_file_rows()), "--profession", "60")
    assert list(Professional.objects.values_list("rpps", flat=True)) == [NURSE]
    assert job.summary["lines_other_professions"] == 3


def test_without_commune_code_the_postal_code_and_the_commune_name_place_the_line(world: World, tmp_path: Path) -> None:
    world.territory.communes.add(commune("61014"))  # Aunou-le-Faucon shares 61200 with Argentan
    no_code = {"Code commune (coord. structure)": ""}
    rows = [
        line(fake_rpps(50), "UNIQUE", "CODEPOSTAL", commune="61214", **no_code),  # 61300: L'Aigle only
        line(fake_rpps(51), "NOMME", "COMMUNE", commune="61006", **no_code),  # 61200 + ARGENTAN
        line(
            fake_rpps(52),
            "SANS",
            "NOM",
            commune="61006",
            **no_code,
            **{"Libellé commune (coord. structure)": "", "Bureau cedex (coord. structure)": "61200 CEDEX"},
        ),
    ]
    job, _out = run(world, extracts.write_txt(tmp_path, rows))
    assert Professional.objects.get(rpps=fake_rpps(50)).sites.get().commune.insee_code == "61214"
    assert Professional.objects.get(rpps=fake_rpps(51)).sites.get().commune.insee_code == "61006"
    assert [(i.line, i.code) for i in job.issues.all()] == [(4, "commune_ambiguous")]


def test_queries_stay_bounded_whatever_the_number_of_lines(world: World, tmp_path: Path) -> None:
    """3,000 lines, 1,500 professionals with two practices each: queries by batch, never one per line."""
    communes = ["61006", "61181", "61214"]
    rows = [
        line(fake_rpps(1000 + n), f"NOM{n:04d}", "PRENOM", commune=communes[(n + k) % 3], site=f"CABINET {n}-{k}")
        for n in range(1500)
        for k in range(2)
    ]
    path = extracts.write_txt(tmp_path, rows)
    with CaptureQueriesContext(connection) as first:
        job, _out = run(world, path)
    assert job.summary["professionals_created"] == 1500 and job.summary["links_created"] == 3000
    # Inserts go by hundreds of rows (SQLite caps a statement at 999 parameters, PostgreSQL takes a batch at once).
    assert len(first) < len(rows) / 20, f"{len(first)} queries"
    with CaptureQueriesContext(connection) as second:
        again, _out = run(world, path)
    assert again.summary["professionals_unchanged"] == 1500
    assert len(second) < 40, f"{len(second)} queries"  # nothing to write: a few reads per batch of 500


def _directory_state(world: World) -> Any:
    pros = Professional.objects.filter(cell=world.cell).order_by("rpps")
    return (
        list(pros.values_list("rpps", "last_name", "first_name", "profession", "specialty", "phone", "email")),
        list(Site.objects.filter(cell=world.cell).order_by("name").values_list("name", "address", "phone", "finess")),
        sorted(Professional.sites.through.objects.values_list("professional__rpps", "site__name")),
    )


# --- reading the file, line by line ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"profession_code": "10", "skill_code": "SM53", "skill_label": "Spécialiste en Médecine Générale"}, "gp"),
        ({"profession_code": "10", "skill_code": "SM44", "skill_label": "Radio-diagnostic"}, "radiologist"),
        ({"profession_code": "10", "skill_code": "SM07", "skill_label": "Cardiologie"}, "specialist"),
        ({"profession_code": "21", "pharmacist_section": "G"}, "biologist"),
        ({"profession_code": "21", "pharmacist_section": "A"}, "pharmacist"),
        ({"profession_code": "50"}, "midwife"),
        ({"profession_code": "70"}, "physiotherapist"),
        ({"profession_code": "91", "profession_label": "Orthophoniste"}, "other"),
    ],
)
def test_professions_follow_the_register_codes(fields: dict[str, str], expected: str) -> None:
    assert annuaire.profession_of(fields)[0] == expected


def test_other_professions_keep_the_register_name_as_specialty() -> None:
    assert annuaire.profession_of({"profession_code": "91", "profession_label": "Orthophoniste"}) == (
        "other",
        "Orthophoniste",
    )


def test_names_in_capitals_are_written_as_people_write_them() -> None:
    assert annuaire.person_name("JEAN-PIERRE") == "Jean-Pierre"
    assert annuaire.person_name("D'ARGENT  DE LA  TOUR") == "D'Argent De La Tour"
    assert annuaire.person_name("Éloïse") == "Éloïse"


def test_arrondissements_count_as_their_commune() -> None:
    assert annuaire.commune_code("75112") == "75056"
    assert annuaire.commune_code("69383") == "69123"
    assert annuaire.commune_code("13201") == "13055"
    assert annuaire.commune_code("2a004") == "2A004"
