"""The CTranslate2 backend: int8 on CPU, float16 on GPU, from the model's `ct2-int8/` copy.

The model's confidence is the beam's own score (mean log-probability per token); the only
second pass is the output scored against an empty source (`score_batch`), which the quality
score's source reliance needs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from vi2en.backends import Hypothesis
from vi2en.backends.batching import length_batches
from vi2en.backends.families import CT2_FOLDER, ModelError, ModelFolder

# The quality score compares the best hypothesis with the beam's next ones (n-best agreement).
NBEST = 4
SCORE_BATCH_TOKENS = 512  # scoring holds a full-vocabulary row per target token: a token budget keeps that small


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
            return_end_token=True,
            num_hypotheses=min(NBEST, self.beam_size),
            return_attention=True,
            return_scores=True,
        )
        eos = folder.tokenizer.eos_token

        def ids_of(tokens: list[str]) -> tuple[list[int], bool]:
            tokens = tokens[offset:]
            ended = bool(tokens) and tokens[-1] == eos
            return folder.tokenizer.convert_tokens_to_ids(tokens[:-1] if ended else tokens), ended

        best = [ids_of(r.hypotheses[0]) for r in results]
        # the beam's score is already the mean log-probability of its tokens (length penalty 1):
        # scoring the output again with the source cost 0.4 of the search (149 corpus/dev
        # sentences: 1.49 CPU s against 3.79), and refitted without it the quality score
        # followed chrF++ about as well (flores200-devtest Pearson 0.550 against 0.559).
        # Against an empty source it is scored once: how much the output owes to the Vietnamese
        # at all (a hallucination is nearly as likely without it; Dale et al. 2023).
        unconditional = self.score([[folder.tokenizer.eos_token_id]] * len(best), [out_ids for out_ids, _ in best])
        return [
            Hypothesis(
                text=folder.decode(out_ids), ids=out_ids, search_logprob=result.scores[0], unconditional_logprobs=_counted(without, ended),
                alternatives=[folder.decode(ids_of(h)[0]) for h in result.hypotheses[1:]],
                **attention_signals(result.attention[0][offset:] if result.attention else [], len(source)),
            )
            for (out_ids, ended), without, result, source in zip(best, unconditional, results, sources)
        ]

    def score(self, sources: list[list[int]], targets: list[list[int]]) -> list[list[float]]:
        """Teacher-forced log-probabilities of each target's tokens after its source, then of the
        end token (`generate` scores its outputs against an empty source with it)."""
        language = self._language()
        tokens = [self.folder.pieces(s) for s in sources]
        forced = [language + self.folder.pieces(t) for t in targets]
        # batched here by the longer side of each pair: CTranslate2's own token batches count the
        # source alone, so the empty-source pass went in batches of hundreds of long targets (3x slower)
        batches = length_batches([max(len(s), len(f) + 1) for s, f in zip(tokens, forced)], SCORE_BATCH_TOKENS)
        # handed over all at once: CTranslate2 runs them on its workers side by side
        pending = [self.model.score_batch([tokens[i] for i in batch], [forced[i] for i in batch], max_input_length=0, offset=len(language), asynchronous=True)
                   for batch in batches]
        scores: list[list[float]] = [[] for _ in targets]
        for batch, results in zip(batches, pending):
            for i, result in zip(batch, results):
                scores[i] = list(result.result().log_probs)
        return scores


def _counted(logprobs: list[float], ended: bool) -> list[float]:
    """Scoring always adds the end token; it counts only where the search produced it."""
    return logprobs if ended else logprobs[:-1]


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
