"""The Annuaire Santé import of one cell: read the extract, keep the lines of the cell's territory, write the directory.

Rules (README, "Annuaire Santé import"):

- **RPPS is the key.** Lines of one RPPS number (one per activity) make one professional, linked to one site per
  activity in the territory. A line with an ADELI identifier, an invalid RPPS or no name is rejected; an RPPS that
  fails its check key is imported with a warning.
- **Only the territory.** A line is kept when its structure's commune is one of the cell's communes (Paris, Lyon and
  Marseille arrondissements count as their commune; without a commune code, a postal code of the territory that
  names one commune). Lines of the cell's departments outside its communes, and of other departments, are counted,
  not reported; an unknown commune code in the cell's departments is rejected (it may be a merged commune's code).
- **Idempotent, and the cell's own changes win.** Each professional and site keeps the values the last import gave
  (`annuaire_values`). A field still equal to that value (or empty) follows the file; a field the cell changed by hand
  since is kept, and counted. A second import of the same file changes nothing. Links to sites are added, never
  removed; professionals absent from the file are counted and named in the summary, never deleted or deactivated.
- **Large files.** The file is read as a stream (two million lines, 1 GB); only the territory's lines stay in memory
  (a few thousand). The database is written in batches of professionals with bulk queries, each batch in its own
  transaction: a few queries per batch, never per line. An interrupted import is simply run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from common.exports import spreadsheet_safe
from common.identifiers import InvalidIdentifier, check_finess, check_rpps
from common.text import normalize
from territory.models import Commune

from . import annuaire
from .models import AnnuaireImport, ImportIssue, IssueLevel, Professional, Site

BATCH = 500  # professionals per transaction
PROGRESS_EVERY = 20_000  # lines between two progress updates
ABSENT_NAMED = 100  # professionals absent from the file named in the summary

# The choices of professions offered to the cell administrator, as "Code profession" groups.
PROFESSION_GROUPS = {"10": ("10",), "21": ("21",), "40": ("40",), "50": ("50",), "60": ("60", "69"), "70": ("70",)}
OTHER_PROFESSIONS = "other"
_GROUP_OF_CODE = {code: group for group, codes in PROFESSION_GROUPS.items() for code in codes}

PROFESSIONAL_FIELDS = [
    *("last_name", "first_name", "search_name", "profession", "specialty", "phone", "email"),
    "annuaire_values",
]

ProgressCallback = Callable[[AnnuaireImport], None]


@dataclass
class Summary:
    member: str = ""
    lines_read: int = 0
    lines_in_territory: int = 0
    lines_outside_territory: int = 0  # in the cell's departments, other communes
    lines_elsewhere: int = 0  # other departments, or no usable address
    lines_other_professions: int = 0
    lines_rejected: int = 0
    lines_with_warning: int = 0
    issues_kept: int = 0
    professionals_in_file: int = 0
    professionals_created: int = 0
    professionals_updated: int = 0
    professionals_unchanged: int = 0
    hand_edits_kept: int = 0
    sites_created: int = 0
    sites_updated: int = 0
    links_created: int = 0
    professionals_absent: int = 0
    absent: list[list[Any]] = field(default_factory=list)  # [pk, name, rpps] of the first ABSENT_NAMED


@dataclass
class Activity:
    line: int
    site_key: tuple[Any, ...]
    name: str
    kind: str
    address: str
    commune_id: int
    finess: str
    phone: str
    email: str


@dataclass
class Person:
    rpps: str
    line: int
    last_name: str
    first_name: str
    profession: str
    specialty: str
    activities: list[Activity] = field(default_factory=list)

    def values(self) -> dict[str, str]:
        """The values the file gives for the professional (phone and e-mail: their first practice's that has one)."""
        return {
            "last_name": self.last_name,
            "first_name": self.first_name,
            "profession": self.profession,
            "specialty": self.specialty,
            "phone": next((a.phone for a in self.activities if a.phone), ""),
            "email": next((a.email for a in self.activities if a.email), ""),
        }


class Scope:
    """The cell's communes by INSEE code and by postal code, its departments, and every commune code known there."""

    def __init__(self, cell_id: int) -> None:
        communes = list(
            Commune.objects.filter(territories__cell_id=cell_id)
            .distinct()
            .values_list("pk", "insee_code", "postal_codes", "search_name", "department")
        )
        self.by_code = {code: pk for pk, code, _, _, _ in communes}
        self.by_postal_code: dict[str, list[tuple[int, str]]] = {}
        for pk, _, postal_codes, search_name, _ in communes:
            for postal_code in postal_codes.split():
                self.by_postal_code.setdefault(postal_code, []).append((pk, search_name))
        self.departments = {department for _, _, _, _, department in communes}
        self.known_codes = set(
            Commune.objects.filter(department__in=self.departments).values_list("insee_code", flat=True)
        )


class Importer:
    def __init__(self, job: AnnuaireImport, *, on_progress: ProgressCallback | None = None) -> None:
        self.job = job
        self.cell_id = job.cell_id
        self.on_progress = on_progress
        self.summary = Summary()
        self.issues: list[ImportIssue] = []
        self.max_issues = int(settings.AIGUILLAGE_ANNUAIRE_MAX_ISSUES)
        wanted = set(job.professions or [])
        self.wanted_groups = wanted or None

    # --- reading ------------------------------------------------------------------------------------------------

    def run(self) -> Summary:
        people = self.read()
        self.write(people)
        self.job.summary = asdict(self.summary)
        return self.summary

    def read(self) -> dict[str, Person]:
        scope = Scope(self.cell_id)
        people: dict[str, Person] = {}
        warned: set[tuple[str, str]] = set()
        with annuaire.open_extract(self.job.file_path) as extract:
            self.summary.member = extract.member
            self.job.file_size = extract.size
            lines = iter(extract.lines)
            first = next(lines, b"")
            if not first.strip():
                raise annuaire.ExtractError(annuaire.FILE_EMPTY)
            header = annuaire.Header.parse(annuaire.decode_header(first))
            index = header.index
            commune_at = index["commune_code"]
            postal_at = index.get("postal_code")
            profession_at = index["profession_code"]
            for number, raw in enumerate(lines, start=2):
                if not raw.strip():
                    continue
                self.summary.lines_read += 1
                if self.summary.lines_read % PROGRESS_EVERY == 0:
                    self._progress(extract.bytes_read)
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    self._issue(number, IssueLevel.REJECTED, "encoding")
                    continue
                fields = header.fields_of(text)
                if fields is None:
                    params = {"found": header.width_of(text), "expected": header.width}
                    self._issue(number, IssueLevel.REJECTED, "columns", params)
                    continue
                commune_id = self._commune(number, fields[commune_at], fields, postal_at, index, scope)
                if commune_id is None:
                    continue
                if self.wanted_groups is not None:
                    group = _GROUP_OF_CODE.get(fields[profession_at].strip(), OTHER_PROFESSIONS)
                    if group not in self.wanted_groups:
                        self.summary.lines_other_professions += 1
                        continue
                self.summary.lines_in_territory += 1
                row = {key: fields[position] for key, position in index.items()}
                self._person_line(number, row, commune_id, people, warned)
            self._progress(extract.bytes_read)
        self.summary.professionals_in_file = len(people)
        ImportIssue.objects.bulk_create(self.issues, batch_size=1000)
        self.summary.issues_kept = len(self.issues)
        AnnuaireImport.objects.filter(pk=self.job.pk).update(people_total=len(people))
        self.job.people_total = len(people)
        return people

    def _commune(
        self,
        number: int,
        raw_code: str,
        fields: list[str],
        postal_at: int | None,
        index: dict[str, int],
        scope: Scope,
    ) -> int | None:
        """The territory commune of a line, or None (counted, or rejected) when the line is not the cell's."""
        code = annuaire.commune_code(raw_code)
        if code:
            commune_id = scope.by_code.get(code)
            if commune_id is not None:
                return commune_id
            if annuaire.department_of(code) not in scope.departments:
                self.summary.lines_elsewhere += 1
            elif code in scope.known_codes:
                self.summary.lines_outside_territory += 1
            else:
                self._issue(number, IssueLevel.REJECTED, "commune_unknown", {"value": code}, who=_who(fields, index))
            return None
        postal_code = fields[postal_at].strip() if postal_at is not None else ""
        candidates = scope.by_postal_code.get(postal_code, [])
        if len(candidates) == 1:
            return candidates[0][0]
        if not candidates:
            self.summary.lines_elsewhere += 1
            return None
        # A postal code of several communes: the commune's name (or the cedex office's) tells which.
        for key in ("commune_name", "cedex"):
            position = index.get(key)
            if position is None:
                continue
            words = normalize(fields[position]).split()
            name = " ".join(word for word in words if not word.isdigit() and word != "cedex")
            for commune_id, search_name in candidates:
                if name and name == search_name:
                    return commune_id
        params = {"value": postal_code}
        self._issue(number, IssueLevel.REJECTED, "commune_ambiguous", params, who=_who(fields, index))
        return None

    def _person_line(
        self,
        number: int,
        row: dict[str, str],
        commune_id: int,
        people: dict[str, Person],
        warned: set[tuple[str, str]],
    ) -> None:
        identifier = (row.get("id") or row.get("national_id") or "").strip()
        last_name = annuaire.person_name(row.get("last_name", ""))
        first_name = annuaire.person_name(row.get("first_name", ""))
        who = (identifier[:20], f"{first_name} {last_name.upper()}".strip()[:210])
        if row.get("id_type", "").strip() == "0":
            self._issue(number, IssueLevel.REJECTED, "adeli", {"value": identifier}, who=who)
            return
        try:
            checked = check_rpps(identifier)
        except InvalidIdentifier:
            self._issue(number, IssueLevel.REJECTED, "rpps_invalid", {"value": identifier}, who=who)
            return
        rpps = checked.value
        if not last_name:
            self._issue(number, IssueLevel.REJECTED, "name_missing", who=who)
            return
        person = people.get(rpps)
        if person is None:
            profession, specialty = annuaire.profession_of(row)
            person = people[rpps] = Person(rpps, number, last_name, first_name, profession, specialty)
            if checked.warnings:
                self._issue(number, IssueLevel.WARNING, "rpps_key", {"value": rpps}, who=who)
        elif (rpps, "name") not in warned and normalize(f"{last_name} {first_name}") != normalize(
            f"{person.last_name} {person.first_name}"
        ):
            warned.add((rpps, "name"))
            params = {"line": person.line, "value": f"{first_name} {last_name.upper()}"}
            self._issue(number, IssueLevel.WARNING, "name_differs", params, who=who)
        phone = annuaire.phone_e164(row.get("phone", ""))
        if phone == "" and row.get("phone_2", "").strip():
            phone = annuaire.phone_e164(row.get("phone_2", ""))
        if phone is None:
            self._issue(number, IssueLevel.WARNING, "phone_invalid", {"value": row.get("phone", "")[:40]}, who=who)
            phone = ""
        email = annuaire.email_address(row.get("email", ""))
        if email is None:
            self._issue(number, IssueLevel.WARNING, "email_invalid", {"value": row.get("email", "")[:80]}, who=who)
            email = ""
        try:
            finess = check_finess(row["finess"]).value if row.get("finess", "").strip() else ""
        except InvalidIdentifier:
            finess = ""
        name = annuaire.site_name(row, first_name, last_name)
        site_key = ("finess", finess) if finess else ("name", normalize(name), commune_id)
        person.activities.append(
            Activity(
                line=number,
                site_key=site_key,
                name=name,
                kind=annuaire.site_kind_of(row.get("sector_label", ""), person.profession),
                address=annuaire.street_address(row),
                commune_id=commune_id,
                finess=finess,
                phone=phone,
                email=email,
            )
        )

    def _issue(
        self,
        number: int,
        level: str,
        code: str,
        params: dict[str, Any] | None = None,
        *,
        who: tuple[str, str] = ("", ""),
    ) -> None:
        if level == IssueLevel.REJECTED:
            self.summary.lines_rejected += 1
        else:
            self.summary.lines_with_warning += 1
        if len(self.issues) < self.max_issues:
            identifier, name = who
            self.issues.append(
                ImportIssue(
                    job_id=self.job.pk,
                    line=number,
                    level=level,
                    code=code,
                    params=params or {},
                    identifier=identifier,
                    name=name,
                )
            )

    def _progress(self, bytes_read: int) -> None:
        now = timezone.now()
        self.job.bytes_read, self.job.lines_read, self.job.progress_at = bytes_read, self.summary.lines_read, now
        AnnuaireImport.objects.filter(pk=self.job.pk).update(
            bytes_read=bytes_read,
            lines_read=self.summary.lines_read,
            file_size=self.job.file_size,
            progress_at=now,
        )
        if self.on_progress is not None:
            self.on_progress(self.job)

    # --- writing ------------------------------------------------------------------------------------------------

    def write(self, people: dict[str, Person]) -> None:
        site_ids = self._write_sites(people.values())
        keys = sorted(people)
        for start in range(0, len(keys), BATCH):
            batch = [people[rpps] for rpps in keys[start : start + BATCH]]
            with transaction.atomic():
                self._write_professionals(batch, site_ids)
            done = min(start + BATCH, len(keys))
            self.job.people_done, self.job.progress_at = done, timezone.now()
            AnnuaireImport.objects.filter(pk=self.job.pk).update(people_done=done, progress_at=self.job.progress_at)
            if self.on_progress is not None:
                self.on_progress(self.job)
        self._count_absent(people)

    def _write_sites(self, people: Iterable[Person]) -> dict[tuple[Any, ...], int]:
        """Find or create the site of every activity: by FINESS, else by name in the commune."""
        wanted: dict[tuple[Any, ...], Activity] = {}
        for person in people:
            for activity in person.activities:
                wanted.setdefault(activity.site_key, activity)
        existing = list(Site.objects.filter(cell_id=self.cell_id))
        by_finess = {site.finess: site for site in existing if site.finess}
        by_name = {(normalize(site.name), site.commune_id): site for site in existing}
        found: dict[tuple[Any, ...], Site] = {}
        new: list[Site] = []
        changed: list[Site] = []
        merged: set[int] = set()
        for key, activity in wanted.items():
            site = by_finess.get(activity.finess) if activity.finess else None
            site = site or by_name.get((normalize(activity.name), activity.commune_id))
            if site is not None:
                found[key] = site
                if site.pk is not None and site.pk not in merged:
                    merged.add(site.pk)
                    save, visible = self._merge_site(site, activity)
                    if save:
                        changed.append(site)
                    self.summary.sites_updated += int(visible)
                continue
            name = activity.name
            if (normalize(name), activity.commune_id) in by_name:  # another structure of the same name there
                name = f"{name[:135]} ({activity.finess or len(new) + 1})"
            site = Site(
                cell_id=self.cell_id,
                kind=activity.kind,
                name=name,
                address=activity.address,
                commune_id=activity.commune_id,
                phone=activity.phone,
                email=activity.email,
                finess=activity.finess,
                annuaire_values=_site_values(activity),
            )
            new.append(site)
            found[key] = by_name[(normalize(name), activity.commune_id)] = site
            if activity.finess:
                by_finess[activity.finess] = site
        with transaction.atomic():
            Site.objects.bulk_create(new, batch_size=BATCH)
            Site.objects.bulk_update(changed, ["address", "phone", "email", "finess", "annuaire_values"], BATCH)
        self.summary.sites_created = len(new)
        return {key: site.pk for key, site in found.items()}

    def _merge_site(self, site: Site, activity: Activity) -> tuple[bool, bool]:
        """Returns whether the site must be saved, and whether a value people see changed."""
        values = _site_values(activity)
        visible, kept = _merge(site, values)
        self.summary.hand_edits_kept += kept
        if activity.finess and not site.finess:
            site.finess = activity.finess
            visible = True
        if site.annuaire_values != values:
            site.annuaire_values = values
            return True, visible
        return visible, visible

    def _write_professionals(self, batch: list[Person], site_ids: dict[tuple[Any, ...], int]) -> None:
        existing = {
            pro.rpps: pro for pro in Professional.objects.filter(cell_id=self.cell_id, rpps__in=[p.rpps for p in batch])
        }
        new: list[Professional] = []
        changed: list[Professional] = []
        for person in batch:
            values = person.values()
            pro = existing.get(person.rpps)
            if pro is None:
                pro = Professional(cell_id=self.cell_id, rpps=person.rpps, annuaire_values=values, **values)
                pro.search_name = normalize(f"{pro.last_name} {pro.first_name}")
                new.append(pro)
                existing[person.rpps] = pro
                continue
            fields_changed, kept = _merge(pro, values)
            self.summary.hand_edits_kept += kept
            if fields_changed:
                self.summary.professionals_updated += 1
                pro.search_name = normalize(f"{pro.last_name} {pro.first_name}")
            else:
                self.summary.professionals_unchanged += 1
            if fields_changed or pro.annuaire_values != values:
                pro.annuaire_values = values
                changed.append(pro)
        Professional.objects.bulk_create(new, batch_size=BATCH)
        self.summary.professionals_created += len(new)
        if changed:
            Professional.objects.bulk_update(
                changed,
                PROFESSIONAL_FIELDS,
                batch_size=BATCH,
            )
        through = Professional.sites.through
        ids = [existing[person.rpps].pk for person in batch]
        linked = set(through.objects.filter(professional_id__in=ids).values_list("professional_id", "site_id"))
        links = []
        for person in batch:
            pro_id = existing[person.rpps].pk
            for site_id in sorted({site_ids[activity.site_key] for activity in person.activities}):
                if (pro_id, site_id) not in linked:
                    linked.add((pro_id, site_id))
                    links.append(through(professional_id=pro_id, site_id=site_id))
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        self.summary.links_created += len(links)

    def _count_absent(self, people: dict[str, Person]) -> None:
        """Professionals of the cell with an RPPS number the file does not hold (retired, moved… or outside the
        extract's scope): counted and named, never deleted."""
        absent = [
            [pk, f"{first_name} {last_name.upper()}", rpps]
            for pk, first_name, last_name, rpps in Professional.objects.filter(cell_id=self.cell_id)
            .exclude(rpps="")
            .order_by("search_name")
            .values_list("pk", "first_name", "last_name", "rpps")
            if rpps not in people
        ]
        self.summary.professionals_absent = len(absent)
        self.summary.absent = absent[:ABSENT_NAMED]


def _who(fields: list[str], index: dict[str, int]) -> tuple[str, str]:
    """The identifier and name a rejected line carries, as written in the file."""
    identifier = fields[index["id"] if "id" in index else index["national_id"]].strip()[:20]
    name = f"{fields[index['first_name']].strip()} {fields[index['last_name']].strip().upper()}".strip()[:210]
    return identifier, name


def issue_rows(issues: Iterable[ImportIssue]) -> Iterable[list[Any]]:
    """The report of rejected lines and warnings, as rows for a CSV file: a heading, then one row per line; what
    comes from the file (identifier, name) is neutralised, as a spreadsheet would run it as a formula."""
    yield [gettext("Line"), gettext("Level"), gettext("Identifier"), gettext("Name"), gettext("Reason")]
    for issue in issues:
        yield [
            issue.line,
            issue.get_level_display(),
            spreadsheet_safe(issue.identifier),
            spreadsheet_safe(issue.name),
            issue.reason,
        ]


def _site_values(activity: Activity) -> dict[str, str]:
    return {"address": activity.address, "phone": activity.phone, "email": activity.email}


def _text(value: Any) -> str:
    return str(value) if value else ""


def _same(field_name: str, current: str, new: str) -> bool:
    if field_name in ("last_name", "first_name"):  # "MARTIN" typed by hand is the register's "Martin"
        return current.casefold() == new.casefold()
    return current == new


def _merge(obj: Professional | Site, values: dict[str, str]) -> tuple[bool, int]:
    """Apply the file's values to the fields the cell has not changed since the last import; count those it has.

    A field follows the file when it is empty or still holds the value the last import gave; otherwise the cell
    changed it by hand and it is kept. Returns whether a field changed, and how many hand-made changes were kept.
    """
    previous = obj.annuaire_values or {}
    changed, kept = False, 0
    for name, new in values.items():
        current = _text(getattr(obj, name))
        if _same(name, current, new):
            continue
        if not current or (name in previous and _same(name, current, previous[name])):
            setattr(obj, name, new)
            changed = True
        else:
            kept += 1
    return changed, kept
