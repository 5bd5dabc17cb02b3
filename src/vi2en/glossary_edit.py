"""Keeping the glossary up to date: lint, add/remove, import/export, suggestions from articles.

Every change is checked as a whole before anything is written, and each changed file is
replaced atomically, so a failed command leaves the glossary on disk as it was. Files are
written sorted by source term, so an editor's change is a small diff.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from vi2en.document import write_atomic
from vi2en.glossary import (
    COLUMNS,
    Entry,
    Glossary,
    GlossaryError,
    Problem,
    entry_key,
    parse_tsv,
    read_folder,
    row_problems,
    structure_problems,
)
from vi2en.text import nfc

EXPORT_COLUMNS = ["domain"] + COLUMNS


# ---------------------------------------------------------------- lint


def lint(files: dict[str, list[Entry]]) -> list[Problem]:
    """Problems across files: duplicates, conflicts, shadowed entries, unused slot fillers, cycles."""
    entries = [e for f in files.values() for e in f]
    problems = structure_problems(entries)
    used = {s for e in entries for s in e.slots}
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        groups[entry_key(e.vi)].append(e)
        for name in e.fills:
            if name not in used:
                problems.append(Problem(e.file, e.line, f"fills slot {{{name}}}, which no pattern uses", "warning"))
    for same in groups.values():
        for k, later in enumerate(same):
            for earlier in same[:k]:
                if not _compete(earlier, later) or not _overlap(earlier, later):
                    continue
                if earlier.en == later.en:
                    problems.append(Problem(later.file, later.line, f"duplicate of {earlier.where} ({earlier.vi} → {earlier.en}) in an overlapping period"))
                else:
                    problems.append(Problem(later.file, later.line, f"same source as {earlier.where} with a different target ({earlier.en!r} vs {later.en!r}) in an overlapping period: {earlier.where} always wins, this entry never matches"))
                break
    return sorted(problems, key=lambda p: (p.file, p.line, p.message))


def _compete(a: Entry, b: Entry) -> bool:
    """Two entries with the same words are used in the same place: both on their own, or in one slot."""
    return (a.kind != "part" and b.kind != "part") or bool(set(a.fills) & set(b.fills))


def _overlap(a: Entry, b: Entry) -> bool:
    return (a.valid_from or "0000") <= (b.valid_until or "9999") and (b.valid_from or "0000") <= (a.valid_until or "9999")


def check_folder(folder: Path) -> tuple[list[Problem], int]:
    """Every problem in the glossary folder, and the number of entries read."""
    if not folder.is_dir():
        raise GlossaryError(f"{folder}: no glossary folder there")
    files, problems, _ = read_folder(folder)
    return sorted(problems + lint(files), key=lambda p: (p.file, p.line, p.message)), sum(len(f) for f in files.values())


# ---------------------------------------------------------------- writing


def sort_key(e: Entry) -> tuple:
    return (entry_key(e.vi), e.valid_from, e.en, e.kind)


def render_tsv(entries: list[Entry]) -> str:
    out = ["\t".join(COLUMNS)]
    for e in sorted(entries, key=sort_key):
        for column, value in zip(COLUMNS, e.row()):
            if "\t" in value or "\n" in value or "\r" in value:
                raise GlossaryError(f"{e.file}:{e.line}: {column} holds a tab or line break: {value!r}")
        out.append("\t".join(e.row()))
    return "\n".join(out) + "\n"


def renumber(name: str, entries: list[Entry]) -> list[Entry]:
    """Entries as they will stand in the written file: sorted, with their future line numbers."""
    return [replace(e, file=name, line=n) for n, e in enumerate(sorted(entries, key=sort_key), start=2)]


def save_changes(folder: Path, changed: dict[str, list[Entry]]) -> None:
    """Write the changed files if the whole glossary is then free of errors; otherwise write nothing."""
    files, problems, _ = read_folder(folder)
    problems = [p for p in problems if p.file not in changed]
    for name, entries in changed.items():
        files[name] = renumber(name, entries)
        problems += [p for e in files[name] for p in row_problems(e)]
    errors = [p for p in problems + lint(files) if p.level == "error"]
    if errors:
        listed = "\n  ".join(str(p) for p in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise GlossaryError(f"{folder}: not changed, the result would have {len(errors)} error(s):\n  {listed}{more}")
    rendered = {name: render_tsv(files[name]) for name in changed}  # all rendered before any is written
    for name, text in rendered.items():
        write_atomic(folder / name, text)


def domain_file(domain: str) -> str:
    name = domain[:-4] if domain.endswith(".tsv") else domain
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise GlossaryError(f"domain {domain!r}: use lower-case letters, digits and hyphens (e.g. provincial)")
    return name + ".tsv"


def load_file(folder: Path, name: str) -> list[Entry]:
    path = folder / name
    if not path.exists():
        return []
    entries, problems = parse_tsv(name, path.read_bytes())
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise GlossaryError(f"{folder / errors[0].file}:{errors[0].line}: {errors[0].message}")
    return entries


def add_entry(folder: Path, domain: str, entry: Entry, *, replace_existing: bool = False) -> Entry:
    name = domain_file(domain)
    entries = load_file(folder, name)
    entry = replace(entry, file=name, line=0)
    same = [e for e in entries if _same_slot(e, entry)]
    if same and not replace_existing:
        raise GlossaryError(f"{folder / name}:{same[0].line}: {same[0].vi!r} is already there (→ {same[0].en}); remove it first or use --replace")
    entries = [e for e in entries if e not in same] + [entry]
    save_changes(folder, {name: entries})
    return entry


def _same_slot(a: Entry, b: Entry) -> bool:
    """The same term for the same period start: an import or --replace updates it in place."""
    return entry_key(a.vi) == entry_key(b.vi) and a.valid_from == b.valid_from and a.kind == b.kind


def remove_entries(folder: Path, vi: str, *, domain: str | None = None, valid_from: str | None = None) -> list[Entry]:
    files, _, _ = read_folder(folder)
    names = [domain_file(domain)] if domain else list(files)
    key = entry_key(vi)
    changed, removed = {}, []
    for name in names:
        entries = files.get(name, [])
        gone = [e for e in entries if entry_key(e.vi) == key and (valid_from is None or e.valid_from == valid_from)]
        if gone:
            changed[name] = [e for e in entries if e not in gone]
            removed += gone
    if not removed:
        raise GlossaryError(f"{folder}: no entry {vi!r}" + (f" in {names[0]}" if domain else ""))
    save_changes(folder, changed)
    return removed


# ---------------------------------------------------------------- import / export


def export_rows(files: dict[str, list[Entry]]) -> list[dict[str, str]]:
    return [{"domain": name[:-4], **dict(zip(COLUMNS, e.row()))} for name, entries in sorted(files.items()) for e in entries]


def render_table(rows: list[dict[str, str]], dialect: str) -> str:
    lines = [EXPORT_COLUMNS] + [[row.get(c, "") for c in EXPORT_COLUMNS] for row in rows]
    if dialect == "tsv":  # as the glossary files: no quoting, so a tab or line break cannot be held
        for values in lines:
            if any("\t" in v or "\n" in v or "\r" in v for v in values):
                raise GlossaryError(f"{values[0]}: {values[1]!r} holds a tab or line break, which TSV cannot hold")
        return "".join("\t".join(values) + "\n" for values in lines)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    return buffer.getvalue()


def parse_table(path: Path, data: bytes, dialect: str) -> list[dict[str, str]]:
    """The rows of a TSV or CSV file (with their `line`); a malformed file raises with its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise GlossaryError(f"{path}:{line}: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), **({"delimiter": "\t", "quoting": csv.QUOTE_NONE} if dialect == "tsv" else {"strict": True}))
    rows = []
    try:
        header = next(reader, None)
        if not header:
            raise GlossaryError(f"{path}:1: empty file")
        unknown = [c for c in header if c not in EXPORT_COLUMNS]
        if unknown or "vi" not in header or "en" not in header:
            raise GlossaryError(f"{path}:1: header must name the columns vi and en, from {', '.join(EXPORT_COLUMNS)}" + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise GlossaryError(f"{path}:{reader.line_num}: {len(row)} fields, the header has {len(header)}")
            rows.append({**dict(zip(header, row)), "line": str(reader.line_num)})
    except csv.Error as e:
        raise GlossaryError(f"{path}:{reader.line_num}: {e}") from None
    return rows


def read_import(path: Path, fmt: str, default_domain: str | None) -> list[tuple[str, Entry]]:
    """(glossary file, entry) for each entry of a TSV, CSV or TBX file, each checked on its own."""
    from vi2en.tbx import parse_tbx

    try:
        data = path.read_bytes()
    except OSError as e:
        raise GlossaryError(f"{path}: cannot read ({e.strerror})") from None
    rows = parse_tbx(path, data) if fmt == "tbx" else parse_table(path, data, fmt)
    found = []
    for row in rows:
        line = int(row.pop("line", 0))
        fields = {k: nfc(v.strip()) for k, v in row.items()}
        domain = fields.pop("domain", "") or default_domain
        if not domain:
            raise GlossaryError(f"{path}:{line}: no domain column and no --domain given")
        entry = Entry(**{k: v for k, v in fields.items() if k in COLUMNS}, file=str(path), line=line)
        errors = [p for p in row_problems(entry) if p.level == "error"]
        if errors:
            raise GlossaryError(f"{path}:{line}: {errors[0].message}")
        try:
            found.append((domain_file(domain), entry))
        except GlossaryError as e:
            raise GlossaryError(f"{path}:{line}: {e}") from None
    return found


def import_entries(folder: Path, rows: list[tuple[str, Entry]]) -> tuple[int, int]:
    """Merge imported entries (an entry with the same term, kind and start date is updated); (added, updated)."""
    files, _, _ = read_folder(folder) if folder.is_dir() else ({}, [], "")
    changed: dict[str, list[Entry]] = {}
    added = updated = 0
    for name, entry in rows:
        entries = changed.setdefault(name, list(files.get(name, [])))
        same = [e for e in entries if _same_slot(e, entry)]
        if same:
            updated += any(e.row() != entry.row() for e in same)
        else:
            added += 1
        changed[name] = [e for e in entries if e not in same] + [replace(entry, file=name)]
    folder.mkdir(parents=True, exist_ok=True)
    save_changes(folder, changed)
    return added, updated


# ---------------------------------------------------------------- suggestions


@dataclass
class Suggestion:
    text: str
    kind: str
    count: int
    context: str


_WORD = re.compile(r"\w+(?:[-/.]\w+)*", re.UNICODE)
_HEADS = {"bí", "phó", "chủ", "trưởng", "ban", "ủy", "uỷ", "bộ", "sở", "hội", "văn", "đảng", "tổng", "chánh", "giám", "thủ", "thứ", "viện", "tòa", "toà", "cục", "vụ", "đoàn", "liên", "mặt", "quốc", "thường"}
_ABBREVIATION = re.compile(r"^[A-ZĐ]{2,}(?:[-.][A-ZĐ]{2,})*$")
_COMRADE = re.compile(r"\b(?:đồng chí|Đồng chí|các đồng chí)\s*:?\s+((?:[A-ZĐ\u00C0-\u1EF8][\w]*\s+){1,3}[A-ZĐ\u00C0-\u1EF8][\w]*)")
_DOC_CODE = re.compile(r"\b(?:Nghị quyết|Kết luận|Quy định|Chỉ thị|Quyết định|Nghị định|Thông tư|Hướng dẫn|Công điện|Thông báo)\s+(?:số\s+)?\d+[-/][\w/-]+", re.IGNORECASE)


def suggest(texts: dict[str, str], glossary: Glossary, date: str | None = None) -> list[Suggestion]:
    """Candidate terms the glossary does not cover yet, most frequent first, each with a context line."""
    counts: Counter = Counter()
    kinds: dict[str, str] = {}
    contexts: dict[str, str] = {}
    for name, text in texts.items():
        for line in (l.strip() for l in text.splitlines()):
            if not line:
                continue
            masked = line
            for h in glossary.find(line, date):  # covered text breaks candidate phrases
                masked = masked[: h.start] + "\0" * (h.end - h.start) + masked[h.end :]
            seen = set()
            for kind, start, end in _candidates(masked):
                phrase = line[start:end]
                if "\0" in masked[start:end] or (start, end) in seen:
                    continue
                seen.add((start, end))
                counts[phrase] += 1
                kinds.setdefault(phrase, kind)
                contexts.setdefault(phrase, f"{name}: …{line[max(0, start - 50) : end + 50]}…")
    return [Suggestion(p, kinds[p], n, contexts[p]) for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _candidates(line: str):
    """(kind, start, end) of title-like phrases, abbreviations, document codes and names after "đồng chí"."""
    for m in _DOC_CODE.finditer(line):
        yield "document", m.start(), m.end()
    for m in _COMRADE.finditer(line):
        yield "person", m.start(1), m.end(1)
    words = list(_WORD.finditer(line))
    for w in words:
        if _ABBREVIATION.match(w.group(0)) and not any(c.isdigit() for c in w.group(0)):
            yield "abbreviation", w.start(), w.end()
    # Vietnamese capitalises the first syllable of each word of a title: "Ban Chấp hành Trung ương".
    run: list[re.Match] = []
    for w in words + [None]:
        joined = w is not None and (not run or line[run[-1].end() : w.start()].strip() == "")
        capital = w is not None and w.group(0)[0].isupper() and not _ABBREVIATION.match(w.group(0))
        if joined and (capital or (run and run[-1].group(0)[0].isupper() and w.group(0)[0].islower())):
            run.append(w)
            continue
        yield from _title_run(line, run)
        run = [w] if w is not None and capital else []


def _title_run(line: str, run: list[re.Match]):
    while len(run) > 1 and run[-1].group(0)[0].islower() and run[-2].group(0)[0].islower():
        run = run[:-1]
    if len(run) < 2 or sum(1 for w in run if w.group(0)[0].isupper()) < 2:
        return
    opens_sentence = not line[: run[0].start()].strip() or line[: run[0].start()].rstrip()[-1] in ".!?:;–-“\"("
    # a capital that only opens the sentence says nothing, unless the run starts with a title word
    if not opens_sentence or run[0].group(0).casefold() in _HEADS:
        yield "title", run[0].start(), run[-1].end()
        return
    rest = run[1:]
    while rest and rest[0].group(0)[0].islower():
        rest = rest[1:]
    yield from _title_run(line, rest)
