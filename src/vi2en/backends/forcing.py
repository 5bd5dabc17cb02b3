"""Forcing a required string (a term's placeholder or English) into a model's output.

A string the model left out is spliced in at one of the few word starts of its own
translation closest to the string's place in the source: the one where the English reads
best to the project's English language model (quality.EnglishLM). The rest of the model's
sentence stays as it was, and so do its scores (the quality score's confidence, n-best,
coverage): the string put in is the glossary's, right by construction.

The model is not asked. Scoring each spliced English against the source took a fifth of the
model's time on a folder where a quarter of the sentences lost a term (the composed folder:
68 of 252 sentences, 136 places scored, 1.0 of 5.3 s), for corpus/dev chrF++ 46.07 against
46.06 choosing by the language model and 46.01 taking the nearest place alone. (Decoding the
rest again after the string, earlier, cost a beam search a round for the same chrF++ and terms.)
So any model whose output is token ids can force, not only one trained to copy placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from vi2en.backends import Hypothesis

MAX_PLACES = 2  # word starts tried: those closest to the string's place in the source


@dataclass
class _Forcing:
    """One sentence's way through `force_pieces`: its translation's ids with the strings put in so far."""

    sentence: str
    hyp: Hypothesis
    needs: list[str]
    ids: list[int] = field(default_factory=list)
    text: str = ""
    placed: list[tuple[int, int]] = field(default_factory=list)  # spans put in, which a later string never splits

    def __post_init__(self) -> None:
        self.ids, self.text = list(self.hyp.ids), self.hyp.text

    def missing(self) -> list[str]:
        return [r for r in self.needs if r not in self.text]

    def put(self, at: int, term: list[int], text: str) -> None:
        """`term` spliced in at `at`; `text` is the new ids decoded (the caller decoded each place to choose one)."""
        self.ids = self.ids[:at] + term + self.ids[at:]
        self.placed = [(s + len(term), e + len(term)) if s >= at else (s, e) for s, e in self.placed] + [(at, at + len(term))]
        self.text = text


def force_pieces(translator, sentences: list[str], required: list[list[str]]) -> list[Hypothesis]:
    """Translations of sentences that each fit the model, holding the required strings where
    they can go; a translator that cannot force gives its plain translations back (the
    pipeline flags what is still missing)."""
    from vi2en.quality import english_lm

    results = translator.translate(sentences)
    if not translator.can_force:
        return results
    folder, fluency = translator.folder, english_lm().fluency
    for i, (sentence, needs) in enumerate(zip(sentences, required)):
        f = _Forcing(sentence, results[i], needs)
        if not needs or f.hyp.parts > 1:
            continue
        for _ in needs:  # each round puts one more string in
            if not f.missing():
                break
            term, places = _places(folder, f)
            if not places:
                break
            spliced = {at: folder.decode(f.ids[:at] + term + f.ids[at:]) for at in places}
            best = max(places, key=lambda at: fluency(spliced[at]) or float("-inf"))
            f.put(best, term, spliced[best])
        if f.ids != f.hyp.ids:
            results[i] = replace(f.hyp, text=f.text, ids=f.ids)
    return results


def _places(folder, f: _Forcing) -> tuple[list[int], list[int]]:
    """The first missing string's target ids, and the word starts where it may go.

    Only the few word starts closest to where the string stands in the source are tried: word
    order between Vietnamese and English news differs within phrases, rarely across the whole
    sentence, and a place further off would split a phrase the model got right.
    """
    wanted = f.missing()[0]
    term = folder.encode_target(wanted)
    length = len(f.ids)
    if length + len(term) + 1 >= folder.max_input_tokens:  # room for the end token in the decoder's positions
        return term, []
    starts = [i for i in dict.fromkeys(word_starts(folder.pieces(f.ids)) + [length]) if not any(s < i < e for s, e in f.placed)]
    where = max(0, f.sentence.find(wanted)) / max(1, len(f.sentence))
    return term, sorted(sorted(starts, key=lambda i: abs(i / max(1, length) - where))[:MAX_PLACES])


def word_starts(pieces: list[str]) -> list[int]:
    return [i for i, p in enumerate(pieces) if p.startswith("▁")]
