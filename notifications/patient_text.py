"""The text of an SMS to a patient, fitted so that what matters always arrives whole. Plain Python, no Django.

What matters: the day, the time, the place, and the cancel link whole. Everything else gives way, in this order,
until the text with its links takes at most two SMS:

1. the place as the site's full name, street address and commune;
2. the place with the site's short name (the name for SMS), same address;
3. without the link to the privacy page (the cancel page links to it);
4. without the template's optional parts (written between square brackets), the last one first;
5. the place without the street address (short name and commune);
6. the place as the commune alone (a Médicobus stop: "Médicobus, <commune>");
7. the bare essentials: "<day> <time>, <place>." and the cancel link.

An optional part whose blank is empty (no patient phone number for the cell, say) is left out from the start. The
text is written in the GSM 03.38 alphabet only: one character outside it (an ellipsis, a curly quote, "ê") would turn
the whole SMS into UCS-2, 70 characters a part instead of 160; such characters are transliterated ("..." "'" "e").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Formatter

from .sms import GSM_BASIC, GSM_EXTENSION, MAX_SEGMENTS, segments

OPTIONAL_PART = re.compile(r"\[([^\[\]]*)\]")
# Characters French texts carry that GSM 03.38 lacks, and what stands for them.
_REPLACEMENTS = {
    "…": "...",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "‑": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "\t": " ",
}
PLACE_VARIANTS = 4


def to_gsm(text: str) -> str:
    """The text in GSM 03.38 characters only: known look-alikes replaced, accents the alphabet lacks removed ("ê"
    becomes "e", "é" stays), anything else replaced by "?"."""
    text = re.sub(r"«\s*", '"', re.sub(r"\s*»", '"', text))  # French quotes hold their spaces inside
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENSION:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(bare if bare and all(c in GSM_BASIC or c in GSM_EXTENSION for c in bare) else "?")
    return "".join(out)


def parts(template: str) -> list[tuple[str, bool]]:
    """The template cut into its parts: (text, optional)."""
    found: list[tuple[str, bool]] = []
    position = 0
    for match in OPTIONAL_PART.finditer(template):
        found.append((template[position : match.start()], False))
        found.append((match.group(1), True))
        position = match.end()
    found.append((template[position:], False))
    return [(text, optional) for text, optional in found if text]


def _blanks(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in Formatter().parse(text) if name}


@dataclass(frozen=True)
class Fitted:
    text: str
    place: str
    step: int  # which step of the module's docstring the text comes from (1: nothing gave way)

    @property
    def segments(self) -> int:
        return segments(self.text)


def fit(
    template: str,
    values: Mapping[str, str],
    places: Sequence[str],
    *,
    required_links: Sequence[str] = (),
    optional_links: Sequence[str] = (),
    limit: int = MAX_SEGMENTS,
) -> Fitted:
    """The first text, in the order of the module's docstring, that takes at most `limit` SMS. `places` are the
    place's variants from the fullest to the barest (1 to 4; the last repeats); `values` fill the other blanks."""
    variants = [to_gsm(place) for place in places] or [""]
    variants += [variants[-1]] * (PLACE_VARIANTS - len(variants))
    filled_values = {name: to_gsm(value) for name, value in values.items()}
    pieces = parts(template)
    optional = [i for i, (text, is_optional) in enumerate(pieces) if is_optional]
    # An optional part with an empty blank (other than the place) has nothing to say.
    empty = {i for i in optional if any(not filled_values.get(name) for name in _blanks(pieces[i][0]) - {"lieu"})}
    kept_optional = [i for i in optional if i not in empty]
    required = [to_gsm(link) for link in required_links]
    every_link = required + [to_gsm(link) for link in optional_links]

    def text_with(place: str, kept: Sequence[int], links: Sequence[str]) -> str:
        body = "".join(text for i, (text, is_optional) in enumerate(pieces) if not is_optional or i in kept)
        body = to_gsm(Formatter().vformat(body, (), {**filled_values, "lieu": place}))
        return " ".join([re.sub(r"\s+", " ", body).strip(), *links]).strip()

    steps: list[tuple[int, str, Sequence[int], Sequence[str]]] = [
        (1, variants[0], kept_optional, every_link),
        (2, variants[1], kept_optional, every_link),
        (3, variants[1], kept_optional, required),
    ]
    steps += [(4, variants[1], kept_optional[:count], required) for count in range(len(kept_optional) - 1, -1, -1)]
    steps += [(5, variants[2], [], required), (6, variants[3], [], required)]
    for step, place, kept, links in steps:
        text = text_with(place, kept, links)
        if segments(text) <= limit:
            return Fitted(text=text, place=place, step=step)
    when = f"{values.get('jour', '')} {values.get('heure', '')}".strip()
    bare = to_gsm(", ".join(part for part in (when, variants[3]) if part) + ".")
    return Fitted(text=" ".join([bare, *required]), place=variants[3], step=7)
