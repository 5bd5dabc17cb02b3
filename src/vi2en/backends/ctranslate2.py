"""The CTranslate2 backend: int8 on CPU, float16 on GPU, from the model's `ct2-int8/` copy.

What the quality score reads of the model comes with the beam search itself: its score (the
mean log-probability per token), its runners-up and its attention. No second pass runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from vi2en.backends import Hypothesis
from vi2en.backends.families import CT2_FOLDER, ModelError, ModelFolder

# The quality score compares the best hypothesis with the beam's next ones (n-best agreement).
NBEST = 4


class CT2Backend:
    name = "ctranslate2"
    capabilities = frozenset({"logprobs"})
    concurrent_batches = 1

    def __init__(self, path: Path, *, beam_size: int = 4, max_length: int = 256, device: str | None = None, threads: int = 0, cpu_workers: int = 0):
        """`cpu_workers` batches run at once on CPU, each on `threads` cores (default: one per
        usable core, one thread each): a model this small keeps one core busy per batch, and on
        the 2-core machine two batches at once took half the time of one batch on both cores
        (scripts/benchmark.py measures it). A GPU runs one batch at a time."""
        import ctranslate2

        from vi2en.shortlist import VMAP

        self.folder = ModelFolder(path)
        self.beam_size, self.max_length = beam_size, max_length
        self.device = device or ("cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu")
        self.rules = generation_rules(self.folder.path)
        ct2_dir = self.folder.path / CT2_FOLDER
        if not (ct2_dir / "model.bin").is_file():
            raise ModelError(f"{self.folder.path}: no CTranslate2 copy in {CT2_FOLDER}/ (run: vi2en models convert {self.folder.path})")
        self.compute_type = "float16" if self.device == "cuda" else "int8"
        if self.device == "cpu":
            self.concurrent_batches, threads = cpu_workers or usable_cores(), threads or 1
        try:
            self.model = ctranslate2.Translator(str(ct2_dir), device=self.device, compute_type=self.compute_type, inter_threads=self.concurrent_batches, intra_threads=threads)
        except (RuntimeError, ValueError) as e:
            raise ModelError(f"{self.folder.path}: cannot load model ({e})") from None
        self.shortlist = (ct2_dir / VMAP).is_file()

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "compute_type": self.compute_type, "shortlist": self.shortlist}

    def release_memory(self) -> None:
        pass  # CTranslate2 frees its own buffers when a call fails

    def length_bounds(self, sources: list[list[int]]) -> tuple[int, int]:
        """(min, max) new tokens for one batch; the benchmark overrides it to force output lengths."""
        return 0, self.max_length

    def _language(self) -> list[str]:
        target = self.folder.family.target_token
        return [target] if target else []

    def generate(self, sources: list[list[int]]) -> list[Hypothesis]:
        folder = self.folder
        tokens = [folder.pieces(s) for s in sources]
        language = self._language()
        min_new, max_new = self.length_bounds(sources)
        min_new = max(min_new, self.rules["min_new_tokens"])
        offset = len(language)  # the language code counts as a decoding step for CTranslate2
        results = self.model.translate_batch(
            tokens,
            target_prefix=[language] * len(sources) if language else None,
            beam_size=self.beam_size,
            max_decoding_length=min(max_new + offset, folder.max_input_tokens - 1),
            min_decoding_length=min_new + offset,
            no_repeat_ngram_size=self.rules["no_repeat_ngram_size"],
            repetition_penalty=self.rules["repetition_penalty"],
            use_vmap=self.shortlist,
            max_input_length=0,
            num_hypotheses=min(NBEST, self.beam_size),
            return_attention=True,
            return_scores=True,
        )

        def ids_of(tokens: list[str]) -> list[int]:
            return folder.tokenizer.convert_tokens_to_ids(tokens[offset:])

        # the beam's score is already the mean log-probability of its tokens (length penalty 1).
        # Scoring the output again cost 0.4 of the search with the source (149 corpus/dev
        # sentences: 1.49 CPU s against 3.79) and 0.2 against an empty one (source reliance,
        # Dale et al. 2023), and with the attention signals and pair novelty the quality score
        # follows chrF++ as well without either (flores200-devtest Pearson 0.575 against 0.574)
        def hypothesis(result, source: list[int]) -> Hypothesis:
            ids = ids_of(result.hypotheses[0])
            return Hypothesis(
                text=folder.decode(ids), ids=ids, search_logprob=result.scores[0],
                alternatives=[folder.decode(ids_of(h)) for h in result.hypotheses[1:]],
                **attention_signals(result.attention[0][offset:] if result.attention else [], len(source)),
            )

        return [hypothesis(result, source) for result, source in zip(results, sources)]


def usable_cores() -> int:
    """The cores this process may run on, at most 8: its affinity (which a container or `taskset`
    narrows), and no more than OMP_NUM_THREADS where that is set, as Ray sets it to each actor's
    CPUs, so that a cluster's actors do not each take the whole machine."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if limit.isdigit() and int(limit) > 0:
        cores = min(cores, int(limit))
    return max(1, min(8, cores))


def attention_signals(attention: list[list[float]], source_length: int) -> dict[str, float | None]:
    """What the quality score reads of the attention (the last layer's, averaged over heads, as
    CTranslate2 returns it): coverage, attention on the source's end token, and its entropy."""
    return {"coverage": attention_coverage(attention, source_length), "end_attention": end_attention(attention, source_length),
            "attention_entropy": attention_entropy(attention, source_length)}


def end_attention(attention: list[list[float]], source_length: int) -> float | None:
    """Mean over target steps of the attention on the source's last token, its end token.

    A model writing what the source does not say attends to nothing in it, and the end token is
    where that attention goes (Bérard et al. 2019; Guerreiro et al. 2023)."""
    if not attention or source_length == 0:
        return None
    return sum(step[source_length - 1] for step in attention) / len(attention)


def attention_entropy(attention: list[list[float]], source_length: int) -> float | None:
    """Mean over target steps of the entropy of the attention over the source (nats): low where
    each output token follows a few source tokens, high where the model looks everywhere at once."""
    if not attention or source_length == 0:
        return None
    return sum(-sum(w * math.log(w) for w in step[:source_length] if w > 0) for step in attention) / len(attention)


def attention_coverage(attention: list[list[float]], source_length: int) -> float | None:
    """Mean over source tokens of min(1, the attention they received over all target steps).

    Near 1 when every source token was attended to; low when the output skipped part of the
    source (Tu et al. 2016's coverage, as Wu et al. 2016 use it in the coverage penalty).
    """
    if not attention or source_length == 0:
        return None
    received = [0.0] * source_length
    for step in attention:
        for j, weight in enumerate(step[:source_length]):
            received[j] += weight
    return sum(min(1.0, r) for r in received) / source_length


def generation_rules(path: Path) -> dict:
    """The model's own decoding rules (generation_config.json), which transformers applies by itself.

    Loop control above all: the compact model is trained to rely on no_repeat_ngram_size.
    """
    try:
        config = json.loads((path / "generation_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    return {
        "no_repeat_ngram_size": config.get("no_repeat_ngram_size") or 0,
        "repetition_penalty": config.get("repetition_penalty") or 1.0,
        "min_new_tokens": config.get("min_new_tokens") or 0,
    }
