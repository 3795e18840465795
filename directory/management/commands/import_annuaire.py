"""`manage.py import_annuaire FILE --cell SLUG`: the Annuaire Santé extract into one cell's directory, in the
foreground, with its progress and its summary; the same import as the cell administrator's upload screen."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import DomainError
from directory import annuaire, services
from directory.importer import OTHER_PROFESSIONS, PROFESSION_GROUPS, issue_rows
from directory.models import AnnuaireImport, ImportStatus
from directory.selectors import annuaire_import_issues
from territory.models import Cell

SHOWN_ISSUES = 20


class Command(BaseCommand):
    help = (
        "Import the Annuaire Santé extract (PS_LibreAcces_Personne_activite_*.txt, or the PS_LibreAcces zip) into a "
        "cell's directory: the lines of the cell's territory, RPPS number as the key; running it again changes "
        "nothing. Rejected lines are listed with their line number and reason (--report writes them all as CSV)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .txt extract or the zip holding it")
        parser.add_argument("--cell", required=True, help="the cell's short name (as in its addresses)")
        parser.add_argument(
            "--profession",
            action="append",
            default=[],
            choices=[*PROFESSION_GROUPS, OTHER_PROFESSIONS],
            help="keep only this 'Code profession' (10 doctors, 21 pharmacists, 40 dentists, 50 midwives, 60 nurses, "
            "70 physiotherapists, 'other' for the rest); repeat for several; default: every profession",
        )
        parser.add_argument("--report", type=Path, help="write the rejected lines and warnings to this CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        cell = Cell.objects.filter(slug=options["cell"]).first()
        if cell is None:
            raise CommandError(f"no cell named {options['cell']!r}")
        try:
            annuaire.check_extract(path)
            job = services.annuaire_import_create(
                cell=cell,
                user=None,
                file_path=str(path.resolve()),
                file_name=path.name,
                file_size=path.stat().st_size,
                professions=options["profession"],
                enqueue=False,
            )
        except (annuaire.ExtractError, DomainError) as error:
            raise CommandError(str(error.message)) from error
        self.last_percent = -10
        finished = services.annuaire_import_run(job_pk=job.pk, on_progress=self.progress)
        assert finished is not None
        self.report(finished, options.get("report"))
        if finished.status != ImportStatus.DONE:
            raise CommandError(finished.error)

    def progress(self, job: AnnuaireImport) -> None:
        percent = job.percent
        if percent >= self.last_percent + 10 or (job.people_total and job.people_done == job.people_total):
            self.last_percent = percent
            written = f", {job.people_done:,}/{job.people_total:,} professionals written" if job.people_total else ""
            self.stdout.write(f"{percent:3d} %  {job.lines_read:,} lines read{written}")

    def report(self, job: AnnuaireImport, report_path: Path | None) -> None:
        s = job.summary
        if not s:
            return
        self.stdout.write(
            f"{s['lines_read']:,} lines read ({s.get('member', '')}): {s['lines_in_territory']:,} in the territory, "
            f"{s['lines_outside_territory']:,} elsewhere in its departments, {s['lines_elsewhere']:,} in other "
            f"departments or without an address, {s['lines_other_professions']:,} of other professions; "
            f"{s['lines_rejected']:,} rejected, {s['lines_with_warning']:,} with a warning."
        )
        self.stdout.write(
            f"{s['professionals_in_file']:,} professionals: {s['professionals_created']:,} created, "
            f"{s['professionals_updated']:,} updated, {s['professionals_unchanged']:,} unchanged; "
            f"{s['hand_edits_kept']:,} values changed by the cell kept; {s['sites_created']:,} sites created, "
            f"{s['sites_updated']:,} updated; {s['links_created']:,} links to sites added; "
            f"{s['professionals_absent']:,} professionals of the directory absent from the file (kept)."
        )
        issues = annuaire_import_issues(job)
        for issue in issues[:SHOWN_ISSUES]:
            self.stdout.write(f"line {issue.line} [{issue.level}] {issue.identifier} {issue.name}: {issue.reason}")
        if s["lines_rejected"] + s["lines_with_warning"] > SHOWN_ISSUES and report_path is None:
            self.stdout.write("… the other lines: --report FILE.csv, or the import's page in the cell administration.")
        if report_path is not None:
            with report_path.open("w", newline="", encoding="utf-8-sig") as out:
                csv.writer(out).writerows(issue_rows(issues))
            self.stdout.write(f"Report written to {report_path}.")
