"""Term enforcement: glossary terms come out in the English as the glossary gives them, whatever the model.

One stage, called once per document by the pipeline (`enforce`):

1. mask: each term found in a sentence is replaced by a placeholder `<tN>` when the model's
   tokenizer keeps placeholders whole (the project's compact model is trained to copy them),
   otherwise by its English rendering, for the model to copy;
2. translate, then restore: renderings are put back and the grammar around them repaired (a
   mangled placeholder, the model's own casing or spelling variant, "the the", "Secretariat 's");
3. retry: a sentence that lost a term is translated again with the terms' English inline;
4. force: a term still missing is forced into the output where the model scores it best
   (backends/forcing.py); the hit says `fix: forced`;
5. flag: what even that cannot place is flagged `term-missing`, naming the term: never a
   silent miss.

Each try is kept only when it renders more terms. `present` is the one rule for whether a
rendering is in an English sentence: the stage, the translation memory, the review app and the
term-accuracy measure all ask it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from vi2en.backends import Hypothesis
from vi2en.document import TermHit
from vi2en.marian import PLACEHOLDERS

_PLACEHOLDER_LIKE = re.compile(r"<\s*t\s*\d\s*>")
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our", "your", "my", "each", "every", "whose", "which", "no"}


def present(rendering: str, en: str) -> bool:
    """Exactly as the glossary gives it; only a rendering that opens a sentence may gain a capital."""
    if rendering in en:
        return True
    capital = rendering[:1].upper() + rendering[1:]
    return bool(re.search(r"(?:^|[.!?:]\s+)[\"“‘'(]*" + re.escape(capital), en))


def check(en: str, hits: list[TermHit]) -> list[str]:
    """Mark each hit found or not in English nobody will rewrite (a person's); the flags:
    `term-missing` for a glossary term, `entity-missing` for an entity."""
    for hit in hits:
        hit.found = present(hit.en, en)
    missing = [h for h in hits if not h.found]
    return (["term-missing"] if any(not h.is_entity for h in missing) else []) + (["entity-missing"] if any(h.is_entity for h in missing) else [])


def merge(glossary_hits: list[TermHit], entity_hits: list[TermHit]) -> list[TermHit]:
    """One list of non-overlapping hits in source order: the longer span wins an overlap, and
    the glossary wins a tie, since an editor's entry overrides what a rule would give."""
    # a stable sort: at equal length and start the glossary's hit, listed first, stays first
    ranked = sorted(glossary_hits + entity_hits, key=lambda h: (h.start - h.end, h.start))
    kept: list[TermHit] = []
    for hit in ranked:
        if all(hit.end <= k.start or k.end <= hit.start for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


# ---------------------------------------------------------------- masking


_PLACEHOLDER_SUPPORT: dict[int, bool] = {}


def keeps_placeholders(tokenizer) -> bool:
    """True when the tokenizer has every `<tN>` as one known token that decodes back to itself."""
    if tokenizer is None:
        return False
    key = id(tokenizer)
    if key not in _PLACEHOLDER_SUPPORT:
        _PLACEHOLDER_SUPPORT[key] = all(_kept_whole(tokenizer, p) for p in PLACEHOLDERS)
    return _PLACEHOLDER_SUPPORT[key]


def _kept_whole(tokenizer, placeholder: str) -> bool:
    pid = tokenizer.convert_tokens_to_ids(placeholder)
    ids = tokenizer("x " + placeholder + " y", add_special_tokens=False).input_ids
    return pid is not None and pid != tokenizer.unk_token_id and pid in ids and tokenizer.decode([pid]).strip() == placeholder


def mask(vi: str, hits: list[TermHit], *, placeholders: bool) -> str:
    """The text the model sees: terms masked (the first ten) or replaced by their renderings."""
    parts, last = [], 0
    for n, hit in enumerate(hits):
        hit.placeholder = PLACEHOLDERS[n] if placeholders and n < len(PLACEHOLDERS) else ""
        parts += [vi[last : hit.start], hit.placeholder or hit.en]
        last = hit.end
    parts.append(vi[last:])
    return "".join(parts)


# ---------------------------------------------------------------- restoring


def restore(en: str, hits: list[TermHit]) -> tuple[str, list[str]]:
    """The final English and its term flags: `term-missing` when a rendering is still absent."""
    for hit in hits:
        hit.fix = ""
        if hit.placeholder:
            en = _put_back(en, hit)
    en = _PLACEHOLDER_LIKE.sub("", en)  # placeholders the model invented
    en = _tidy(en)
    for hit in hits:
        hit.found = present(hit.en, en)
    for hit in hits:
        if not hit.found:
            en = _repair(en, hit, hits)
    # again: a repair may not touch another term, but the flags must be right whatever happened
    return en, check(en, hits)


def _put_back(en: str, hit: TermHit) -> str:
    """Replace the hit's placeholder (tolerating spaces the model put inside it) with the rendering."""
    n = hit.placeholder[2:-1]
    pattern = re.compile(r"<\s*t\s*" + n + r"\s*>|(?<![\w<])t" + n + r">|<t" + n + r"(?![\w>])")
    rendering = hit.en

    def replace_one(m: re.Match) -> str:
        if m.group(0) != hit.placeholder:
            hit.fix = "placeholder repaired"
        before = en[: m.start()].rstrip()
        previous = before.split()[-1].casefold() if before.split() else ""
        after = en[m.end() :].split()
        if rendering.lower().startswith("the ") or previous in _DETERMINERS or previous.endswith(("'s", "’s")):
            return rendering
        # the model never saw the term, so it could not give it its article: a body always
        # takes one; a title opening the sentence takes one unless a name follows it
        opens = not before or before[-1] in ".!?:;\"“"
        if hit.kind == "body" or (hit.kind == "title" and opens and not (after and (after[0][:1].isupper() or after[0].startswith("<")))):
            return "the " + rendering
        return rendering

    return pattern.sub(replace_one, en)


def _tidy(en: str) -> str:
    en = re.sub(r"\b([Tt]he)\s+the\b", r"\1", en, flags=re.IGNORECASE)
    en = re.sub(r"(\w)\s+(['’]s)\b", r"\1\2", en)  # "Secretariat 's" → "Secretariat's"
    en = re.sub(r"\s+([,.;:!?])", r"\1", en)
    en = " ".join(en.split())
    return _capitalise_start(en)


def _capitalise_start(en: str) -> str:
    k = re.match(r"[\"“‘'(]*", en).end()  # opening quotes and brackets: always matches, perhaps empty
    return en[:k] + en[k : k + 1].upper() + en[k + 1 :] if en[k : k + 1].islower() else en


def _repair(en: str, hit: TermHit, hits: list[TermHit]) -> str:
    """Replace the model's own variant of the rendering (other casing, Organization/Organisation)."""
    rendering = hit.en
    # text that is another term's rendering is never rewritten
    taken = [m.span() for h in hits if h is not hit and h.found for m in re.finditer(re.escape(h.en), en)]

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in taken)

    m = re.search(re.escape(rendering), en, flags=re.IGNORECASE)
    if m and free(*m.span()):
        hit.fix = "case"
        return _capitalise_start(en[: m.start()] + rendering + en[m.end() :])
    if len(rendering) < 8:
        return en  # too short to tell a variant from a different word
    best = _closest_span(rendering, en)
    if best is None or not free(*best):
        return en
    start, end = best
    hit.fix = "variant"
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


# ---------------------------------------------------------------- the stage


@dataclass
class Enforced:
    """One sentence after term enforcement: its final English, hits and term flags, and the
    model's hypothesis that was kept (its log-probabilities feed the quality score)."""

    en: str
    hits: list[TermHit]
    flags: list[str]
    hypothesis: Hypothesis
    model_input: str = ""
    rule: str = ""  # the rule that rendered the whole sentence (a source line, a byline): no model ran

    @property
    def rendered(self) -> int:
        return sum(h.found for h in self.hits)


def enforce(texts: list[str], find: Callable[[str], list[TermHit]], translator, progress: Callable[[int], None] | None = None) -> list[Enforced]:
    """Translate `texts` with every term `find` gives rendered, or flagged where that failed."""
    return enforce_hits(texts, [find(vi) for vi in texts], translator, progress)


def enforce_hits(texts: list[str], hits: list[list[TermHit]], translator, progress: Callable[[int], None] | None = None) -> list[Enforced]:
    """`enforce` with each text's hits found already: the texts may come from several articles
    (each with its own date), so that every round (translate, retry, force) is one batch for all."""
    placeholders = keeps_placeholders(translator.tokenizer)
    # a sentence one rule renders whole (a source line, a byline) needs no model, which could
    # only add words around it
    whole = {i for i, (vi, h) in enumerate(zip(texts, hits)) if len(h) == 1 and (h[0].start, h[0].end) == (0, len(vi))}
    for_model = [i for i in range(len(texts)) if i not in whole]
    model_inputs = {i: mask(texts[i], hits[i], placeholders=placeholders) for i in for_model}
    if progress and whole:
        progress(len(whole))
    hyps = dict(zip(for_model, translator.translate([model_inputs[i] for i in for_model], progress)))
    done = [_restored(model_inputs[i], hits[i], hyps[i]) if i in hyps else replace(_restored(texts[i], hits[i], Hypothesis(hits[i][0].en)), rule=hits[i][0].rule)
            for i in range(len(texts))]
    if not getattr(translator, "can_force", False):
        # a model whose output is token ids gets the term spliced in straight away (forcing.py;
        # on the term set as many terms, at two thirds of the time); a text model has only this
        # chance: the sentence again with the English inline
        _retry_inline(texts, done, translator)
    _force_missing(done, translator)
    return done


def _restored(model_input: str, hits: list[TermHit], hyp: Hypothesis) -> Enforced:
    en, flags = restore(hyp.text, hits)
    return Enforced(en, hits, flags, hyp, model_input)


def _keep_better(done: list[Enforced], i: int, attempt: Enforced) -> None:
    if attempt.rendered > done[i].rendered:
        done[i] = attempt


def _retry_inline(texts: list[str], done: list[Enforced], translator) -> None:
    """The sentence again with the terms' English inline, where it was masked."""
    retry = []
    for i, e in enumerate(done):
        if e.flags:
            hits = [replace(h, placeholder="", found=False, fix="") for h in e.hits]
            inline = mask(texts[i], hits, placeholders=False)
            if inline != e.model_input:  # already inline: nothing else to try
                retry.append((i, inline, hits))
    hyps = translator.translate([inline for _, inline, _ in retry])
    for (i, inline, hits), hyp in zip(retry, hyps):
        _keep_better(done, i, _restored(inline, hits, hyp))


def _force_missing(done: list[Enforced], translator) -> None:
    """Every term of the sentence is required, so that forcing one in does not lose another."""
    force = [i for i, e in enumerate(done) if e.flags]
    if not force:
        return
    needs = [[h.placeholder or h.en for h in done[i].hits] for i in force]
    hyps = translator.force([done[i].model_input for i in force], needs)
    for i, hyp in zip(force, hyps):
        dropped = {h.vi for h in done[i].hits if not h.found}
        attempt = _restored(done[i].model_input, [replace(h) for h in done[i].hits], hyp)
        for hit in attempt.hits:
            if hit.found and hit.vi in dropped:
                hit.fix = "forced"
        _keep_better(done, i, attempt)


# ---------------------------------------------------------------- measuring


@dataclass
class TermReport:
    sentences: int = 0
    terms: int = 0  # glossary terms found in the sources
    rendered: int = 0  # whose rendering is in the final English
    flagged: int = 0  # not rendered, and the segment flagged term-missing naming them
    forced: int = 0  # rendered because forcing put them in (the model left them out)
    expected: int = 0  # renderings the test set expects (its terms/expected column)
    expected_found: int = 0  # of those, exactly in the final English
    expected_misses: list[dict] = field(default_factory=list)
    misses: list[dict] = field(default_factory=list)  # {vi, term, en, output, flagged}

    @property
    def accuracy(self) -> float:
        return self.rendered / self.terms if self.terms else 1.0

    @property
    def rendered_or_flagged(self) -> float:
        return (self.rendered + self.flagged) / self.terms if self.terms else 1.0

    @property
    def expected_accuracy(self) -> float:
        return self.expected_found / self.expected if self.expected else 1.0

    def add(self, vi: str, en: str, hits: list[TermHit], flags: list[str], expected: list[str] = ()) -> None:
        """Count one translated sentence: its source, final English, hits, flags, and the renderings the set expects."""
        self.sentences += 1
        for want in expected:
            self.expected += 1
            if present(want, en):
                self.expected_found += 1
            else:
                self.expected_misses.append({"vi": vi, "expected": want, "output": en})
        for hit in hits:
            self.terms += 1
            if present(hit.en, en):  # checked again here, not taken from the hit
                self.rendered += 1
                self.forced += hit.fix == "forced"
                continue
            flagged = "term-missing" in flags and not hit.found
            self.flagged += flagged
            self.misses.append({"vi": vi, "term": hit.vi, "en": hit.en, "output": en, "flagged": flagged})

    def as_dict(self) -> dict:
        return {"terms": self.terms, "rendered": self.rendered, **({"accuracy": round(self.accuracy, 4)} if self.terms else {})}


def measure_terms(glossary, translate: Callable[[list[str]], list[str]], sentences: list[tuple[str | None, str]], tokenizer=None) -> TermReport:
    """Term accuracy of a model through masking and restoring alone: `translate` maps model inputs to English."""
    placeholders = keeps_placeholders(tokenizer)
    hits = [glossary.find(vi, date) for date, vi in sentences]
    outputs = translate([mask(vi, h, placeholders=placeholders) for (_, vi), h in zip(sentences, hits)])
    report = TermReport()
    for (_, vi), h, output in zip(sentences, hits, outputs):
        en, flags = restore(output, h)
        report.add(vi, en, h, flags)
    return report


def read_term_set(path: Path) -> list[dict[str, str]]:
    """A term or entity test set: a TSV with columns date, vi, terms or expected (the renderings, ` | `-separated)."""
    from vi2en.glossary import GlossaryError

    rows = list(csv.DictReader(Path(path).read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:  # the entity test set names the column `expected`
        if "expected" in row and "terms" not in row:
            row["terms"] = row.pop("expected")
    if not rows or not {"date", "vi", "terms"} <= set(rows[0]):
        raise GlossaryError(f"{path}:1: a term test set needs the columns date, vi, terms (or expected)")
    return rows
