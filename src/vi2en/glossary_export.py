"""`vi2en glossary export`: the glossary in the formats CAT tools and people read.

`FORMATS` is the list of them. vi2en's own exchange formats (TSV, CSV, TBX v3) hold every entry
with all its columns, so exporting and importing again loses nothing. The CAT-tool formats
(TBX-Basic as TBX 2, and OmegaT's glossary) hold terms a translator can use as they are: a slot
pattern ("{ordinal} Party Central Committee") is no term a CAT tool can match, and an entry past
its end date is no longer the house rendering, so both are left out unless asked for: patterns
as a few expanded examples ("13th Party Central Committee"), expired entries marked as such.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Callable

from vi2en.glossary import BUILTIN_SLOTS, COLUMNS, Entry, GlossaryError
from vi2en.glossary_edit import export_rows, render_table
from vi2en.tbx import render_tbx, render_tbx_basic

# a source token each built-in slot accepts, to show a pattern with (glossary.BUILTIN_SLOTS)
BUILTIN_EXAMPLES = {"ordinal": "XIII", "nth": "5", "code": "21-NQ/TW", "year": "2025", "date": "02/02/2023"}
EXAMPLES_PER_PATTERN = 3


@dataclass(frozen=True)
class Options:
    expand_patterns: bool = False  # CAT formats: a few filled-in examples of each pattern instead of none
    include_expired: bool = False  # CAT formats: entries past their end date too, marked expired
    today: str = ""  # ISO date that decides what is expired (default: today)


@dataclass(frozen=True)
class Format:
    name: str
    render: Callable[[list[dict[str, str]]], str | bytes]
    for_cat_tools: bool  # terms only: patterns and expired entries left out unless asked for
    what: str


def render_omegat(rows: list[dict[str, str]]) -> str:
    """OmegaT's glossary: source, target, comment, tab-separated, no header (OmegaT would read one as a term)."""
    lines = []
    for row in rows:
        comment = "; ".join(filter(None, [
            row["domain"], row["kind"], row["note"], f"source: {row['source']}" if row["source"] else "",
            f"expired {row['valid_until']}" if row.get("expired") else "",
        ]))
        values = [row["vi"], row["en"], comment]
        if any("\t" in v or "\n" in v or "\r" in v for v in values):
            raise GlossaryError(f"{row['domain']}: {row['vi']!r} holds a tab or line break, which OmegaT's glossary cannot hold")
        lines.append("\t".join(values) + "\n")
    return "".join(lines)


FORMATS = {f.name: f for f in [
    Format("tbx-basic", render_tbx_basic, True, "TBX-Basic as TBX 2 (martif), as OmegaT, memoQ, Trados and translate-toolkit read it"),
    Format("omegat", render_omegat, True, "OmegaT's tab-separated glossary: source, target, comment"),
    Format("tbx", render_tbx, False, "TBX-Basic in TBX v3 (2019, DCA); every entry, lossless"),
    Format("tsv", lambda rows: render_table(rows, "tsv"), False, "the glossary's own columns, tab-separated; every entry, lossless"),
    Format("csv", lambda rows: render_table(rows, "csv"), False, "the glossary's own columns as CSV; every entry, lossless"),
]}


@dataclass
class Exported:
    data: str | bytes
    entries: int  # rows written
    patterns_left_out: int = 0
    examples: int = 0  # rows that are examples of patterns
    expired_left_out: int = 0
    expired: int = 0  # expired rows written, marked


def export_glossary(files: dict[str, list[Entry]], fmt: str, options: Options = Options()) -> Exported:
    form = FORMATS[fmt]
    rows = export_rows(files)
    if not form.for_cat_tools:
        return Exported(form.render(rows), len(rows))
    today = options.today or dt.date.today().isoformat()
    entries = [e for f in files.values() for e in f]
    kept: list[dict[str, str]] = []
    report = Exported(b"", 0)
    for row in rows:
        expired = bool(row["valid_until"]) and row["valid_until"] < today
        if expired and not options.include_expired:
            report.expired_left_out += 1
            continue
        if expired:
            row = {**row, "expired": "yes"}
            report.expired += 1
        entry = Entry(**{c: row[c] for c in COLUMNS})
        if not entry.slots:
            kept.append(row)
            continue
        if not options.expand_patterns:
            report.patterns_left_out += 1
            continue
        for vi, en in examples(entry, entries, today):
            kept.append({**row, "vi": vi, "en": en, "slot": "", "note": "; ".join(filter(None, [row["note"], f"example of the pattern {entry.vi}"]))})
            report.examples += 1
    report.data, report.entries = form.render(kept), len(kept)
    return report


def examples(pattern: Entry, entries: list[Entry], today: str, limit: int = EXAMPLES_PER_PATTERN, depth: int = 0) -> list[tuple[str, str]]:
    """Up to `limit` (vi, en) renderings of a pattern, its slots filled by the entries that fill
    them (patterns among them by their own first example) or by a built-in slot's example."""
    choices = []
    for name in pattern.slots:
        if name in BUILTIN_EXAMPLES:
            token = BUILTIN_EXAMPLES[name]
            choices.append([(token, BUILTIN_SLOTS[name][0](token))])
            continue
        fillers = []
        for e in entries:
            if name not in e.fills or (e.valid_until and e.valid_until < today):
                continue
            if not e.slots:
                fillers.append((e.vi, e.en))
            elif depth < 4:  # the glossary check refuses cycles; the bound is for a file that skipped it
                fillers += examples(e, entries, today, 1, depth + 1)
            if len(fillers) >= limit:
                break
        choices.append(fillers)
    found = []
    for combination in itertools.islice(itertools.product(*choices), limit):
        vi, en = pattern.vi, pattern.en
        for name, (fill_vi, fill_en) in zip(pattern.slots, combination):
            vi, en = vi.replace(f"{{{name}}}", fill_vi), en.replace(f"{{{name}}}", fill_en)
        found.append((vi, en))
    return found
