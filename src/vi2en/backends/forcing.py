"""Forcing a required string (a term's placeholder or English) into a model's output.

A string the model left out is put where the model itself finds it most likely, at a word
start, and the rest of the sentence is decoded again after it, so the words that follow still
come from the model. It needs only the backend's `score` and `prefix` capabilities, so it
works with any model, not only one trained to copy placeholders. All sentences go through
each round together, so the backend works in batches.
"""

from __future__ import annotations

from dataclasses import dataclass

from vi2en.backends import Hypothesis

MAX_PLACES = 4  # word starts tried: those closest to the string's place in the source
NEEDS = frozenset({"score", "prefix"})


@dataclass
class _Forcing:
    """One sentence's way through `force_pieces`."""

    index: int
    sentence: str
    source: list[int]
    hyp: Hypothesis
    needs: list[str]
    best: Hypothesis | None = None
    kept: int = 0  # length of the forced prefix, which later insertions leave as it is

    def __post_init__(self) -> None:
        self.best = self.hyp

    def missing(self, hyp: Hypothesis | None = None) -> list[str]:
        return [r for r in self.needs if r not in (hyp or self.hyp).text]

    def advance(self, hyp: Hypothesis, kept: int) -> None:
        self.hyp, self.kept = hyp, kept
        if len(self.missing()) < len(self.missing(self.best)):
            self.best = hyp


def force_pieces(translator, sentences: list[str], required: list[list[str]]) -> list[Hypothesis]:
    """Translations of sentences that each fit the model, holding the required strings where it can.

    Each round adds one string to a kept prefix; a backend without scoring or prefix decoding
    gets the plain translations back (the pipeline then flags what is missing).
    """
    results = translator.translate(sentences)
    if not NEEDS <= translator.backend.capabilities:
        return results
    folder = translator.folder
    todo = [_Forcing(i, s, folder.encode(s), results[i], needs) for i, (s, needs) in enumerate(zip(sentences, required)) if needs]
    todo = [f for f in todo if f.hyp.parts == 1 and len(f.source) <= folder.max_input_tokens]
    for _ in range(max((len(f.needs) for f in todo), default=0)):
        rounds = [(f, *_candidates(folder, f)) for f in todo if f.missing()]
        rounds = [(f, term, cands) for f, term, cands in rounds if cands]
        if not rounds:
            break
        flat = [(f, term, c) for f, term, cands in rounds for c in cands]
        scores = translator.backend.score([f.source for f, _, _ in flat], [c for _, _, c in flat])
        best: dict[int, tuple[float, list[int]]] = {}
        for (f, term, candidate), score in zip(flat, scores):
            value = sum(score[-len(term) - 1 : -1])  # the term's own tokens, not the end token after it
            if f.index not in best or value > best[f.index][0]:
                best[f.index] = (value, candidate)
        prefixes = [best[f.index][1] for f, _, _ in rounds]
        for (f, _, _), prefix, hyp in zip(rounds, prefixes, translator.generate_safely([f.source for f, _, _ in rounds], prefixes)):
            f.advance(hyp, len(prefix))
    for f in todo:
        results[f.index] = f.best
    return results


def _candidates(folder, f: _Forcing) -> tuple[list[int], list[list[int]]]:
    """The first missing string's target ids, and the hypothesis cut at word starts after the
    kept prefix with those ids put there.

    Only the few word starts closest to where the string stands in the source are tried: word
    order between Vietnamese and English news differs within phrases, rarely across the whole
    sentence, and each try costs a scoring pass over the whole source.
    """
    wanted = f.missing()[0]
    term = folder.encode_target(wanted)
    length = len(f.hyp.ids)
    starts = [i for i in word_starts(folder.pieces(f.hyp.ids)) + [length] if i >= f.kept]
    # room for the end token, and for a few words after the term, in the decoder's positions
    starts = [i for i in dict.fromkeys(starts) if i + len(term) + 8 < folder.max_input_tokens]
    where = max(0, f.sentence.find(wanted)) / max(1, len(f.sentence))
    places = sorted(sorted(starts, key=lambda i: abs(i / max(1, length) - where))[:MAX_PLACES])
    return term, [f.hyp.ids[:i] + term for i in places]


def word_starts(pieces: list[str]) -> list[int]:
    return [i for i, p in enumerate(pieces) if p.startswith("▁")]
