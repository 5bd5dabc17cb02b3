"""The terminology glossary: official English renderings that every translation must use.

Entries live in `glossary/*.tsv` (one file per domain; columns in `COLUMNS`). An entry's `vi`
may hold slots, `{province}` or `{ordinal}`: a slot is filled by any entry whose `slot` column
names it, or by a built-in (`BUILTIN_SLOTS`), so one pattern covers every province or plenum.

`Glossary.find` gives a sentence's terms as `TermHit`s; `vi2en.terms` enforces them (masks,
restores, retries, forces and flags), so that a term is never missed silently, whatever the model.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from vi2en.document import TermHit
from vi2en.text import has_controls, match_key, nfc

PROJECT_GLOSSARY = Path(__file__).resolve().parents[2] / "glossary"
COLUMNS = ["vi", "en", "kind", "slot", "note", "source", "valid_from", "valid_until"]
REQUIRED = ["vi", "en", "kind"]
# `part`: only fills slots of patterns (document types), never matched on its own.
KINDS = {"title", "body", "document", "place", "person", "abbreviation", "part"}
# The longest field: the longest official name is under 200 characters; a field far longer is a
# broken export (a whole file in one cell), and Python's csv module fails past 131,072.
FIELD_CHARS = 1000
# A field is one line of a TSV file: these would split it, or be read as a line break elsewhere.
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")

_SLOT = re.compile(r"\{([a-z][a-z_]*)\}")
# A word may hold combining marks (text in NFD) and inner - / . (21-NQ/TW, TP.HCM, 02/02/2023).
_W = r"[\w\u0300-\u036f]+"
_SOURCE_TOKEN = re.compile(_W + r"(?:[-/.]" + _W + r")*|[^\w\s]")
_ENTRY_TOKEN = re.compile(r"\{[a-z][a-z_]*\}|" + _SOURCE_TOKEN.pattern)
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-", "−": "-"})
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_SPELLED = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]


class GlossaryError(Exception):
    """A glossary file that cannot be used; the message names the file and line."""


@dataclass
class Entry:
    vi: str
    en: str
    kind: str = ""
    slot: str = ""  # space-separated slot names this entry fills
    note: str = ""
    source: str = ""
    valid_from: str = ""
    valid_until: str = ""
    file: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def fills(self) -> list[str]:
        return self.slot.split()

    @property
    def slots(self) -> list[str]:
        return _SLOT.findall(self.vi)

    def valid_on(self, date: str | None) -> bool:
        """Undated text gets the entries in force now (no end date)."""
        if not date:
            return not self.valid_until
        return (not self.valid_from or self.valid_from <= date) and (not self.valid_until or date <= self.valid_until)

    def row(self) -> list[str]:
        return [getattr(self, c) for c in COLUMNS]


@dataclass
class Problem:
    file: str
    line: int
    message: str
    level: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level}: {self.message}"


# ---------------------------------------------------------------- built-in slots


def _roman(text: str) -> int | None:
    if not text or any(c not in _ROMAN for c in text):
        return None
    total = 0
    for a, b in zip(text, text[1:] + " "):
        total += -_ROMAN[a] if b in _ROMAN and _ROMAN[b] > _ROMAN[a] else _ROMAN[a]
    return total if total > 0 else None


def _ordinal_suffix(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _ordinal(text: str) -> str | None:
    """Roman or Arabic number → "13th" (khoá XIII → 13th Party Central Committee)."""
    n = _roman(text) if not text.isdigit() else int(text)
    return _ordinal_suffix(n) if n else None


def _spelled_ordinal(text: str) -> str | None:
    """Arabic or Roman number → "fifth" up to nine, then "10th" (Hội nghị Trung ương 5 → fifth plenum)."""
    n = int(text) if text.isdigit() else _roman(text)
    if not n:
        return None
    return _SPELLED[n] if n < len(_SPELLED) else _ordinal_suffix(n)


_CODE = re.compile(r"\d+[-/](?:\d{4}/)?[A-ZĐ][A-Za-zĐ0-9]*(?:[-/][A-ZĐ][A-Za-zĐ0-9]*)*")  # 21-NQ/TW, 1234/QĐ-TTg


def _code(text: str) -> str | None:
    """A document code as VNA prints it: the Đ loses its bar (96-QĐ/TW → 96-QD/TW)."""
    return text.replace("Đ", "D") if _CODE.fullmatch(text) else None


def _year(text: str) -> str | None:
    return text if re.fullmatch(r"(19|20)\d\d", text) else None


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def _date(text: str) -> str | None:
    """02/02/2023 (day first) → February 2, 2023, as VNA dates documents."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if not m:
        return None
    try:
        day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


