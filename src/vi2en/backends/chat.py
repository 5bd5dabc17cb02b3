"""What the two LLM backends (openai_http.py, causal_lm.py) share: they work on text, not token ids.

An HTTP endpoint has no tokenizer the client could use, so a text backend declares the `text`
capability and `ChatTranslator` — the shared `Translator` with its cache and batching — hands
it `prompts.Request`s instead of ids: the sentence, cut at clause boundaries when it is longer
than a character budget, with the sentences before it as context. Every answer is cleaned and
checked (`prompts.problems`); a broken one is asked for once more with a reminder, and the
better of the two is kept. Term enforcement (terms.enforce) then verifies, retries and flags
exactly as for any other backend: a text backend cannot score, so
forcing is skipped and what is still missing is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from vi2en import prompts
from vi2en.backends import Hypothesis
from vi2en.backends.batching import Translator
from vi2en.segment import clause_pieces

CONTEXT_SENTENCES = 2  # preceding sentences given to the model: enough for pronouns and names


@dataclass
class TextModel:
    """What `Translator` reads of a model that takes text: a name, its prompt family, its limits.

    It stands where a seq2seq backend has its `ModelFolder`; there is no tokenizer, so glossary
    terms reach the model as their English written into the sentence (terms.mask).
    """

    path: Path  # the local folder, or the served model's name
    family: prompts.PromptFamily
    max_input_chars: int = 1500  # longer sentences are cut at clause boundaries
    tokenizer: None = None
    record: dict = field(default_factory=dict)  # licence and notice, as a folder's vi2en.json gives them

    @property
    def max_input_tokens(self) -> int:  # the budget Translator and forcing read, here in characters
        return self.max_input_chars

    def metadata(self) -> dict:
        return dict(self.record)


class ChatTranslator(Translator):
    """`Translator` over a backend with the `text` capability."""

    # its answers are text, with no token ids to splice a term into: a missing term gets the
    # sentence again with the English inline (terms.py), then the flag
    can_force = False

    def __init__(self, backend, *, batch_tokens: int = 4096, batch_size: int = 64, context: int = CONTEXT_SENTENCES):
        super().__init__(backend, batch_tokens=batch_tokens * 4, batch_size=batch_size)  # about 4 characters a token
        self.context = context
        self._before: dict[str, tuple[str, ...]] = {}

    def translate(self, sentences: list[str], progress=None) -> list[Hypothesis]:
        # the caller passes a document's sentences in order: each one's context is what precedes it
        spaced = [" ".join(s.split()) for s in sentences]
        self._before = {s: tuple(spaced[max(0, i - self.context) : i]) for i, s in reversed(list(enumerate(spaced)))}
        return super().translate(sentences, progress)

    def encode(self, text: str) -> list[int]:
        raise TypeError(f"{self.name}: a text backend has no token ids")

    def count_tokens(self, text: str) -> int:
        return len(text)

    def split(self, sentence: str) -> tuple[list[str], list[prompts.Request]]:
        sentence = " ".join(sentence.split())
        limit = self.folder.max_input_chars
        pieces = clause_pieces(sentence, limit, len) if len(sentence) > limit else [sentence]
        context = self._before.get(sentence, ())
        return pieces, [prompts.Request(p, context=context) for p in pieces]

    def generate_safely(self, sources: list[prompts.Request]) -> list[Hypothesis]:
        """Answers cleaned and checked; a broken one asked for once more, the better one kept."""
        hyps = [_cleaned(h) for h in self.backend.generate(sources)]
        broken = {i: found for i, (h, r) in enumerate(zip(hyps, sources)) if (found := prompts.problems(h.text, r))}
        if broken:
            again = self.backend.generate([replace(sources[i], reminder=prompts.reminder_for(found)) for i, found in broken.items()])
            for (i, found), hyp in zip(broken.items(), again):
                hyp = _cleaned(hyp)
                if len(prompts.problems(hyp.text, sources[i])) < len(found):
                    hyps[i] = hyp
        return hyps


def _cleaned(hyp: Hypothesis) -> Hypothesis:
    return replace(hyp, text=prompts.clean(hyp.text))
