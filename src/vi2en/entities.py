"""Entities: people, places, figures, dates, times and bodies, rendered in the house style.

The glossary lists fixed terms; entities are the open classes no list can hold: every person,
every commune, every figure and date. `Entities.find` recognises them in a Vietnamese sentence
by rule and gives each the exact English that corpus/STYLE.md asks for, so the pipeline can mask
them like glossary terms and put them back whatever the model writes:

    >>> [e.en for e in Entities.load().find("Sáng 17/1, ông Phạm Anh Tuấn về huyện Phù Cát.")]
    ['January 17', 'Pham Anh Tuan', 'Phu Cat district']

What is ambiguous is left alone (a missed entity is still the model's to translate, a wrong one
would be printed), so each rule has a guard, and tests/test_entities.py a negative case for it.

The rules' data (surnames, titles, fields, school levels, units, exceptions) is in
glossary/entities/, whose README says how editors change it. Names and places also come from the
glossary itself, whatever their validity dates (a province merged away in 2025 keeps its name in
articles about it): entries of kind person are name overrides, kind place are places, and the
fillers of the `province`, `city` and `ministry` slots serve "tỉnh X", "thành phố X", "Sở X".

Every step is linear in the text: regular expressions without nested repetition for figures and
dates, and passes over the tokens that each look a bounded number of tokens ahead.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from vi2en.glossary import PROJECT_GLOSSARY, read_folder
from vi2en.text import has_vietnamese_letters, match_key, nfc

DATA = "entities"  # the rules' data: a sub-folder of the glossary, which Glossary.load does not read
KINDS = ("name", "place", "number", "date", "time", "body", "address")


@dataclass(frozen=True)
class Entity:
    start: int  # character offsets into the text given to `find`
    end: int
    kind: str  # one of KINDS
    vi: str  # text[start:end]
    en: str  # the exact English rendering
    rule: str  # the rule that made it, e.g. "name:after-title", "number:decimal"


@dataclass(frozen=True)
class _Candidate:
    start: int  # offsets into the NFC text the rules read
    end: int
    kind: str
    en: str
    rule: str
    rank: int  # between candidates of one length, the lower rank wins (an override beats a rule)


# ---------------------------------------------------------------- text, tokens, words

# A letter and the combining marks after it: NFD input is composed one letter at a time, so
# every character the rules read comes from a known span of the input.
_LETTER = re.compile(r".[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*", re.S)


class _Text:
    """The input in NFC, which the rules read, and the way back to the input's offsets."""

    def __init__(self, text: str):
        self._spans: list[tuple[int, int]] | None = None
        if unicodedata.is_normalized("NFC", text):
            self.s = text
            return
        parts, spans = [], []
        for m in _LETTER.finditer(text):
            composed = nfc(m.group(0))
            parts.append(composed)
            spans += [m.span()] * len(composed)
        self.s, self._spans = "".join(parts), spans

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self._spans is None:
            return start, end
        return self._spans[start][0], self._spans[end - 1][1]


# Words keep inner & ' / - and a dot before a letter (GD&ĐT, H'Mông, 21-NQ/TW, TP.HCM, T.A.M);
# "Q.1" is Q. and 1 (quận 1). Every other non-space is a token of its own.
_TOKEN = re.compile(r"\w+(?:[&'’/-]\w+|\.[^\W\d_]\w*)*|\S")
_DASHES = {"-", "–", "—", "‑", "−"}
_OPENERS = {".", "!", "?", ":", ";", "…", "(", "“", '"', "‘", "'", "«"} | _DASHES


@functools.lru_cache(maxsize=1 << 16)
def _key(word: str) -> str:
    """Equal for spellings that differ in NFC/NFD or tone placement (hóa/hoá); all dashes are one."""
    return "-" if word in _DASHES else match_key(word, fold_case=False)


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    start: int
    end: int
    key: str


_BODY_ENDS = {_key(w) for w in ("UBND", "HĐND", "dân", "ủy")}  # UBND, Ủy ban nhân dân, Đảng ủy + xã


def _tokens(s: str) -> list[_Tok]:
    return [_Tok(m.group(0), m.start(), m.end(), _key(m.group(0))) for m in _TOKEN.finditer(s)]


def _opens(toks: list[_Tok], i: int) -> bool:
    """Token i begins a sentence, a quotation or a list item."""
    return i == 0 or toks[i - 1].text in _OPENERS


_PARTS = re.compile(r"['’-]")


@functools.lru_cache(maxsize=1 << 16)
def _is_syllable(word: str) -> bool:
    """A capitalised word that can be part of a name: Nguyễn, A, H'Mông, K'Ré, Jae-in; not UBND, TP, ông."""
    parts = _PARTS.split(word)
    return parts[0][:1].isupper() and all(p.isalpha() and not any(c.isupper() for c in p[1:]) for p in parts)


_INITIALS = re.compile(r"[^\W\d_](?:\.[^\W\d_])+")


def _is_initials(word: str) -> bool:
    """T.A.M (the final dot is a token of its own)."""
    return word.isupper() and bool(_INITIALS.fullmatch(word))


# The Vietnamese diacritics: five tones, breve (ă), circumflex (â ê ô), horn (ơ ư).
_VI_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0306", "\u0302", "\u031b"}


