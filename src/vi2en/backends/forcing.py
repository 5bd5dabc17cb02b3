"""Forcing a required string (a term's placeholder or English) into a model's output.

A string the model left out is put where the model itself finds it most likely: at each of
the few word starts of its own translation closest to the string's place in the source, the
string is spliced in and the whole English scored against the source; the best-scoring place
is kept. The rest of the model's sentence stays as it was. (Decoding the rest again after the
string cost a beam search a round and, on the composed news folder, gave the same chrF++ and
the same terms.) It needs only the backend's `score` capability, so it works with any model,
not only one trained to copy placeholders. All sentences go through each round together, so
the backend works in batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vi2en.backends import Hypothesis

MAX_PLACES = 2  # word starts tried: those closest to the string's place in the source (corpus/dev chrF++ 45.72 with 2 or 4, 45.68 with 1)
NEEDS = frozenset({"score"})


@dataclass
class _Forcing:
    """One sentence's way through `force_pieces`: its translation's ids with the strings put in so far."""

    index: int
    sentence: str
    source: list[int]
    hyp: Hypothesis
    needs: list[str]
    ids: list[int] = field(default_factory=list)
    text: str = ""
    placed: list[tuple[int, int]] = field(default_factory=list)  # spans put in, which a later string never splits
    logprobs: list[float] = field(default_factory=list)  # of `ids` with the source, once a string is put in

    def __post_init__(self) -> None:
        self.ids, self.text = list(self.hyp.ids), self.hyp.text

    def missing(self) -> list[str]:
        return [r for r in self.needs if r not in self.text]

    def put(self, folder, at: int, term: list[int], logprobs: list[float]) -> None:
        self.ids, self.logprobs = self.ids[:at] + term + self.ids[at:], logprobs
        self.placed = [(s + len(term), e + len(term)) if s >= at else (s, e) for s, e in self.placed] + [(at, at + len(term))]
        self.text = folder.decode(self.ids)


def force_pieces(translator, sentences: list[str], required: list[list[str]]) -> list[Hypothesis]:
    """Translations of sentences that each fit the model, holding the required strings where it can.

    Each round puts one more string in; a backend that cannot score gets the plain translations
    back (the pipeline then flags what is missing).
    """
    results = translator.translate(sentences)
    if not translator.can_force:
        return results
    folder, backend = translator.folder, translator.backend
    todo = [_Forcing(i, s, folder.encode(s), results[i], needs) for i, (s, needs) in enumerate(zip(sentences, required)) if needs]
    todo = [f for f in todo if f.hyp.parts == 1 and len(f.source) <= folder.max_input_tokens]
    for _ in range(max((len(f.needs) for f in todo), default=0)):
        rounds = [(f, *_places(folder, f)) for f in todo if f.missing()]
        rounds = [(f, term, places) for f, term, places in rounds if places]
        if not rounds:
            break
        flat = [(f, term, at) for f, term, places in rounds for at in places]
        scores = backend.score([f.source for f, _, _ in flat], [f.ids[:at] + term + f.ids[at:] for f, term, at in flat])
        best: dict[int, tuple[int, list[int], list[float]]] = {}
        for (f, term, at), score in zip(flat, scores):
            if f.index not in best or sum(score) > sum(best[f.index][2]):
                best[f.index] = (at, term, score)
        for f, _, _ in rounds:
            f.put(folder, *best[f.index])
    changed = [f for f in todo if f.ids != f.hyp.ids]
    # the kept English carries its own log-probabilities (the quality score's), those of the
    # round that chose it; the backend adds what else it gives (the empty-source pass)
    kept = [Hypothesis(f.text, ids=f.ids, alternatives=f.hyp.alternatives, coverage=f.hyp.coverage) for f in changed]
    for f, hyp in zip(changed, backend.rescore([f.source for f in changed], kept, scored=[f.logprobs for f in changed])):
        results[f.index] = hyp
    return results


def _places(folder, f: _Forcing) -> tuple[list[int], list[int]]:
    """The first missing string's target ids, and the word starts where it may go.

    Only the few word starts closest to where the string stands in the source are tried: word
    order between Vietnamese and English news differs within phrases, rarely across the whole
    sentence, and each try costs a scoring pass over the whole source.
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
