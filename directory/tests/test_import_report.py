"""The report of an Annuaire import's rejected lines: what came from the file never runs as a formula."""

from __future__ import annotations

from directory.importer import issue_rows
from directory.models import ImportIssue, IssueLevel


def test_identifiers_and_names_from_the_file_are_neutralised_in_the_report() -> None:
    issues = [
        ImportIssue(line=3, level=IssueLevel.REJECTED, code="name_missing", identifier="=1+1", name="\t=CMD()"),
        ImportIssue(line=4, level=IssueLevel.REJECTED, code="name_missing", identifier="\r@A1", name="Jean MARTIN"),
    ]
    rows = list(issue_rows(issues))
    assert [row[2:4] for row in rows[1:]] == [["'=1+1", "'\t=CMD()"], ["'\r@A1", "Jean MARTIN"]]