def _ascii(text: str) -> str:
    """Names without diacritics, đ → d: Phạm Anh Tuấn → Pham Anh Tuan, Đỗ Thị Hằng → Do Thi Hang."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return nfc("".join(c for c in decomposed if c not in _VI_MARKS))


def _foreign_letters(text: str) -> bool:
    """Letters Vietnamese does not write: f j w z, ü, ç, ø…"""
    return any(c in "fjwzFJWZ" or (unicodedata.combining(c) and c not in _VI_MARKS) for c in unicodedata.normalize("NFD", text))


_VI_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")


@functools.lru_cache(maxsize=1 << 16)  # the same words come again and again
def _vietnamese_shape(word: str) -> bool:
    """A word Vietnamese can spell as one syllable (Lan, Nguyễn, Kim), unlike Biden, Marc, Jong."""
    return not _foreign_letters(word) and bool(_VI_SYLLABLE.fullmatch(_ascii(word).casefold()))


def _looks_vietnamese(name: str) -> bool:
    """Each word a Vietnamese syllable, or some Vietnamese diacritic: Krông Búk, not Amsterdam."""
    return all(_vietnamese_shape(w) for w in name.split()) or any(c in _VI_MARKS or c in "đĐ" for c in unicodedata.normalize("NFD", name))


# Letters no European language writes: đ, ă, ơ, ư, the hook and the dot below (ả, ạ).
_ONLY_VIETNAMESE = {"\u0306", "\u031b", "\u0309", "\u0323", "đ", "Đ"}


@functools.lru_cache(maxsize=1 << 16)  # the same words come again and again
def _only_vietnamese(text: str) -> bool:
    return any(c in _ONLY_VIETNAMESE for c in unicodedata.normalize("NFD", text))


def _render_name(name: str) -> str:
    """A Vietnamese name without diacritics (Phạm Anh Tuấn → Pham Anh Tuan, Kđăm → Kdam); a foreign
    name as written (António Guterres, José Ramírez). A name is Vietnamese when each word is a
    Vietnamese syllable or it holds a letter only Vietnamese writes."""
    words = [w for w in re.split(r"[\s.'’-]+", name) if len(w) > 1]
    return _ascii(name) if all(_vietnamese_shape(w) for w in words) or _only_vietnamese(name) else name


# ---------------------------------------------------------------- figures, dates and times

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_QUARTERS = {"I": "first", "II": "second", "III": "third", "IV": "fourth", "1": "first", "2": "second", "3": "third", "4": "fourth"}
_COUNTS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]  # STYLE.md: "the first six months"

# A figure never starts inside a code, a phone number, a range or a longer figure.
_NOT_BEFORE_FIGURE = r"(?<![\w.,/:+\-–])"
_FIGURE = r"\d+(?:[.,]\d+)*(?![.,:]?\d)"
_DAY_MONTH = re.compile(_NOT_BEFORE_FIGURE + r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}))?(?!\w|[/.,:\-–]\d)")
# Without a year, 1/3 may be a third, 22.4 a decimal and 2-5 a range: a day and month need a word
# of time before them (ngày, sáng, chiều…; any separator) or, written with "/", a word of order
# (từ, đến, trước…) or a bracket ("hôm nay (17/1)"), and no unit after them (1/5 inch, 2/3 số hộ).
_DAY_CONTEXT = re.compile(r"(?<!\w)(?:ngày|sáng|chiều|tối|trưa|đêm|khuya|hôm)\s+$", re.I)
_ORDER_CONTEXT = re.compile(r"(?:(?<!\w)(?:từ|đến|tới|trước|sau)\s+|\(\s*)$", re.I)
_NOT_AFTER_DATE = re.compile(r"\s*(?:ngày|tuần|tháng|giờ|phút|lần|số|inch|dặm|km|kg|m|%)(?!\w)")
_DAY_MONTH_WORDS = re.compile(r"(?<=ngày )(\d{1,2}) tháng (\d{1,2})(?: năm (\d{4}))?(?!\w|[/.,]\d)", re.I)
_MONTH_YEAR = re.compile(r"(?<!\w)[Tt]háng (\d{1,2})(?:\s*[/.-]\s*| năm )(\d{4})(?!\w|[/.,]\d)")
_QUARTER = re.compile(r"(?<!\w)[Qq]uý (IV|I{1,3}|[1-4])(?:\s*/\s*(\d{4})| năm (\d{4}))?(?![\w/])")
_MONTHS_OF_YEAR = re.compile(_NOT_BEFORE_FIGURE + r"(\d{1,2}) tháng (?:đầu năm(?: (\d{4})| (nay))?|năm (\d{4}))(?![\w/])")
_CLOCK = re.compile(r"(?<![\w.,:/])(?:(\d{1,2}) ?giờ ?(\d{1,2})(?: ?phút)?|(\d{1,2})h(\d{2}))(?!\w)")
# "trong 2 giờ 30 phút" is a duration, "khoảng 8 giờ 30" may be either: no time
_DURATION = re.compile(r"(?<!\w)(?:trong|mất|dài|suốt|sau|hơn|gần|khoảng|ngót)\s+$", re.I)
_YEARS = re.compile(
    r"(?<![\w./\-–])(?:([Nn]hiệm kỳ|[Gg]iai đoạn|[Tt]hời kỳ|[Nn]ăm học|[Nn]iên kh(?:óa|oá)) )?"
    r"((?:19|20)\d\d) ?[-–—] ?((?:19|20)\d\d)(?![\w/]|[.,]\d| ?[-–—] ?\d)"
)
_PERIODS = {"nhiệm kỳ": "tenure", "giai đoạn": "period", "thời kỳ": "period", "năm học": "school year", "niên khóa": "school year", "niên khoá": "school year"}

# Web and e-mail addresses: entities kept exactly as written, since a model mangles them
# ("nghean.gov.vn" came out as "govn.vn"); a bare domain needs a known ending ("TP.HCM" is not one).
_ADDRESS_PATTERN = (
    r"(?P<url>(?i:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]])"
    r"|(?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"  # each alternative starts only where a run starts: linear
    r"|(?P<domain>(?<![\w.-])[\w-]+(?:\.[\w-]+)*\.(?i:vn|com|net|org|gov|edu|info|int)(?![\w])(?:/[^\s<>\"]*[^\s<>\".,;:!?)\]])?)"
)
_ADDRESS = re.compile(_ADDRESS_PATTERN)

# What is never part of another entity: addresses (entities of their own), phone numbers and codes.
_BLOCKED = re.compile(
    _ADDRESS_PATTERN +
    # phone numbers (0238 3844 555, 0912.345.678: nine digits or more, so 01.02.2024 is a date)
    r"|(?<![\w.,+])(?:\+84 ?|0)(?=(?:[ .]?\d){8,11}(?!\w|[.,]\d))\d{1,3}(?:[ .]?\d{2,4}){2,4}(?!\w|[.,]\d)"
    r"|\(0\d{2,3}\) ?\d{3,4}[ .]?\d{3,4}"
    r"|(?<!\w)1[89]00[ .]?(?:\d{3,4}(?:[ .]?\d{2,4})?|[xX]{4})(?!\w)"  # hotlines 1900 1234, 1800.xxxx
    # a code: digits and capitals joined by - or / (21-NQ/TW, 1234/QĐ-TTg, 37A-123.45, COVID-19),
    # not a quarter (quý I/2025) nor a figure per unit (300.000đ/người)
    r"|(?<![\w&./-])(?!(?:IV|I{1,3})/\d{4}(?!\w))(?=[\w&./-]*\d)(?=[\w&./-]*[A-ZĐ])(?=[\w&./-]*[-/])[\w&./-]*\w"
)


def _group(digits: str) -> str:
    return f"{int(digits):,}"


def _english_figure(num: str, scaled: bool) -> tuple[str, str, bool] | None:
    """A figure in Vietnamese notation (. between thousands, , before decimals) as (integer digits,
    decimals, whether the notation shows it is Vietnamese); None when it could be either notation
    or is English already (1.5, 4.0, 1,250,000), or is a code with a leading zero (0238)."""
    if num.isdigit():
        return None if len(num) > 1 and num[0] == "0" else (num, "", False)
    m = re.fullmatch(r"(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?", num)
    if m:
        return m.group(1).replace(".", ""), m.group(2) or "", True
    m = re.fullmatch(r"(\d+),(\d+)", num)
    # 3,153 alone may be English for 3153; before triệu/tỷ it can only be 3.153
    if m and not (len(m.group(2)) == 3 and not scaled) and not (len(m.group(1)) > 1 and m.group(1)[0] == "0"):
        return m.group(1), m.group(2), True
    return None


def _valid_date(day: int, month: int, year: int | None) -> bool:
    try:
        dt.date(year or 2000, month, day)  # no year: a day that exists in some year (29/2 in a leap year)
    except ValueError:
        return False
    return True


def _date_en(day: int, month: int, year: str | None) -> str:
    return f"{_MONTHS[month - 1]} {day}" + (f", {year}" if year else "")


def _count(n: int) -> str:
    return _COUNTS[n] if n < len(_COUNTS) else str(n)


# ---------------------------------------------------------------- data

class _Phrases:
    """Phrases matched token by token, the longest first, the way glossary terms are: NFC/NFD, tone
    placement and dashes do not matter; case does after the first letter ("Hòa Bình" the province
    is not "hòa bình", peace). The first letter may be in either case where the phrase is written
    in lower case ("huyện", "đồng chí") or `any_case` says so (titles: Đại tá, đại tá).

    A trie of token keys, so a match costs the phrase's length, however many phrases share a word."""

    def __init__(self) -> None:
        self._root: dict = {}  # first key case-folded → node; a node: {key: node, None: [(first key or None, value)]}

    def add(self, vi: str, value: object, any_case: bool = False) -> None:
        keys = [t.key for t in _tokens(nfc(vi))]
        if not keys:
            return
        node = self._root.setdefault(keys[0].casefold(), {})
        for key in keys[1:]:
            node = node.setdefault(key, {})
        node.setdefault(None, []).append((None if any_case or keys[0][:1].islower() else keys[0], value))

    def match(self, toks: list[_Tok], i: int) -> tuple[int, object] | None:
        """(the index after the longest phrase at token i, its value), or None."""
        best, node, k = None, self._root.get(toks[i].key.casefold()) if i < len(toks) else None, i + 1
        while node is not None:
            for first, value in node.get(None, ()):
                if first is None or first == toks[i].key:
                    best = (k, value)
                    break
            node = node.get(toks[k].key) if k < len(toks) else None
            k += 1
        return best