# name → (renders one source token, what it accepts: for the README and `check`)
BUILTIN_SLOTS = {
    "ordinal": (_ordinal, "a Roman or Arabic number → 13th"),
    "nth": (_spelled_ordinal, "a number → fifth (words up to ninth, then 10th)"),
    "code": (_code, "a document code → 96-QD/TW"),
    "year": (_year, "a year → 2025"),
    "date": (_date, "a day-first date 02/02/2023 → February 2, 2023"),
}


# ---------------------------------------------------------------- tokens and matching


@dataclass
class _Token:
    text: str
    start: int
    end: int
    folded: str
    exact: str
    slot: str = ""  # for entry tokens: the slot name when the token is `{name}`


def _tokens(text: str, pattern: re.Pattern = _SOURCE_TOKEN) -> list[_Token]:
    out = []
    for m in pattern.finditer(text):
        t = m.group(0)
        if t.startswith("{") and len(t) > 2 and pattern is _ENTRY_TOKEN:
            out.append(_Token(t, m.start(), m.end(), "", "", slot=t[1:-1]))
            continue
        exact = match_key(t.translate(_DASHES), fold_case=False)
        out.append(_Token(t, m.start(), m.end(), exact.casefold(), exact))
    return out


@functools.lru_cache(maxsize=None)  # called for every pair of entries when files are merged and sorted
def entry_key(vi: str) -> str:
    """Equal for two entries that match the same text: only the first letter's case is ignored."""
    toks = _tokens(vi, _ENTRY_TOKEN)
    return " ".join("{" + t.slot + "}" if t.slot else t.folded if k == 0 else t.exact for k, t in enumerate(toks))


@dataclass
class _Match:
    end: int  # token index after the match
    en: str
    entry: Entry
    via: list[Entry] = field(default_factory=list)
    literal: int = 0  # the entry's own literal tokens: at equal length the more literal entry is more specific


