"""`Translator`: what every backend needs around its model, written once.

- a cache: an input seen recently in the run (same text up to Unicode form and spacing) is not
  translated again, so a folder of articles pays once for a repeated line;
- one splitter: a source longer than the model takes is cut at clause boundaries, then between
  words (`segment.clause_pieces`), then, for a single "word" longer than the model's input,
  at token boundaries; the parts are translated and joined, never cut short;
- length-sorted batches within a token budget (padding counted);
- out of memory: the batch is halved and tried again; one sentence that does not fit is an error.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from vi2en.backends import Backend, Hypothesis
from vi2en.backends.families import ModelError
from vi2en.segment import clause_pieces
from vi2en.text import match_key

CACHE_SIZE = 10_000  # sentences remembered: a desk's day of articles, while memory stays flat over an archive


class Translator:
    def __init__(self, backend: Backend, *, batch_tokens: int = 4096, batch_size: int = 64):
        self.backend = backend
        self.folder = backend.folder
        self.batch_tokens, self.batch_size = batch_tokens, batch_size
        self.selected_by = ""  # how vi2en.models.choose_model chose the model, recorded in describe()
        self._cache: OrderedDict[str, Hypothesis] = OrderedDict()

    # what callers read of the model
    @property
    def name(self) -> str:
        return self.folder.path.name

    @property
    def tokenizer(self):
        return self.folder.tokenizer

    @property
    def model_max_tokens(self) -> int:
        return self.folder.max_input_tokens

    def encode(self, text: str) -> list[int]:
        return self.folder.encode(text)

    def count_tokens(self, text: str) -> int:
        return len(self.encode(text))

    def describe(self) -> dict:
        """What ran, for the outputs; a model folder's `vi2en.json` adds licence and notice."""
        info = {"name": self.name, "path": str(self.folder.path), "family": self.folder.family.name}
        backend = self.backend.describe()
        info.update({"backend": backend.pop("backend"), "device": backend.pop("device"), "beam_size": self.backend.beam_size})
        if self.selected_by:
            info["selected_by"] = self.selected_by
        info.update(self.folder.metadata())
        return {**info, **backend}

    # ------------------------------------------------------------ translating

    def translate(self, sentences: list[str], progress: Callable[[int], None] | None = None) -> list[Hypothesis]:
        keys = [match_key(s, fold_case=False) for s in sentences]
        found = {key: self._cache[key] for key in keys if key in self._cache}
        for key in found:
            self._cache.move_to_end(key)
        todo: dict[str, list[list[int]]] = {}
        texts: dict[str, list[str]] = {}
        for key, sentence in zip(keys, sentences):
            if key not in found and key not in todo:
                texts[key], todo[key] = self.split(sentence)
        if progress and len(sentences) > len(todo):
            progress(len(sentences) - len(todo))  # repeats and sentences translated earlier in the run
        flat = [(key, ids) for key, parts in todo.items() for ids in parts]
        results = self._run([ids for _, ids in flat], progress=progress, last_of=[ids is todo[key][-1] for key, ids in flat])
        position = 0
        for key, parts in todo.items():
            done = results[position : position + len(parts)]
            position += len(parts)
            found[key] = self._cache[key] = join(done, texts[key])
        while len(self._cache) > CACHE_SIZE:  # the least recently asked for go first
            self._cache.popitem(last=False)
        return [found[key] for key in keys]

    can_force = True  # a token model's output takes a spliced string (forcing.py)

    def force(self, sentences: list[str], required: list[list[str]]) -> list[Hypothesis]:
        """Translations holding every string of `required` for each sentence (forcing.py)."""
        from vi2en.backends.forcing import force_pieces

        split = [self.split(s) for s in sentences]
        texts = [t for pieces, _ in split for t in pieces]
        # a split sentence's piece must hold only the strings of its own part of the source
        needs = [need if len(pieces) == 1 else [r for r in need if r in t] for (pieces, _), need in zip(split, required) for t in pieces]
        flat = force_pieces(self, texts, needs)
        out, position = [], 0
        for pieces, _ in split:
            out.append(join(flat[position : position + len(pieces)], pieces))
            position += len(pieces)
        return out

    def split(self, sentence: str) -> tuple[list[str], list[list[int]]]:
        """The sentence's text pieces and their token ids, each within the model's input."""
        limit = self.model_max_tokens
        sentence = " ".join(sentence.split())
        encoded: dict[str, list[int]] = {}

        def count(text: str) -> int:
            encoded[text] = self.encode(text)
            return len(encoded[text])

        pieces = clause_pieces(sentence, limit, count) if count(sentence) > limit else [sentence]
        ids = [encoded.get(p) or self.encode(p) for p in pieces]
        return pieces, [part for piece in ids for part in self._cut_tokens(piece)]

    def _cut_tokens(self, ids: list[int]) -> list[list[int]]:
        """The last resort for one "word" longer than the model's input: cut between tokens."""
        limit = self.model_max_tokens
        if len(ids) <= limit:
            return [ids]
        head, body, tail = self._frame(ids)
        room = limit - len(head) - len(tail)
        return [head + body[start : start + room] + tail for start in range(0, len(body), room)]

    def _frame(self, ids: list[int]) -> tuple[list[int], list[int], list[int]]:
        """Split encoded ids into (special prefix, text, special suffix) — language code and end token."""
        special = self.folder.special_ids
        first = next((i for i, t in enumerate(ids) if t not in special), len(ids))
        last = next((i for i in range(len(ids) - 1, -1, -1) if ids[i] not in special), first - 1)
        return ids[:first], ids[first : last + 1], ids[last + 1 :]

    def _run(self, sources: list[list[int]], progress=None, last_of=None) -> list[Hypothesis]:
        """Generate for every source in length-sorted batches, as many at once as the backend
        runs side by side (CTranslate2 leaves Python's lock while it works); in input order."""
        from concurrent.futures import ThreadPoolExecutor

        results: list[Hypothesis | None] = [None] * len(sources)
        batches = self.batches(sources)
        with ThreadPoolExecutor(self.backend.concurrent_batches) as pool:
            for batch, hyps in zip(batches, pool.map(lambda batch: self.generate_safely([sources[i] for i in batch]), batches)):
                for i, hyp in zip(batch, hyps):
                    results[i] = hyp
                if progress:
                    progress(sum(1 for i in batch if last_of[i]))
        return results  # type: ignore[return-value]

    def batches(self, sources: list[list[int]]) -> list[list[int]]:
        """Indices grouped by similar length, each group within the token budget (padding
        counted). Never by how many run at once: a batch's English depends on its neighbours
        (in the last float digits), and must come out the same on one core or eight."""
        return length_batches([len(s) for s in sources], self.batch_tokens, self.batch_size)

    def generate_safely(self, sources: list[list[int]]) -> list[Hypothesis]:
        """On out-of-memory, halve the batch and try again; one sentence that does not fit is an error."""
        try:
            return self.backend.generate(sources)
        except (RuntimeError, MemoryError) as e:
            if not (isinstance(e, MemoryError) or "out of memory" in str(e).lower()):
                raise
            if len(sources) == 1:
                raise ModelError(f"{self.folder.path}: out of memory translating one sentence of {len(sources[0])} tokens; try a smaller --max-length or --device cpu") from None
            self.backend.release_memory()
            half = len(sources) // 2
            return self.generate_safely(sources[:half]) + self.generate_safely(sources[half:])


def join(parts: list[Hypothesis], pieces: list[str]) -> Hypothesis:
    """One hypothesis from the translations of a sentence's parts."""
    if len(parts) == 1:
        return parts[0]
    searched = [h.search_logprob for h in parts]
    tokens = [len(h.ids) + 1 for h in parts]  # the end token counts in a search's score
    return Hypothesis(
        " ".join(h.text for h in parts), [lp for h in parts for lp in h.token_logprobs],
        ids=[t for h in parts for t in h.ids], parts=len(parts), pieces=pieces if len(pieces) > 1 else [],
        search_logprob=None if None in searched else sum(s * n for s, n in zip(searched, tokens)) / sum(tokens),
    )


def length_batches(lengths: list[int], budget: int, size: int = 0) -> list[list[int]]:
    """Indices sorted by length and grouped so that each group's padded size (its longest
    length × its count) stays within `budget`, and its count within `size` when given."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and (not size or len(batches[-1]) < size) and (len(batches[-1]) + 1) * lengths[i] <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches
