"""The terminology glossary: official English renderings that every translation must use.

Entries live in `glossary/*.tsv` (one file per domain; columns in `COLUMNS`). An entry's `vi`
may hold slots, `{province}` or `{ordinal}`: a slot is filled by any entry whose `slot` column
names it, or by a built-in (`BUILTIN_SLOTS`), so one pattern covers every province or plenum.

The pipeline calls `prepare` before the model and `restore` after it. A term is masked with a
placeholder `<tN>` when the model's tokenizer keeps placeholders whole (the project's compact
model is trained to copy them), otherwise its English rendering is put inline for the model to
copy. `restore` puts renderings back, repairs what it safely can (a mangled placeholder, the
model's own casing or spelling variant of the rendering, "the the", "Secretariat 's") and flags
`term-missing`, naming the term in the hit, when the rendering is still absent: never a silent
miss, whatever the model.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from vi2en.marian import PLACEHOLDERS
from vi2en.text import match_key, nfc

PROJECT_GLOSSARY = Path(__file__).resolve().parents[2] / "glossary"
COLUMNS = ["vi", "en", "kind", "slot", "note", "source", "valid_from", "valid_until"]
REQUIRED = ["vi", "en", "kind"]
# `part`: only fills slots of patterns (document types), never matched on its own.
KINDS = {"title", "body", "document", "place", "person", "abbreviation", "part"}

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
        self._by_first: dict[str, list[Entry]] = {}
        self._slot_first: list[Entry] = []
        for e in entries:
            for name in e.fills:
                self.classes.setdefault(name, []).append(e)
            toks = self._tokens[id(e)]
            if e.kind == "part" or not toks:
                continue
            if toks[0].slot:
                self._slot_first.append(e)
            else:
                self._by_first.setdefault(toks[0].folded, []).append(e)
        self._placeholder_support: dict[int, bool] = {}

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

    def find(self, vi: str, date: str | None = None) -> list[dict]:
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
            hits.append({
                "vi": vi[start:end], "en": best.en, "kind": best.entry.kind, "entry": best.entry.where,
                **({"via": [e.where for e in best.via]} if best.via else {}),
                "start": start, "end": end,
            })
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
            for entry in self.classes.get(name, []):
                if entry.valid_on(date):
                    found += self._match_entry(entry, toks, i, date, memo)
            memo[key] = found
        return memo[key]

    # -------------------------------------------------------- enforcement

    def keeps_placeholders(self, tokenizer) -> bool:
        """True when the tokenizer has every `<tN>` as one known token that decodes back to itself."""
        if tokenizer is None:
            return False
        key = id(tokenizer)
        if key not in self._placeholder_support:
            self._placeholder_support[key] = all(_kept_whole(tokenizer, p) for p in PLACEHOLDERS)
        return self._placeholder_support[key]

    def prepare(self, vi: str, date: str | None = None, tokenizer=None) -> tuple[str, list[dict]]:
        """The text the model sees (terms masked or replaced by their renderings) and the hits to enforce."""
        hits = self.find(vi, date)
        masked = self.keeps_placeholders(tokenizer)
        parts, last = [], 0
        for n, hit in enumerate(hits):
            if masked and n < len(PLACEHOLDERS):
                hit["placeholder"] = PLACEHOLDERS[n]
            parts += [vi[last : hit["start"]], hit.get("placeholder", hit["en"])]
            last = hit["end"]
        parts.append(vi[last:])
        return "".join(parts), hits

    def restore(self, en: str, hits: list[dict]) -> tuple[str, list[str]]:
        """The final English and its term flags: `term-missing` when a rendering is still absent."""
        for hit in hits:
            hit.pop("fix", None)
            if "placeholder" in hit:
                en = _put_back(en, hit)
        en = _PLACEHOLDER_LIKE.sub("", en)  # placeholders the model invented
        en = _tidy(en)
        for hit in hits:
            hit["found"] = _present(hit["en"], en)
        for hit in hits:
            if not hit["found"]:
                en = _repair(en, hit, hits)
        for hit in hits:  # again: a repair may not touch another term, but the flags must be right whatever happened
            hit["found"] = _present(hit["en"], en)
        missing = [h for h in hits if not h["found"]]
        return en, ["term-missing"] if missing else []


def _kept_whole(tokenizer, placeholder: str) -> bool:
    pid = tokenizer.convert_tokens_to_ids(placeholder)
    ids = tokenizer("x " + placeholder + " y", add_special_tokens=False).input_ids
    return pid is not None and pid != tokenizer.unk_token_id and pid in ids and tokenizer.decode([pid]).strip() == placeholder


def _same_token(et: _Token, st: _Token, *, first: bool) -> bool:
    """Case counts after a term's first letter (many place names are also ordinary words:
    "Hòa Bình" is also "peace"), except in all-capital headlines."""
    if et.folded != st.folded:
        return False
    return first or et.exact == st.exact or st.text.isupper()


def _render(template: str, filled: dict[str, str]) -> str:
    return _SLOT.sub(lambda m: filled.get(m.group(1), m.group(0)), template)


# ---------------------------------------------------------------- putting renderings back

_PLACEHOLDER_LIKE = re.compile(r"<\s*t\s*\d\s*>")
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our", "your", "my", "each", "every", "whose", "which", "no"}


def _put_back(en: str, hit: dict) -> str:
    """Replace the hit's placeholder (tolerating spaces the model put inside it) with the rendering."""
    n = hit["placeholder"][2:-1]
    pattern = re.compile(r"<\s*t\s*" + n + r"\s*>|(?<![\w<])t" + n + r">|<t" + n + r"(?![\w>])")
    rendering = hit["en"]

    def replace(m: re.Match) -> str:
        if m.group(0) != hit["placeholder"]:
            hit["fix"] = "placeholder repaired"
        before = en[: m.start()].rstrip()
        previous = before.split()[-1].casefold() if before.split() else ""
        after = en[m.end() :].split()
        if rendering.lower().startswith("the ") or previous in _DETERMINERS or previous.endswith(("'s", "’s")):
            return rendering
        # the model never saw the term, so it could not give it its article: a body always
        # takes one; a title opening the sentence takes one unless a name follows it
        opens = not before or before[-1] in ".!?:;\"“"
        if hit["kind"] == "body" or (hit["kind"] == "title" and opens and not (after and (after[0][:1].isupper() or after[0].startswith("<")))):
            return "the " + rendering
        return rendering

    return pattern.sub(replace, en)