class Glossary:
    def __init__(self, entries: list[Entry], version: str = "none"):
        self.entries = entries
        self.version = version
        self.classes: dict[str, list[Entry]] = {}
        self._tokens = {id(e): _tokens(e.vi, _ENTRY_TOKEN) for e in entries}
        self._order = {id(e): n for n, e in enumerate(entries)}
        self._by_first: dict[str, list[Entry]] = {}
        self._slot_first: list[Entry] = []
        # a slot's entries by their first token too: a slot is tried at every word of a sentence
        self._class_by_first: dict[tuple[str, str], list[Entry]] = {}
        self._class_slot_first: dict[str, list[Entry]] = {}
        for e in entries:
            toks = self._tokens[id(e)]
            for name in e.fills:
                self.classes.setdefault(name, []).append(e)
                if toks and not toks[0].slot:
                    self._class_by_first.setdefault((name, toks[0].folded), []).append(e)
                else:
                    self._class_slot_first.setdefault(name, []).append(e)
            if e.kind == "part" or not toks:
                continue
            if toks[0].slot:
                self._slot_first.append(e)
            else:
                self._by_first.setdefault(toks[0].folded, []).append(e)

    @classmethod
    def load(cls, folder: Path | None = PROJECT_GLOSSARY) -> "Glossary":
        """All `*.tsv` in the folder; a structural problem (bad row, cycle) raises with file and line."""
        if folder is None or not Path(folder).is_dir():
            return cls([], "none")
        files, problems, digest = read_folder(Path(folder))
        entries = [e for f in files.values() for e in f]
        problems += structure_problems(entries)
        errors = [p for p in problems if p.level == "error"]
        if errors:
            more = f" (and {len(errors) - 1} more; run `vi2en glossary check`)" if len(errors) > 1 else ""
            raise GlossaryError(f"{Path(folder) / errors[0].file}:{errors[0].line}: {errors[0].message}{more}")
        return cls(entries, digest if entries else "none")

    # -------------------------------------------------------- matching

    def find(self, vi: str, date: str | None = None) -> list[TermHit]:
        """Longest, non-overlapping whole-word matches of entries valid on `date`, left to right."""
        toks = _tokens(vi)
        memo: dict = {}
        hits, i = [], 0
        while i < len(toks):
            best = self._best(self._by_first.get(toks[i].folded, []) + self._slot_first, toks, i, date, memo)
            if best is None:
                i += 1
                continue
            start, end = toks[i].start, toks[best.end - 1].end
            hits.append(TermHit(vi[start:end], best.en, best.entry.kind, best.entry.where, start, end, via=[e.where for e in best.via]))
            i = best.end
        return hits

    def _best(self, candidates: list[Entry], toks: list[_Token], i: int, date: str | None, memo: dict) -> _Match | None:
        best = None
        for entry in candidates:
            if not entry.valid_on(date):
                continue
            for m in self._match_entry(entry, toks, i, date, memo):
                # longest wins; at equal length the more literal (an explicit entry beats a pattern)
                if best is None or (m.end, m.literal) > (best.end, best.literal):
                    best = m
        return best

    def _match_entry(self, entry: Entry, toks: list[_Token], i: int, date: str | None, memo: dict) -> list[_Match]:
        """Every way `entry` matches at token i (slots can match different lengths)."""
        states = [(i, {}, [], 0)]  # (position, slot renderings, entries used, literal count)
        for k, et in enumerate(self._tokens[id(entry)]):
            next_states = []
            for pos, filled, via, lit in states:
                if et.slot:
                    for m in self._fill(et.slot, toks, pos, date, memo):
                        next_states.append((m.end, {**filled, et.slot: m.en}, via + ([m.entry] if m.entry else []) + m.via, lit))
                elif pos < len(toks) and _same_token(et, toks[pos], first=k == 0):
                    next_states.append((pos + 1, filled, via, lit + 1))
            states = next_states
            if not states:
                return []
        return [_Match(pos, _render(entry.en, filled), entry, via, lit) for pos, filled, via, lit in states]

    def _fill(self, name: str, toks: list[_Token], i: int, date: str | None, memo: dict) -> list[_Match]:
        key = (name, i)
        if key not in memo:
            found: list[_Match] = []
            if name in BUILTIN_SLOTS and i < len(toks):
                rendered = BUILTIN_SLOTS[name][0](toks[i].text)
                if rendered:
                    found.append(_Match(i + 1, rendered, None, [], 0))  # type: ignore[arg-type]
            by_first = self._class_by_first.get((name, toks[i].folded), []) if i < len(toks) else []
            slot_first = self._class_slot_first.get(name, [])
            # in the slot's own order, which settles ties between equally long matches
            candidates = sorted(by_first + slot_first, key=lambda e: self._order[id(e)]) if by_first and slot_first else by_first or slot_first
            for entry in candidates:
                if entry.valid_on(date):
                    found += self._match_entry(entry, toks, i, date, memo)
            memo[key] = found
        return memo[key]

def _same_token(et: _Token, st: _Token, *, first: bool) -> bool:
    """Case counts after a term's first letter (many place names are also ordinary words:
    "Hòa Bình" is also "peace"), except in all-capital headlines."""
    if et.folded != st.folded:
        return False
    return first or et.exact == st.exact or st.text.isupper()


def _render(template: str, filled: dict[str, str]) -> str:
    return _SLOT.sub(lambda m: filled.get(m.group(1), m.group(0)), template)


# ---------------------------------------------------------------- files


def read_folder(folder: Path) -> tuple[dict[str, list[Entry]], list[Problem], str]:
    """Every `*.tsv` in the folder: entries per file, the problems found, a version digest."""
    files: dict[str, list[Entry]] = {}
    problems: list[Problem] = []
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.tsv")):
        data = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + data)
        files[path.name], found = parse_tsv(path.name, data)
        problems += found
    return files, problems, digest.hexdigest()[:12]