def _lines(path: Path) -> list[str]:
    """A list file: one item a line; # starts a comment line."""
    return [line.strip(" ") for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _rows(path: Path) -> list[dict[str, str]]:
    """A TSV file with a header row."""
    return list(csv.DictReader(_lines(path), delimiter="\t", quoting=csv.QUOTE_NONE))


def _alternatives(rows: list[dict[str, str]]) -> str:
    """Units, currencies or scales as one regex alternation, the longest first; a unit ending in a
    letter must end its word (ha, not "hay"; km, not km2), and `not_before` words show it is
    another word ("2 đồng chí" is two comrades, not two dong)."""
    out = []
    for r in sorted(rows, key=lambda r: -len(r["vi"])):
        pattern = re.escape(nfc(r["vi"])) + (r"(?![\w²³])" if r["vi"][-1].isalnum() else "")
        if r.get("not_before"):
            pattern += r"(?!\s+(?:" + "|".join(map(re.escape, r["not_before"].split())) + r")(?!\w))"
        out.append(pattern)
    return "|".join(out)


# ---------------------------------------------------------------- the rules


class Entities:
    """The entity rules with their data: `load` builds (and caches) them, `find` applies them."""

    def __init__(self, glossary_entries: list, data: Path):
        self.names = _Phrases()  # overrides: the glossary's people, then names.tsv
        self.places = _Phrases()  # places standing alone: provinces, cities, regions, Vietnam
        self.provinces = _Phrases()  # after "tỉnh"
        self.cities = _Phrases()  # centrally-run cities after "thành phố", "TP"
        self.fields = _Phrases()  # after "Sở"
        self.titles = _Phrases()  # before names: (class, written in lower case)
        province_list = []
        for e in glossary_entries:
            literal = "{" not in e.vi
            slots = e.slot.split()
            if e.kind == "person" and literal:
                self.names.add(e.vi, e.en)
            if e.kind == "place" and literal:
                self.places.add(e.vi, e.en)
            if "province" in slots:
                self.provinces.add(e.vi, e.en)
                province_list.append((e.vi, e.en))
            if "city" in slots:
                self.cities.add(e.vi, e.en)
            if "ministry" in slots:
                self.fields.add(e.vi, e.en)
            prefix = e.vi.split("{")[0].strip()
            if e.kind == "title" and len(prefix.split()) > 1:  # not "Trưởng {headed}": "thị trưởng" is no title of ours
                self.titles.add(prefix, ("office", False), any_case=True)
        for r in _rows(data / "names.tsv"):
            self.names.add(r["vi"], r["en"])
        for r in _rows(data / "titles.tsv"):
            variants = {r["vi"], r["vi"].rstrip(".")}  # TS. and TS
            for vi in variants:
                self.titles.add(vi, (r["class"], r["vi"][:1].islower()), any_case=True)
        for r in _rows(data / "fields.tsv"):
            self.fields.add(r["vi"], r["en"])
        self.surnames = {_key(r["surname"]): int(r["min_syllables"]) for r in _rows(data / "surnames.tsv")}
        self.not_names = {_key(w) for w in _lines(data / "not-names.txt")}
        self.foreign_places = _Phrases()
        for vi in _lines(data / "foreign-places.txt"):
            self.foreign_places.add(vi, len(vi.split()) > 1)  # True: several words, never inside an entity
        self.school_fields = {_key(w) for w in _lines(data / "school-fields.txt")}
        self.units = _Phrases()
        for r in _rows(data / "admin-units.tsv"):
            self.units.add(r["vi"], r)
        self.levels = _Phrases()
        for r in _rows(data / "school-levels.tsv"):
            self.levels.add(r["vi"], (r["en"], r["kind"]), any_case=True)
        self.medical = _Phrases()
        for r in _rows(data / "medical.tsv"):
            self.medical.add(r["vi"], r["en"])  # capitalised: "bệnh viện tỉnh" is a description, not a name
        self.bodies = _Phrases()
        for r in _rows(data / "bodies.tsv"):
            if "{province}" in r["vi"]:
                for vi, en in province_list:
                    self.bodies.add(r["vi"].replace("{province}", vi), r["en"].replace("{province}", en))
            else:
                self.bodies.add(r["vi"], r["en"])
        credits = _rows(data / "credits.tsv")
        self.credit_labels = sorted(((r["vi"], r["en"]) for r in credits if r["kind"] == "label"), key=lambda x: -len(x[0]))
        self.agencies = {r["vi"].casefold(): r["en"] for r in credits if r["kind"] == "agency"}
        self.exceptions = _Phrases()
        for vi in _lines(data / "exceptions.txt"):
            self.exceptions.add(vi, True, any_case=True)
        quantities = _rows(data / "quantities.tsv")
        self.quantities = {nfc(r["vi"]): r for r in quantities}
        by_kind = {k: [r for r in quantities if r["kind"] == k] for k in ("scale", "unit", "currency")}
        self._figure = re.compile(
            _NOT_BEFORE_FIGURE + rf"(?P<num>{_FIGURE})"
            rf"(?:\s?(?P<scale>{_alternatives(by_kind['scale'])}))?"
            rf"(?:\s?(?P<unit>{_alternatives(by_kind['unit'] + by_kind['currency'])}))?"
        )

    @classmethod
    def load(cls, glossary_folder: Path = PROJECT_GLOSSARY) -> "Entities":
        """The rules for a glossary folder: its *.tsv for overrides and its entities/ sub-folder for
        the rules' data (the project's, when the folder has none). Cached until a file changes."""
        folder = Path(glossary_folder).resolve()
        data = folder / DATA if (folder / DATA).is_dir() else PROJECT_GLOSSARY / DATA
        files = sorted(folder.glob("*.tsv")) + sorted(p for p in data.iterdir() if p.is_file())
        return _load(folder, data, tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))

    # -------------------------------------------------------- source lines and bylines

    def credit_line(self, text: str) -> str | None:
        """A source line or byline rendered whole by rule ("Theo TTXVN" → "Source: VNA", "Tin, ảnh:
        Minh Châu" → "Text and photos: Minh Chau", "PV" → "Reporter"), or None when it holds
        more than credits (a label, names, agencies, portals): then it is the model's."""
        line = " ".join(nfc(text).split())
        label, rest = "", line
        for vi, en in self.credit_labels:
            m = re.match(re.escape(vi) + r"(?:\s*:\s*|\s+|$)", line, flags=re.IGNORECASE)
            if m and (m.end() == len(line) or line[m.end() - 1 : m.end()] in (":", " ")):
                label, rest = en, line[m.end() :]
                break
        credit = rest if _ADDRESS.fullmatch(rest) else self._credits(rest) if rest else ""
        if credit is None or not (label or credit):
            return None
        return f"{label} {credit}".strip()

    def _credits(self, text: str) -> str | None:
        """Names, agencies and portals joined by , - / ( ); None if anything else is there."""
        out = []
        for piece in re.split(r"(\s*[,/()–-]\s*|\s+và\s+)", text):
            if not piece or re.fullmatch(r"\s*[,/()–-]\s*", piece):
                out.append(piece)
            elif re.fullmatch(r"\s+và\s+", piece):
                out.append(" and ")
            elif piece.casefold() in self.agencies:
                out.append(self.agencies[piece.casefold()])
            elif re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", piece):  # a portal: nghean.gov.vn
                out.append(piece)
            elif piece.startswith("Báo ") and len(piece.split()) >= 2:
                out.append(_ascii(piece[4:]) + " Newspaper")
            elif all(_is_syllable(w) or _is_initials(w) for w in piece.split()) and len(piece.split()) <= 5:
                out.append(_render_name(piece))
            else:
                return None
        return "".join(out)

    # -------------------------------------------------------- finding

    def find(self, text: str, *, year: int | None = None) -> list[Entity]:
        """The entities of one sentence, sorted by start, never overlapping. `year` is the article's
        year: it tells whether a date written without one exists (29/2), and is never added."""
        t = _Text(text)
        s, toks = t.s, _tokens(t.s)
        blocked = [m.span() for m in _BLOCKED.finditer(s) if not m.group("url") and not m.group("email") and not m.group("domain")]
        excepted: set[int] = set()  # tokens inside an exception: no title starts there ("trẻ em Mỹ")
        for i in range(len(toks)):
            for phrases in (self.exceptions, self.foreign_places):
                hit = phrases.match(toks, i)
                if hit and hit[1]:
                    blocked.append((toks[i].start, toks[hit[0] - 1].end))
                    excepted.update(range(i, hit[0]))
        candidates = [
            *_addresses(s),
            *self._figures(s),
            *self._dates(s, year),
            *self._phrases(toks, self.names, "name", "name:override"),
            *self._places(toks),
            *self._phrases(toks, self.bodies, "body", "body:agency"),
            *self._after_titles(s, toks, excepted),
            *self._appositions(s, toks),
            *self._surname_names(s, toks),
            *self._admin_units(s, toks),
            *self._departments(toks),
            *self._schools(s, toks),
            *self._medical(s, toks),
        ]
        found, last_end = [], 0
        for c in _choose(candidates, blocked):
            start, end = t.span(c.start, c.end)
            if start >= last_end:  # a letter split by an odd NFD sequence must not give two entities one span
                found.append(Entity(start, end, c.kind, text[start:end], c.en, c.rule))
                last_end = end
        return found

    # -------------------------------------------------------- figures, dates, times

    def _figures(self, s: str) -> Iterator[_Candidate]:
        """62,58% → 62.58%; 1.250 tỷ đồng → 1,250 billion VND; 150 nghìn tấn → 150,000 tonnes.
        The entity is the figure with its scale and unit; what is counted ("người", "hộ") is the
        model's. A figure with neither is an entity only when its notation changes (8.993.082)."""
        for m in self._figure.finditer(s):
            num, scale, unit = m.group("num"), m.group("scale"), m.group("unit")
            end = m.end("num")
            if not scale and not unit and re.match(r"\w|[/\-–]\d", s[end : end + 2]):
                continue  # 17h, 1A, 10-15: part of something else
            figure = _english_figure(num, scaled=bool(scale))
            if figure is None or not (scale or unit or figure[2]):
                continue
            digits, decimals, _ = figure
            word = ""
            if scale:
                scale_en = self.quantities[scale]["en"]  # "million", or "×1000" and what follows it
                factor, _, word = scale_en.partition(" ") if scale_en.startswith("×") else ("", "", scale_en)
                if factor:  # nghìn multiplies out: 150 nghìn → 150,000 (STYLE.md)
                    value = (Decimal(f"{digits}.{decimals or 0}") * int(factor[1:])).normalize()
                    digits, _, decimals = format(value, "f").partition(".")
            english = _group(digits) + (f".{decimals}" if decimals else "") + (f" {word}" if word else "")
            if unit:
                row = self.quantities[unit]
                one = digits == "1" and not decimals and not scale  # 1 tấn → 1 tonne
                symbol = row["en_one"] if one and row["en_one"] else row["en"]
                english += f" {symbol}" if symbol[0].isalpha() else symbol  # 62.58%, 40°C; 12 ha
                rule = "number:money" if row["kind"] == "currency" else "number:unit"
            else:
                rule = "number:scale" if scale else "number:decimal" if decimals else "number:thousands"
            yield _Candidate(m.start(), m.end(), "number", english, rule, 1)

    def _dates(self, s: str, year: int | None) -> Iterator[_Candidate]:
        for m in _DAY_MONTH.finditer(s):
            day, sep, month, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
            before = s[max(0, m.start() - 16) : m.start()]
            if not y and not (_DAY_CONTEXT.search(before) or (sep == "/" and _ORDER_CONTEXT.search(before))):
                continue
            if not y and _NOT_AFTER_DATE.match(s, m.end()):
                continue
            if 1 <= month <= 12 and _valid_date(day, month, int(y) if y else year):
                yield _Candidate(m.start(), m.end(), "date", _date_en(day, month, y), "date:day-month-year" if y else "date:day-month", 1)
        for m in _DAY_MONTH_WORDS.finditer(s):
            day, month, y = int(m.group(1)), int(m.group(2)), m.group(3)
            if 1 <= month <= 12 and _valid_date(day, month, int(y) if y else year):
                yield _Candidate(m.start(), m.end(), "date", _date_en(day, month, y), "date:words", 1)
        for m in _MONTH_YEAR.finditer(s):
            if 1 <= int(m.group(1)) <= 12:
                yield _Candidate(m.start(), m.end(), "date", f"{_MONTHS[int(m.group(1)) - 1]} {m.group(2)}", "date:month-year", 1)
        for m in _QUARTER.finditer(s):
            y = m.group(2) or m.group(3)
            yield _Candidate(m.start(), m.end(), "date", f"the {_QUARTERS[m.group(1)]} quarter" + (f" of {y}" if y else ""), "date:quarter", 1)
        for m in _MONTHS_OF_YEAR.finditer(s):
            n = int(m.group(1))
            if 1 <= n <= 11:
                of = m.group(2) or m.group(4) or ("this year" if m.group(3) else "the year")
                yield _Candidate(m.start(), m.end(), "date", f"the first {_count(n)} months of {of}", "date:months", 1)
        for m in _CLOCK.finditer(s):
            hour, minute = int(m.group(1) or m.group(3)), int(m.group(2) or m.group(4))
            if hour < 24 and minute < 60 and not _DURATION.search(s[max(0, m.start() - 12) : m.start()]):
                yield _Candidate(m.start(), m.end(), "time", f"{hour}:{minute:02d}", "time:clock", 1)
        for m in _YEARS.finditer(s):
            word, first, last = m.group(1), m.group(2), m.group(3)
            if first < last:
                span = f"{first}–{last}"  # en dash in ranges (STYLE.md)
                period = _PERIODS[word.lower()] if word else ""
                yield _Candidate(m.start(), m.end(), "date", f"the {span} {period}" if period else span, "date:period" if period else "date:range", 1)

    # -------------------------------------------------------- names

    def _phrases(self, toks: list[_Tok], phrases: _Phrases, kind: str, rule: str) -> Iterator[_Candidate]:
        for i in range(len(toks)):
            hit = phrases.match(toks, i)
            if hit:
                yield _Candidate(toks[i].start, toks[hit[0] - 1].end, kind, str(hit[1]), rule, 0)

    def _places(self, toks: list[_Tok]) -> Iterator[_Candidate]:
        """Provinces, cities, regions standing alone, unless they begin a longer proper name:
        "Điện Biên Phủ" is not Dien Bien (a person may follow: "Nghệ An Lê Hồng Vinh")."""
        for i in range(len(toks)):
            hit = self.places.match(toks, i)
            if hit is None:
                continue
            k = hit[0]
            if k < len(toks) and _is_syllable(toks[k].text) and toks[k].key not in self.surnames and not self.places.match(toks, k):
                continue
            yield _Candidate(toks[i].start, toks[k - 1].end, "place", str(hit[1]), "place:name", 0)

    def _name_end(self, toks: list[_Tok], i: int, limit: int, vietnamese: bool = False) -> int:
        """The end of a name starting at token i: capitalised syllables, at most `limit`, stopping
        before a word no name holds, and for a `vietnamese` name before a foreign word ("Hoàng
        Elizabeth", "Cao Nguyên Giza"). An initial inside goes on (George W. Bush); T.A.M ends it."""
        j = i
        while j < len(toks) and j - i < limit:
            word = toks[j].text
            if _is_initials(word):
                return j + 1
            if not _is_syllable(word) or toks[j].key in self.not_names or (vietnamese and not (_vietnamese_shape(word) or _only_vietnamese(word))):
                break
            if len(word) == 1 and j + 2 < len(toks) and toks[j + 1].text == "." and toks[j + 1].start == toks[j].end and _is_syllable(toks[j + 2].text):
                j += 2  # the initial and its dot; the name goes on
                continue
            j += 1
        return j

    def _person(self, s: str, toks: list[_Tok], i: int, j: int, rule: str, rank: int) -> _Candidate:
        """Tokens i..j as a person: an override, or the name without diacritics; a foreign name as written."""
        start, end = toks[i].start, toks[j - 1].end
        last = toks[j - 1].text
        # an initial keeps its dot (Nguyễn Văn T. (35 tuổi)) unless the dot ends the sentence
        if (len(last) == 1 or _is_initials(last)) and j + 1 < len(toks) and toks[j].text == "." and toks[j].start == end:
            after = toks[j + 1].text
            if after[0].islower() or after[0].isdigit() or after in {"(", ",", ";"}:
                end += 1
        override = self.names.match(toks, i)
        vi = s[start:end]
        en = str(override[1]) if override and override[0] == j else _render_name(vi)
        return _Candidate(start, end, "name", en, rule, rank)

    def _title(self, toks: list[_Tok], i: int) -> tuple[int, str] | None:
        """(the end, the class) of a title at token i. An honorific written in lower case counts
        capitalised only where a sentence starts: mid-sentence "Bà Đen", "Hai Bà Trưng" are names."""
        hit = self.titles.match(toks, i)
        if hit is None:
            return None
        cls, lower = hit[1]
        if lower and toks[i].text[:1].isupper() and not _opens(toks, i):
            return None
        return hit[0], cls

    def _after_titles(self, s: str, toks: list[_Tok], excepted: set[int]) -> Iterator[_Candidate]:
        """A name after an honorific or rank (ông, đồng chí, Đại tá, PGS.TS.: whatever capitalised
        words follow are a name), or after an office (Thủ tướng, Đại sứ: only a name that starts
        with a surname, or a foreign one: "Chủ tịch Quốc hội" is not a person)."""
        for i in range(len(toks)):
            hit = self._title(toks, i) if i not in excepted else None
            if hit is None:
                continue
            j, cls = hit
            if j >= len(toks) or not (_is_syllable(toks[j].text) or _is_initials(toks[j].text)) or self.places.match(toks, j):
                continue
            if cls == "honorific":
                end = self._name_end(toks, j, 5)
            elif toks[j].key in self.surnames:
                end = self._name_end(toks, j, 4, vietnamese=True)
                if end - j < 2:
                    continue
            else:
                j, end = self._foreign_name(toks, j)
            if end > j:
                yield self._person(s, toks, j, end, "name:after-title", 1)

    def _foreign_name(self, toks: list[_Tok], j: int) -> tuple[int, int]:
        """A foreign name after an office, past the country between: "Tổng thống Mỹ Joe Biden" →
        Joe Biden. (start, end) of the name; start == end when there is none."""
        end = self._name_end(toks, j, 6)
        start = end
        while start > j and not self.foreign_places.match(toks, start - 1) and not (
            has_vietnamese_letters(toks[start - 1].text) and _vietnamese_shape(toks[start - 1].text)
        ):
            start -= 1
        if not any(not _vietnamese_shape(t.text) for t in toks[start:end]):
            return j, j
        return start, end

    def _appositions(self, s: str, toks: list[_Tok]) -> Iterator[_Candidate]:
        """"Y Khu Niê – Phó Chủ tịch UBND xã": the capitalised words before a spaced dash that an
        office follows are a name, whatever its first word (past an honorific or a place)."""
        for d in range(1, len(toks) - 1):
            if toks[d].key != "-" or toks[d].start == toks[d - 1].end or toks[d + 1].start == toks[d].end:
                continue  # a hyphen (Bà Rịa-Vũng Tàu), not a dash
            title = self._title(toks, d + 1)
            if title is None or title[1] != "office":
                continue
            start = d
            while start > 0 and d - start < 5 and _is_syllable(toks[start - 1].text) and toks[start - 1].key not in self.not_names:
                start -= 1
            # what opens the run may be an honorific ("Ông Lê Văn Sơn – …") or a place ("Nghệ An Hoàng…")
            skip = self._title(toks, start) or self.places.match(toks, start)
            if skip and skip[0] <= d:
                start = skip[0]
            if d - start >= 2:
                yield self._person(s, toks, start, d, "name:apposition", 2)

    def _surname_names(self, s: str, toks: list[_Tok]) -> Iterator[_Candidate]:
        """A common surname and one to three capitalised syllables: Phạm Anh Tuấn. A surname that is
        also a word or begins a place (Hà, Mai, Lâm, Cao) needs two more syllables (Hà Văn Tới, not
        Hà Nội); one that begins a known place is not a name there at all."""
        for i, tok in enumerate(toks):
            need = self.surnames.get(tok.key)
            if need is None or self.places.match(toks, i):
                continue
            if i and toks[i - 1].key in self.not_names and _is_syllable(toks[i - 1].text) and not _opens(toks, i - 1):
                continue  # "Kênh Đào Bạch Hải", "Bồ Đào Nha": inside a longer proper name
            end = self._name_end(toks, i, 4, vietnamese=True)
            if need > 2:  # nor does it run into a place: "Đoàn Nghệ An" is a delegation
                end = next((k for k in range(i + 1, end) if self.places.match(toks, k)), end)
            if end - i >= need:
                yield self._person(s, toks, i, end, "name:surname", 3)

    # -------------------------------------------------------- places

    def _proper(self, s: str, toks: list[_Tok], i: int, j: int) -> str:
        """A proper name in a place or body name: a province or city as the glossary writes it
        (Hanoi), a person's override, or the name without diacritics (Tây Nguyên → Tay Nguyen,
        Hưng Dũng 1 → Hung Dung 1)."""
        for phrases in (self.provinces, self.cities, self.names):
            hit = phrases.match(toks, i)
            if hit and hit[0] == j:
                return str(hit[1])
        return _ascii(s[toks[i].start : toks[j - 1].end])

    def _proper_end(self, toks: list[_Tok], i: int) -> int:
        hit = self.provinces.match(toks, i) or self.cities.match(toks, i)
        return hit[0] if hit else self._place_name_end(toks, i)

    def _place_name_end(self, toks: list[_Tok], i: int) -> int:
        """The end of a place's, school's or hospital's own name: up to four capitalised syllables,
        Hội An and Thủ Đức as much as Phan Bội Châu. It stops before a title ("xã Nhơn Hạnh Chủ
        tịch…") and before a person named after it ("huyện Phù Cát Nguyễn Văn A")."""
        j = i
        while j < len(toks) and j - i < 4 and _is_syllable(toks[j].text) and not (j > i and self._title(toks, j)):
            if j > i and self.surnames.get(toks[j].key) == 2 and j + 1 < len(toks) and _is_syllable(toks[j + 1].text):
                break
            j += 1
        return j

    def _after_office(self, toks: list[_Tok], i: int) -> bool:
        """Token i follows an office or a body: "Chủ tịch UBND huyện", "Bí thư xã", "Đảng ủy xã"."""
        if i and toks[i - 1].key in _BODY_ENDS:
            return True
        return any((hit := self._title(toks, k)) and hit[0] == i and hit[1] == "office" for k in range(max(0, i - 4), i))

    def _admin_units(self, s: str, toks: list[_Tok]) -> Iterator[_Candidate]:
        """huyện Phù Cát → Phu Cat district, TX An Nhơn → An Nhon town, phường 5 → Ward 5,
        tỉnh Nghệ An → Nghe An province, TP Đà Nẵng → Da Nang (centrally-run cities stand bare)."""
        for i in range(len(toks)):
            hit = self.units.match(toks, i)
            if hit is None:
                continue
            j, unit = hit
            before = toks[i - 1].text.casefold() if i else ""
            if before in {"các", "những", "nhiều", "mọi", "hai", "ba", "bốn"} or before.isdigit():
                continue  # "các huyện Phù Cát, Tây Sơn": how to phrase a list is the model's choice
            start = toks[i].start
            if unit["numbered"] and j < len(toks) and re.fullmatch(r"\d{1,2}", toks[j].text):
                yield _Candidate(start, toks[j].end, "place", f"{unit['numbered']} {int(toks[j].text)}", "place:numbered-unit", 1)
                continue
            if unit["en"] == "province":
                found = self.provinces.match(toks, j)
                if found:
                    yield _Candidate(start, toks[found[0] - 1].end, "place", f"{found[1]} province", "place:province", 1)
                continue
            if unit["en"] == "city" and (found := self.cities.match(toks, j)):
                yield _Candidate(start, toks[found[0] - 1].end, "place", str(found[1]), "place:city", 1)
                continue
            end = self._place_name_end(toks, j)
            if end - j < int(unit["min_syllables"]):
                continue
            if toks[j].key in self.surnames and end - j >= 3 and self._after_office(toks, i):
                continue  # "Chủ tịch UBND huyện Trần Văn Kiên": the person, more often than a unit named after one
            if unit["abroad"] and not _looks_vietnamese(s[toks[j].start : toks[end - 1].end]):
                continue  # "thành phố Vancouver", "quận Niigata": the model knows them
            yield _Candidate(start, toks[end - 1].end, "place", f"{self._proper(s, toks, j, end)} {unit['en']}", "place:unit", 1)

    # -------------------------------------------------------- bodies

    def _locality(self, toks: list[_Tok], j: int) -> tuple[int, str] | None:
        """A province or centrally-run city after a body (Sở Y tế tỉnh Nghệ An, Sở Y tế Hà Nội)."""
        unit = self.units.match(toks, j)
        k = unit[0] if unit and unit[1]["en"] in ("province", "city") else j
        hit = self.provinces.match(toks, k) or self.cities.match(toks, k)
        return (hit[0], str(hit[1])) if hit else None

    def _departments(self, toks: list[_Tok]) -> Iterator[_Candidate]:
        """Sở + field: Sở GD&ĐT → Department of Education and Training; with its province, as the
        glossary's Sở Nội vụ tỉnh {province}: Nghe An Department of Finance."""
        for i, tok in enumerate(toks):
            field_hit = self.fields.match(toks, i + 1) if tok.text == "Sở" else None
            if field_hit is None:
                continue
            end, en = field_hit[0], f"Department of {field_hit[1]}"
            place = self._locality(toks, end)
            if place:
                end, en = place[0], f"{place[1]} {en}"
            yield _Candidate(tok.start, toks[end - 1].end, "body", en, "body:department", 1)

    def _schools(self, s: str, toks: list[_Tok]) -> Iterator[_Candidate]:
        """Trường THCS Nhơn Hạnh → Nhon Hanh Lower Secondary School; Trường THPT số 1 Phù Cát →
        Phu Cat No. 1 Upper Secondary School; Trường Đại học Vinh → Vinh University."""
        for i, tok in enumerate(toks):
            level = self.levels.match(toks, i + 1) if tok.text.casefold() == "trường" else None
            if level is None:
                continue
            j, (level_en, kind) = level
            number = ""
            if j + 1 < len(toks) and toks[j].text == "số" and toks[j + 1].text.isdigit():
                number, j = f"No. {int(toks[j + 1].text)}", j + 2
            end = self._proper_end(toks, j)
            if j < end < len(toks) and re.fullmatch(r"\d{1,2}", toks[end].text):
                end += 1  # Trường Tiểu học Hưng Dũng 1
            if end == j:
                if number:
                    yield _Candidate(tok.start, toks[j - 1].end, "body", f"{level_en} {number}", "body:school", 1)
                continue
            if kind == "higher" and toks[j].key in self.school_fields and not (self.provinces.match(toks, j) or self.cities.match(toks, j)):
                continue  # Trường Đại học Sư phạm…: a field, and an official English name of its own
            en = " ".join(p for p in (self._proper(s, toks, j, end), number, level_en) if p)
            yield _Candidate(tok.start, toks[end - 1].end, "body", en, "body:school", 1)

    def _medical(self, s: str, toks: list[_Tok]) -> Iterator[_Candidate]:
        """Hospitals and health centres with where they are: Bệnh viện Đa khoa tỉnh Nghệ An → Nghe An
        Provincial General Hospital; Trung tâm Y tế huyện Phù Cát → Phu Cat District Health Centre;
        Bệnh viện Chợ Rẫy → Cho Ray Hospital. A bare "Trung tâm Y tế" is no entity."""
        for i in range(len(toks)):
            hit = self.medical.match(toks, i)
            found = self._medical_scope(s, toks, hit[0], str(hit[1])) if hit else None
            if found:
                yield _Candidate(toks[i].start, toks[found[0] - 1].end, "body", found[1], "body:medical", 1)

    def _medical_scope(self, s: str, toks: list[_Tok], j: int, head: str) -> tuple[int, str] | None:
        if j >= len(toks):
            return None
        if toks[j].text == "Trung" and j + 1 < len(toks) and toks[j + 1].text == "ương":
            end = self._proper_end(toks, j + 2)
            if end > j + 2:  # Bệnh viện Trung ương Huế → Hue Central Hospital
                return end, f"{self._proper(s, toks, j + 2, end)} Central {head}"
            # Bệnh viện Nhi Trung ương → National Children's Hospital
            return (j + 2, f"National {head}") if head != "Hospital" else None
        if toks[j].text == "khu" and j + 1 < len(toks) and toks[j + 1].text == "vực":
            end = self._place_name_end(toks, j + 2)
            return (end, f"{self._proper(s, toks, j + 2, end)} Regional {head}") if end > j + 2 else None
        unit = self.units.match(toks, j)
        if unit:
            k, u = unit
            if u["en"] == "province":
                found = self.provinces.match(toks, k)
                return (found[0], f"{found[1]} Provincial {head}") if found else (k, f"Provincial {head}")
            if u["en"] == "city" and (found := self.cities.match(toks, k)):
                return found[0], f"{found[1]} {head}"
            end = self._place_name_end(toks, k)
            return (end, f"{self._proper(s, toks, k, end)} {u['in_name']} {head}") if end - k >= int(u["min_syllables"]) else None
        if re.fullmatch(r"\d{1,3}", toks[j].text):  # Bệnh viện Quân y 4 → Military Hospital 4
            return j + 1, f"{head} {int(toks[j].text)}"
        end = self._proper_end(toks, j)
        # one syllable is a letter (Bệnh viện K) or a place; else it may be a word: Bệnh viện Quân…
        if end - j >= 2 or (end > j and (len(toks[j].text) == 1 or self.places.match(toks, j))):
            return end, f"{self._proper(s, toks, j, end)} {head}"
        return None


@functools.lru_cache(maxsize=8)
def _load(folder: Path, data: Path, signature: tuple) -> Entities:
    """`signature` (the files with their times and sizes) makes an edited file load again."""
    files, _, _ = read_folder(folder) if folder.is_dir() else ({}, [], "")
    return Entities([e for entries in files.values() for e in entries], data)


def _addresses(s: str) -> Iterator[_Candidate]:
    # found through _BLOCKED, so an address inside a code or phone run is never split out of it
    for m in _BLOCKED.finditer(s):
        if m.lastgroup in ("url", "email", "domain"):
            yield _Candidate(m.start(), m.end(), "address", m.group(0), f"address:{m.lastgroup}", 0)


def _choose(candidates: list[_Candidate], blocked: list[tuple[int, int]]) -> list[_Candidate]:
    """Non-overlapping candidates, none touching a blocked span: the longest first (as glossary
    terms), between equal lengths the lower rank; sorted by start."""
    blocked.sort()
    block_starts = [b[0] for b in blocked]
    reach = []  # the furthest end of the blocked spans up to each one: a span may hold another
    for b in blocked:
        reach.append(max(b[1], reach[-1] if reach else 0))
    taken: list[tuple[int, int, _Candidate]] = []
    for c in sorted(candidates, key=lambda c: (c.start - c.end, c.rank, c.start)):
        k = bisect.bisect_left(block_starts, c.end)
        if k and reach[k - 1] > c.start:
            continue
        k = bisect.bisect_left(taken, (c.start, c.end))
        if (k and taken[k - 1][1] > c.start) or (k < len(taken) and taken[k][0] < c.end):
            continue
        taken.insert(k, (c.start, c.end, c))
    return [c for _, _, c in taken]
