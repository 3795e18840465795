"""Reading the Annuaire Santé extract: plain Python, no database.

The ANS publishes the public part of the national directory of health professionals ("Extraction des données en
libre accès", https://annuaire.sante.fr, the `PS_LibreAcces` zip). Its `PS_LibreAcces_Personne_activite_<date>.txt`
holds one line per activity of a professional (a person with three practices has three lines): UTF-8, `|`-separated,
a header line, a trailing `|` on every line, about two million lines and 1 GB for the whole of France.

Columns are found by their header name, compared without case, accents or extra spaces, because the published
spelling has varied ("Libellé Voie" / "Libellé voie", "Code Département (structure)" / "Code département
(structure)"); extra columns and another order are fine, a missing required column is a clear error. The file is
read as a stream of bytes, one line at a time, so that its size never matters.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from common import phones
from common.text import normalize

from .models import Profession, SiteKind

MEMBER_NAME = "PS_LibreAcces_Personne_activite"

# Canonical key → the header as the ANS spells it (other spellings match through `header_key`).
COLUMNS = {
    "id_type": "Type d'identifiant PP",
    "id": "Identifiant PP",
    "national_id": "Identification nationale PP",
    "last_name": "Nom d'exercice",
    "first_name": "Prénom d'exercice",
    "profession_code": "Code profession",
    "profession_label": "Libellé profession",
    "skill_type": "Code type savoir-faire",
    "skill_code": "Code savoir-faire",
    "skill_label": "Libellé savoir-faire",
    "pharmacist_section": "Code section tableau pharmaciens",
    "finess": "Numéro FINESS site",
    "company_name": "Raison sociale site",
    "trade_name": "Enseigne commerciale site",
    "recipient": "Complément destinataire (coord. structure)",
    "street_number": "Numéro voie (coord. structure)",
    "street_repeat": "Indice répétition voie (coord. structure)",
    "street_type": "Libellé type de voie (coord. structure)",
    "street_name": "Libellé voie (coord. structure)",
    "distribution": "Mention distribution (coord. structure)",
    "postal_code": "Code postal (coord. structure)",
    "commune_code": "Code commune (coord. structure)",
    "commune_name": "Libellé commune (coord. structure)",
    "cedex": "Bureau cedex (coord. structure)",
    "phone": "Téléphone (coord. structure)",
    "phone_2": "Téléphone 2 (coord. structure)",
    "email": "Adresse e-mail (coord. structure)",
    "sector_label": "Libellé secteur d'activité",
}
REQUIRED = ("last_name", "first_name", "profession_code", "commune_code")
# One of these two carries the identifier ("Identification nationale PP" is "8" + RPPS).
IDENTIFIER_COLUMNS = ("id", "national_id")

FILE_NOT_EXTRACT = _(
    "This file is neither the Annuaire Santé extract (PS_LibreAcces_Personne_activite_….txt) nor a zip holding it."
)
FILE_NOT_UTF8 = _("The first line of the file is not UTF-8 text: is it the Annuaire Santé extract?")
FILE_EMPTY = _("The file is empty.")
FILE_MISSING_COLUMNS = _("Columns missing from the file's first line: %(columns)s.")
ZIP_WITHOUT_EXTRACT = _("The zip file holds no PS_LibreAcces_Personne_activite file.")

# Why a line was rejected (or imported with a warning). The parameters are stored with the line (ImportIssue.params).
REASONS: dict[str, StrPromise] = {
    "columns": _("Wrong number of columns: %(found)s instead of %(expected)s (a cut line, or a value holding a “|”)."),
    "encoding": _("The line is not UTF-8 text."),
    "adeli": _("ADELI identifier %(value)s: only professionals with an RPPS number are imported."),
    "rpps_invalid": _("Invalid RPPS number “%(value)s”: an RPPS number has exactly 11 digits."),
    "rpps_key": _("The RPPS number %(value)s fails its check key: imported, check it on the professional's card."),
    "name_missing": _("No last name."),
    "commune_unknown": _("Unknown commune code “%(value)s” in the cell's departments (the code of a merged commune?)."),
    "commune_ambiguous": _(
        "No commune code, and the postal code %(value)s is shared by several communes of the territory."
    ),
    "name_differs": _(
        "Same RPPS number as line %(line)s under another name (%(value)s): the name of line %(line)s is kept."
    ),
    "phone_invalid": _("Phone number “%(value)s” not understood: left out."),
    "email_invalid": _("E-mail address “%(value)s” not valid: left out."),
}


def reason_text(code: str, params: dict[str, Any]) -> str:
    template = REASONS.get(code)
    if template is None:
        return code
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


class ExtractError(Exception):
    """The whole file cannot be imported (not the extract, a required column missing…): a message people read."""

    def __init__(self, message: str | StrPromise) -> None:
        super().__init__(str(message))
        self.message = message


def header_key(header: str) -> str:
    """'Libellé Voie (coord. structure)' and 'libelle voie (coord.  structure)' compare equal."""
    decomposed = unicodedata.normalize("NFKD", header.replace("’", "'"))
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_accents.casefold().split())


_KEYS_BY_HEADER = {header_key(header): key for key, header in COLUMNS.items()}


@dataclass(frozen=True)
class Header:
    """Where each known column sits, and how many fields a line must have."""

    index: dict[str, int]
    width: int

    @classmethod
    def parse(cls, line: str) -> Header:
        fields = split_fields(line)
        index: dict[str, int] = {}
        for position, name in enumerate(fields):
            key = _KEYS_BY_HEADER.get(header_key(name))
            if key is not None and key not in index:
                index[key] = position
        missing = [COLUMNS[key] for key in REQUIRED if key not in index]
        if not any(key in index for key in IDENTIFIER_COLUMNS):
            missing.insert(0, COLUMNS["id"])
        if missing:
            raise ExtractError(str(FILE_MISSING_COLUMNS) % {"columns": ", ".join(f"« {m} »" for m in missing)})
        return cls(index, len(fields))

    def fields_of(self, line: str) -> list[str] | None:
        """The line's fields, or None when it does not have the header's number of them (with or without the
        trailing `|`)."""
        fields = line.rstrip("\r\n").split("|")
        if len(fields) == self.width:
            return fields
        if len(fields) == self.width + 1 and fields[-1] == "":
            return fields[:-1]
        return None

    @staticmethod
    def width_of(line: str) -> int:
        return len(split_fields(line))


def split_fields(line: str) -> list[str]:
    fields = line.rstrip("\r\n").split("|")
    if len(fields) > 1 and fields[-1] == "":
        fields.pop()  # the trailing "|"
    return fields


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it: the progress of a zip member read in a stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        return size


@dataclass
class Extract:
    """An opened extract: its lines as bytes, its size, and how much of it was read so far."""

    lines: Iterator[bytes]
    size: int
    member: str
    _counter: _CountingReader

    @property
    def bytes_read(self) -> int:
        return self._counter.count


@contextmanager
def open_extract(path: str | Path) -> Iterator[Extract]:
    """Open the .txt extract, or the zip that holds it (its PS_LibreAcces_Personne_activite member)."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member = extract_member(archive)
            with archive.open(member) as raw:
                counter = _CountingReader(raw)
                with io.BufferedReader(counter, buffer_size=1 << 20) as buffered:
                    yield Extract(iter(buffered), member.file_size, member.filename, counter)
        return
    with path.open("rb", buffering=0) as raw_file:
        counter = _CountingReader(raw_file)
        with io.BufferedReader(counter, buffer_size=1 << 20) as buffered:
            yield Extract(iter(buffered), path.stat().st_size, path.name, counter)