def parse_tsv(name: str, data: bytes) -> tuple[list[Entry], list[Problem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return [], [Problem(name, line, "not UTF-8 text")]
    # split on tabs and line feeds alone: no quoting, no field-size limit, and a stray U+2028
    # stays inside its field (where row_problems names it) instead of starting a new row
    rows = [line.removesuffix("\r").split("\t") for line in text.split("\n")]
    if not rows or any(c not in rows[0] for c in REQUIRED) or rows[0][:2] != ["vi", "en"]:
        return [], [Problem(name, 1, f"header must start with vi, en and name the columns {', '.join(REQUIRED)} (of {', '.join(COLUMNS)})")]
    header = rows[0]
    problems = [Problem(name, 1, f"unknown column {c!r} (known: {', '.join(COLUMNS)})") for c in header if c not in COLUMNS]
    entries = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(name, line, f"{len(row)} fields, the header has {len(header)} (a tab missing or too many?)"))
            continue
        fields = {k: v for k, v in zip(header, row) if k in COLUMNS}
        entry = Entry(**fields, file=name, line=line)
        problems += row_problems(entry)
        entries.append(entry)
    return entries, problems


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def row_problems(e: Entry) -> list[Problem]:
    """What is wrong with one row on its own."""
    found = []

    def bad(message: str, level: str = "error") -> None:
        found.append(Problem(e.file, e.line, message, level))

    for column in COLUMNS:
        value = getattr(e, column)
        if len(value) > FIELD_CHARS:
            bad(f"{column}: {len(value)} characters, over the limit of {FIELD_CHARS} for a glossary field")
            continue
        if _LINE_BREAKS.search(value):
            bad(f"{column}: a tab or line break inside the field")
        elif has_controls(value):
            code = next(f"U+{ord(c):04X}" for c in value if has_controls(c))
            bad(f"{column}: a control character ({code}) inside the field")
        if value != value.strip() or "  " in value:
            bad(f"{column}: stray spaces in {value!r}")
        if value != nfc(value):
            bad(f"{column}: text is not in NFC form (retype it, or run `vi2en glossary import` on the file)")
    for column in REQUIRED:
        if not getattr(e, column).strip():
            bad(f"empty {column} field")
    if e.kind and e.kind not in KINDS:
        bad(f"kind {e.kind!r} is not one of {', '.join(sorted(KINDS))}")
    for column in ("valid_from", "valid_until"):
        value = getattr(e, column)
        if value:
            try:
                if not _DATE.fullmatch(value):
                    raise ValueError
                dt.date.fromisoformat(value)
            except ValueError:
                bad(f"{column} {value!r} is not a date (YYYY-MM-DD)")
    if e.valid_from and e.valid_until and _DATE.fullmatch(e.valid_from) and _DATE.fullmatch(e.valid_until) and e.valid_from > e.valid_until:
        bad(f"valid_from {e.valid_from} is after valid_until {e.valid_until}: the entry can never be used")
    if sorted(_SLOT.findall(e.vi)) != sorted(_SLOT.findall(e.en)):
        bad(f"slots differ between vi {_SLOT.findall(e.vi)} and en {_SLOT.findall(e.en)}")
    if len(set(e.slots)) != len(e.slots):
        bad("a slot appears twice in one pattern")
    if any(not re.fullmatch(r"[a-z][a-z_]*", s) for s in e.fills):
        bad(f"slot names are lower-case words: {e.slot!r}")
    if e.kind == "part" and not e.fills:
        bad("a `part` entry only fills slots, but its slot column is empty")
    return found


def structure_problems(entries: list[Entry]) -> list[Problem]:
    """Slots nobody fills and cycles of patterns: the glossary cannot be used with these."""
    problems = []
    classes: dict[str, list[Entry]] = {}
    for e in entries:
        for name in e.fills:
            classes.setdefault(name, []).append(e)
    for e in entries:
        for name in e.slots:
            if name not in classes and name not in BUILTIN_SLOTS:
                problems.append(Problem(e.file, e.line, f"slot {{{name}}} is filled by no entry and is not built in ({', '.join(BUILTIN_SLOTS)})"))
    # a cycle: a pattern filling {x} uses {y}, a pattern filling {y} uses {x}: matching would never end
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[tuple[Entry, str]]) -> Problem | None:
        if state.get(name) == 2:
            return None
        if state.get(name) == 1:
            steps = path[next(k for k, (e, _) in enumerate(path) if name in e.fills) :]
            first = steps[0][0]
            return Problem(first.file, first.line, "cycle of slot patterns: " + " → ".join(f"{e.where} ({e.vi}) uses {{{s}}}" for e, s in steps))
        state[name] = 1
        for e in classes.get(name, []):
            for inner in e.slots:
                found = visit(inner, path + [(e, inner)])
                if found:
                    return found
        state[name] = 2
        return None

    for name in sorted(classes):
        found = visit(name, [])
        if found:
            problems.append(found)
            break
    return problems
