"""Translation backends: one declared protocol, a registry, and `open_translator`.

A backend holds a loaded model and does only what needs the model: `generate` (beam search,
with what the quality score reads of the model).
What it can do is declared in `capabilities`, as CTranslate2 declares its own:

- `logprobs`: its hypotheses carry the model's log-probabilities (the quality score's confidence);
- `text`: it takes text, not token ids (an LLM, an HTTP endpoint): `generate` gets
  `prompts.Request`s and `open_translator` wraps it in backends/chat.py's `ChatTranslator`.

Everything else every backend needs — the cache, token-budget batches, out-of-memory
halving, splitting sources too long for the model — is `Translator` (batching.py), and term
forcing into token ids is forcing.py; neither knows which backend runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from vi2en.backends.families import CT2_FOLDER, FAMILIES, Family, ModelError, ModelFolder, has_ct2_copy  # noqa: F401


@dataclass
class Hypothesis:
    text: str
    token_logprobs: list[float] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # target token ids, language code and end token left out
    parts: int = 1  # >1: the source was longer than the model's limit and was translated in this many parts
    pieces: list[str] = field(default_factory=list)  # the source's clause pieces when it was split
    # what the quality score reads where the backend gives it (None/empty where it does not):
    alternatives: list[str] = field(default_factory=list)  # the beam's other finished hypotheses, best first
    coverage: float | None = None  # mean over source tokens of min(1, attention received)
    end_attention: float | None = None  # mean share of each step's attention on the source's end token
    attention_entropy: float | None = None  # mean entropy of each step's attention over the source
    # the search's own mean log-probability per token (CTranslate2's beam score, length penalty 1),
    # where the backend gives no per-token ones: the same confidence without a second pass
    search_logprob: float | None = None

    @property
    def mean_logprob(self) -> float | None:
        """The model's mean per-token log-probability; None when the backend gave none."""
        if self.token_logprobs:
            return sum(self.token_logprobs) / len(self.token_logprobs)
        return self.search_logprob


class Backend(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[str]]
    folder: ModelFolder
    device: str
    beam_size: int
    concurrent_batches: int  # how many `generate` or `score` calls it runs side by side

    def generate(self, sources: list[list[int]]) -> list[Hypothesis]: ...

    def release_memory(self) -> None: ...

    def describe(self) -> dict: ...


def _registry() -> dict[str, type]:
    # imported here: each backend imports its engine lazily, but the classes are cheap
    from vi2en.backends.causal_lm import CausalLMBackend
    from vi2en.backends.ctranslate2 import CT2Backend
    from vi2en.backends.openai_http import OpenAIBackend
    from vi2en.backends.transformers import TransformersBackend

    return {b.name: b for b in (TransformersBackend, CT2Backend, CausalLMBackend, OpenAIBackend)}


def backend_names() -> list[str]:
    return list(_registry())


def open_backend(model_dir: Path, *, backend: str = "auto", **options) -> Backend:
    """CTranslate2 when the model has a converted copy (or when asked), causal-lm for an LLM
    folder, else transformers."""
    from vi2en.backends.causal_lm import is_causal_lm

    registry = _registry()
    if backend == "auto":
        backend = "ctranslate2" if has_ct2_copy(model_dir) else "causal-lm" if is_causal_lm(Path(model_dir)) else "transformers"
    if backend not in registry:
        raise ModelError(f"unknown backend {backend!r}; choose auto, {', '.join(registry)}")
    return registry[backend](Path(model_dir), **options)


# Sentences a batch at most: on CPU small batches, several at once (one a core), kept the cores
# busiest (the 2-core machine: the example article in 1.0 s at 16 a batch, 1.4 s at 32, 2.0 s at
# 64; a folder of 252 sentences the same from 16 to 64); a GPU wants large ones.
CPU_BATCH_SIZE, GPU_BATCH_SIZE = 16, 64
# What `vi2en translate` and `eval` decode with: on the dev sets (the compact model, the whole
# pipeline) beam 2 scored as well as beam 4 or better (corpus/dev chrF++ 46.07 against 45.62,
# flores200-dev 28.76 against 28.71) in 0.6 of the model's time (scripts/benchmark.py --only beam).
DEFAULT_BEAM = 2


def open_translator(model_dir: Path, *, backend: str = "auto", batch_tokens: int = 4096, batch_size: int | None = None, **options):
    """A `Translator` over the chosen backend: what `vi2en translate` and `eval` use."""
    from vi2en.backends.batching import Translator
    from vi2en.backends.chat import ChatTranslator

    opened = open_backend(model_dir, backend=backend, **options)
    # a backend that takes text (an LLM) gets requests with context, not token ids
    kind = ChatTranslator if "text" in opened.capabilities else Translator
    size = batch_size or (CPU_BATCH_SIZE if opened.device == "cpu" else GPU_BATCH_SIZE)
    return kind(opened, batch_tokens=batch_tokens, batch_size=size)