def extract_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The Personne_activite file of an ANS zip (which also holds the savoir-faire and diploma files)."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    for info in members:
        if MEMBER_NAME.casefold() in Path(info.filename).name.casefold():
            return info
    texts = [info for info in members if info.filename.casefold().endswith(".txt")]
    if len(texts) == 1:
        return texts[0]
    raise ExtractError(ZIP_WITHOUT_EXTRACT)


def check_extract(path: str | Path) -> Header:
    """Refuse at once a file that is not the extract (for the upload form): read the header line only."""
    try:
        with open_extract(path) as extract:
            first = next(extract.lines, b"")
    except zipfile.BadZipFile as error:
        raise ExtractError(FILE_NOT_EXTRACT) from error
    if not first.strip():
        raise ExtractError(FILE_EMPTY)
    return Header.parse(decode_header(first))


def decode_header(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExtractError(FILE_NOT_UTF8) from error


# --- What a line says --------------------------------------------------------------------------------------------

# Savoir-faire codes (TRE_R38, "spécialité ordinale") of general practice: qualified in, specialist in, and
# "médecine générale"; SM44 is radio-diagnostic. Labels are checked too, as codes are added to the register.
GP_SKILLS = frozenset({"SM26", "SM53", "SM54"})
RADIOLOGY_SKILLS = frozenset({"SM44"})
# TRE_G15 "Code profession" → our profession, when the code alone says it.
PROFESSION_BY_CODE = {
    "50": Profession.MIDWIFE,
    "60": Profession.NURSE,
    "69": Profession.NURSE,  # infirmier psychiatrique
    "70": Profession.PHYSIOTHERAPIST,
}
DOCTOR, PHARMACIST = "10", "21"
# Paris, Lyon and Marseille lines may carry the code of the arrondissement; the directory knows the commune.
_ARRONDISSEMENTS = {
    **{f"751{n:02d}": "75056" for n in range(1, 21)},
    **{f"6938{n}": "69123" for n in range(1, 10)},
    **{f"132{n:02d}": "13055" for n in range(1, 17)},
}
_SPACES = re.compile(r"\s+")


def clean(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def commune_code(value: str) -> str:
    code = value.strip().upper()
    return _ARRONDISSEMENTS.get(code, code)


def department_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def profession_of(fields: dict[str, str]) -> tuple[str, str]:
    """Our profession and the specialty text for a line: a doctor is a GP, a radiologist, a biologist or a specialist
    by their savoir-faire (a doctor without any is counted a GP); a pharmacist of section G (biology) is a biologist;
    professions we have no choice for are "other", with the register's name of the profession as specialty."""
    code = fields.get("profession_code", "").strip()
    skill_code = fields.get("skill_code", "").strip().upper()
    skill_label = clean(fields.get("skill_label", ""))
    skill = normalize(skill_label)
    profession_label = clean(fields.get("profession_label", ""))
    if code == DOCTOR:
        if skill_code in GP_SKILLS or "medecine generale" in skill or not skill_label:
            return Profession.GP, skill_label[:100]
        if skill_code in RADIOLOGY_SKILLS or "radio diagnostic" in skill or "radiodiagnostic" in skill:
            return Profession.RADIOLOGIST, skill_label[:100]
        if "biologie medicale" in skill:
            return Profession.BIOLOGIST, skill_label[:100]
        return Profession.SPECIALIST, skill_label[:100]
    if code == PHARMACIST:
        if fields.get("pharmacist_section", "").strip().upper() == "G":
            return Profession.BIOLOGIST, ""
        return Profession.PHARMACIST, ""
    if code in PROFESSION_BY_CODE:
        return PROFESSION_BY_CODE[code], skill_label[:100]
    return Profession.OTHER, profession_label[:100]


def site_kind_of(sector_label: str, profession: str) -> str:
    """A new site's kind from its "secteur d'activité" (cabinet, officine, établissement…) and who works there."""
    sector = normalize(sector_label)
    if "pharmacie" in sector or "officine" in sector:
        return SiteKind.PHARMACY
    if "laboratoire" in sector:
        return SiteKind.LABORATORY
    if "centre de sante" in sector:
        return SiteKind.HEALTH_CENTRE
    if "sante" in sector and ("etablissement" in sector or "etab" in sector.split()):
        return SiteKind.HOSPITAL
    if "prive" in sector and "etab" in sector:
        return SiteKind.HOSPITAL
    if sector and "cabinet" not in sector and "societe" not in sector:
        return SiteKind.OTHER
    kinds: dict[str, str] = {
        Profession.RADIOLOGIST: SiteKind.RADIOLOGY,
        Profession.NURSE: SiteKind.NURSING,
        Profession.PHYSIOTHERAPIST: SiteKind.PHYSIOTHERAPY,
        Profession.PHARMACIST: SiteKind.PHARMACY,
        Profession.BIOLOGIST: SiteKind.LABORATORY,
    }
    return kinds.get(profession, SiteKind.PRACTICE)


def street_address(fields: dict[str, str]) -> str:
    parts = [fields.get(key, "") for key in ("street_number", "street_repeat", "street_type", "street_name")]
    address = clean(" ".join(parts))
    if not address:
        address = clean(fields.get("distribution", ""))
    return address[:200]


def site_name(fields: dict[str, str], first_name: str, last_name: str) -> str:
    for key in ("trade_name", "company_name", "recipient"):
        name = clean(fields.get(key, ""))
        if name:
            return name[:150]
    return f"Cabinet {first_name} {last_name.upper()}"[:150]


def phone_e164(value: str) -> str | None:
    """The phone number in E.164 as `common.phones` reads it (French, or foreign with its country code), "" when
    there is none, None when it cannot be understood."""
    value = value.strip()
    if not value:
        return ""
    try:
        return phones.phone_e164(value)
    except ValueError:
        return None


def email_address(value: str) -> str | None:
    """The address lower-cased, "" when there is none, None when it is not an e-mail address."""
    value = value.strip().lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value[:254]


def person_name(value: str) -> str:
    """'JEAN-PIERRE' → 'Jean-Pierre', 'D'ARGENT' → 'D'Argent': the register writes names in capitals."""
    value = clean(value)
    if value and value != value.upper():
        return value[:100]  # already in mixed case: kept as written
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), value.lower())[:100]