def _tidy(en: str) -> str:
    en = re.sub(r"\b([Tt]he)\s+the\b", r"\1", en, flags=re.IGNORECASE)
    en = re.sub(r"(\w)\s+(['’]s)\b", r"\1\2", en)  # "Secretariat 's" → "Secretariat's"
    en = re.sub(r"\s+([,.;:!?])", r"\1", en)
    en = " ".join(en.split())
    return _capitalise_start(en)


def _capitalise_start(en: str) -> str:
    m = re.match(r"[\"“‘'(]*", en)
    k = m.end() if m else 0
    return en[:k] + en[k : k + 1].upper() + en[k + 1 :] if en[k : k + 1].islower() else en


def _present(rendering: str, en: str) -> bool:
    """Exactly as the glossary gives it; only a rendering that opens a sentence may gain a capital."""
    if rendering in en:
        return True
    capital = rendering[:1].upper() + rendering[1:]
    return bool(re.search(r"(?:^|[.!?:]\s+)[\"“‘'(]*" + re.escape(capital), en))


def _repair(en: str, hit: dict, hits: list[dict]) -> str:
    """Replace the model's own variant of the rendering (other casing, Organization/Organisation)."""
    rendering = hit["en"]
    # text that is another term's rendering is never rewritten
    taken = [m.span() for h in hits if h is not hit and h["found"] for m in re.finditer(re.escape(h["en"]), en)]

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in taken)

    m = re.search(re.escape(rendering), en, flags=re.IGNORECASE)
    if m and free(*m.span()):
        hit["fix"] = "case"
        return _capitalise_start(en[: m.start()] + rendering + en[m.end() :])
    if len(rendering) < 8:
        return en  # too short to tell a variant from a different word
    best = _closest_span(rendering, en)
    if best is None or not free(*best):
        return en
    start, end = best
    hit["fix"] = "variant"
    return _capitalise_start(en[:start] + rendering + en[end:])


def _closest_span(rendering: str, en: str, cutoff: float = 85) -> tuple[int, int] | None:
    """The run of whole words in `en` most like `rendering` (about as many words), if like enough."""
    from rapidfuzz import fuzz

    words = [m.span() for m in re.finditer(r"[\w'’-]+", en)]
    n = len(rendering.split())
    best, best_score = None, cutoff
    for size in range(max(1, n - 2), n + 3):
        for i in range(len(words) - size + 1):
            start, end = words[i][0], words[i + size - 1][1]
            score = fuzz.ratio(rendering.casefold(), en[start:end].casefold())
            if score > best_score:
                best, best_score = (start, end), score
    return best


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
    rows = list(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
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


# ---------------------------------------------------------------- measuring


@dataclass
class TermReport:
    sentences: int = 0
    terms: int = 0  # glossary terms found in the sources
    rendered: int = 0  # whose rendering is in the final English
    flagged: int = 0  # not rendered, and the segment flagged term-missing naming them
    misses: list[dict] = field(default_factory=list)  # {vi, term, en, output, flagged}

    @property
    def accuracy(self) -> float:
        return self.rendered / self.terms if self.terms else 1.0

    @property
    def rendered_or_flagged(self) -> float:
        return (self.rendered + self.flagged) / self.terms if self.terms else 1.0


    def add(self, vi: str, en: str, hits: list[dict], flags: list[str]) -> None:
        """Count one translated sentence: its source, final English, glossary hits and flags."""
        self.sentences += 1
        for hit in hits:
            self.terms += 1
            if _present(hit["en"], en):  # checked again here, not taken from the hit
                self.rendered += 1
                continue
            flagged = "term-missing" in flags and hit.get("found") is False
            self.flagged += flagged
            self.misses.append({"vi": vi, "term": hit["vi"], "en": hit["en"], "output": en, "flagged": flagged})


def measure_terms(glossary: Glossary, translate, sentences: list[tuple[str | None, str]], tokenizer=None) -> TermReport:
    """Term accuracy of a model through the glossary alone: `translate` maps a list of model inputs to English."""
    prepared = [glossary.prepare(vi, date, tokenizer) for date, vi in sentences]
    outputs = translate([text for text, _ in prepared])
    report = TermReport()
    for (_, vi), (_, hits), output in zip(sentences, prepared, outputs):
        en, flags = glossary.restore(output, hits)
        report.add(vi, en, hits, flags)
    return report


def read_term_set(path: Path) -> list[dict[str, str]]:
    """The term test set: a TSV with columns date, vi, terms (expected renderings, ` | `-separated)."""
    rows = list(csv.DictReader(Path(path).read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or not {"date", "vi", "terms"} <= set(rows[0]):
        raise GlossaryError(f"{path}:1: a term test set needs the columns date, vi, terms")
    return rows
