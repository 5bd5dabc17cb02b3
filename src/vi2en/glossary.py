"""The terminology glossary: official English renderings that every translation must use.

Entries live in `glossary/*.tsv` (columns vi, en, kind, note, source, valid_from, valid_until).
The pipeline calls `prepare` before the model and `restore` after it; a term found in the
source whose rendering is missing from the English is flagged `term-missing`, never dropped
silently.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from vi2en.text import match_key

PROJECT_GLOSSARY = Path(__file__).resolve().parents[2] / "glossary"
COLUMNS = ["vi", "en", "kind", "note", "source", "valid_from", "valid_until"]


class GlossaryError(Exception):
    """A glossary file that cannot be used; the message names the file and line."""


@dataclass
class Entry:
    vi: str
    en: str
    kind: str = ""
    note: str = ""
    source: str = ""
    valid_from: str = ""
    valid_until: str = ""
    file: str = ""
    line: int = 0

    def valid_on(self, date: str | None) -> bool:
        if not date:
            return not self.valid_until
        return (not self.valid_from or self.valid_from <= date) and (not self.valid_until or date <= self.valid_until)


class Glossary:
    def __init__(self, entries: list[Entry], version: str):
        self.entries = entries
        self.version = version
        self._by_first_word: dict[str, list[tuple[list[str], Entry]]] = {}
        for e in entries:
            words = match_key(e.vi).split()
            if words:
                self._by_first_word.setdefault(words[0], []).append((words, e))
        for candidates in self._by_first_word.values():
            candidates.sort(key=lambda c: -len(c[0]))  # longest match first

    @classmethod
    def load(cls, folder: Path | None = PROJECT_GLOSSARY) -> "Glossary":
        if folder is None or not Path(folder).is_dir():
            return cls([], "none")
        entries, digest = [], hashlib.sha256()
        for path in sorted(Path(folder).glob("*.tsv")):
            data = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + data)
            entries += _read_tsv(path, data)
        return cls(entries, digest.hexdigest()[:12] if entries else "none")

    def find(self, vi: str, date: str | None = None) -> list[dict]:
        """Longest, non-overlapping whole-word matches of entries valid on `date`."""
        words = vi.split()
        keys = [match_key(w) for w in words]
        hits, i = [], 0
        while i < len(words):
            for entry_words, entry in self._by_first_word.get(keys[i].strip(",.;:!?()\"“”"), []):
                n = len(entry_words)
                window = [k.strip(",.;:!?()\"“”") for k in keys[i : i + n]]
                if window == entry_words and entry.valid_on(date):
                    hits.append({"vi": " ".join(words[i : i + n]).strip(",.;:!?()\"“”"), "en": entry.en, "kind": entry.kind, "entry": f"{entry.file}:{entry.line}"})
                    i += n
                    break
            else:
                i += 1
        return hits

    def prepare(self, vi: str, date: str | None = None) -> tuple[str, list[dict]]:
        """The text the model sees, and the glossary hits to enforce afterwards."""
        return vi, self.find(vi, date)

    def restore(self, en: str, hits: list[dict]) -> tuple[str, list[str]]:
        """The final English and its term flags: `term-missing` when a rendering is absent."""
        missing = [h for h in hits if h["en"].casefold() not in en.casefold()]
        for h in hits:
            h["found"] = h not in missing
        return en, ["term-missing"] if missing else []


def _read_tsv(path: Path, data: bytes) -> list[Entry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GlossaryError(f"{path}: not UTF-8 text") from None
    rows = list(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or rows[0][:2] != ["vi", "en"]:
        raise GlossaryError(f"{path}:1: header must start with the columns vi, en")
    header = rows[0]
    entries = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row) or row[0].startswith("#"):
            continue
        if len(row) != len(header):
            raise GlossaryError(f"{path}:{line}: {len(row)} fields, the header has {len(header)}")
        fields = dict(zip(header, (c.strip() for c in row)))
        if not fields["vi"] or not fields["en"]:
            raise GlossaryError(f"{path}:{line}: empty {'vi' if not fields['vi'] else 'en'} field")
        entries.append(Entry(**{k: v for k, v in fields.items() if k in COLUMNS}, file=path.name, line=line))
    return entries
