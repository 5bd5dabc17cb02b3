"""The translation backends: transformers (PyTorch) and CTranslate2, behind one `Translator` interface.

Both translate in length-sorted batches bounded by a token budget and return hypotheses in
input order, each with its per-token log-probabilities (they feed the quality score). Each
model family's generation rules (language codes, forced first token, input prefix) live in
`FAMILIES` and nowhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vi2en.text import match_key

CT2_FOLDER = "ct2-int8"  # where `vi2en models convert` writes a model's CTranslate2 copy
FORCE_WINDOW = 0.3  # Translator.force tries places within this share of the sentence from the source's
SCORE_BATCH_TOKENS = 512  # × a 54k vocabulary × 4 bytes ≈ 110 MB of logits at a time


class ModelError(Exception):
    """A model that cannot be used; the message names the folder and the problem."""


@dataclass
class Hypothesis:
    text: str
    token_logprobs: list[float] = field(default_factory=list)
    parts: int = 1  # >1: the source was longer than the model's limit and was translated in this many parts
    ids: list[int] = field(default_factory=list)  # target token ids, language code and end token left out

    @property
    def mean_logprob(self) -> float:
        return sum(self.token_logprobs) / len(self.token_logprobs) if self.token_logprobs else float("-inf")


@dataclass(frozen=True)
class Family:
    """How one model family is asked for Vietnamese→English."""

    name: str
    model_type: str  # config.json "model_type"
    tokenizer_class: str | None = None  # to tell families sharing a model_type apart
    src_lang: str | None = None  # set on the tokenizer; it adds the source language code
    target_token: str | None = None  # the English language code the output must start with
    target_via: str | None = None  # "forced_bos" (first generated token) or "decoder_start"
    input_prefix: str = ""  # prepended to every source sentence


FAMILIES = [
    Family("marian", "marian"),
    Family("nllb", "m2m_100", tokenizer_class="Nllb", src_lang="vie_Latn", target_token="eng_Latn", target_via="forced_bos"),
    Family("m2m100", "m2m_100", tokenizer_class="M2M100", src_lang="vi", target_token="__en__", target_via="forced_bos"),
    # vinai-translate starts decoding from en_XX itself (its model card), not from </s> en_XX as mBART-50 does
    Family("mbart", "mbart", src_lang="vi_VN", target_token="en_XX", target_via="decoder_start"),
    Family("t5", "t5", input_prefix="<2en> "),
]


def read_config(path: Path) -> dict:
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not a model folder (config.json missing)") from None
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable config.json ({e})") from None


def detect_family(path: Path) -> Family:
    model_type = read_config(path).get("model_type", "")
    tokenizer_config = path / "tokenizer_config.json"
    tokenizer_class = json.loads(tokenizer_config.read_text(encoding="utf-8")).get("tokenizer_class") or "" if tokenizer_config.is_file() else ""
    for family in FAMILIES:
        if family.model_type == model_type and (family.tokenizer_class is None or tokenizer_class.startswith(family.tokenizer_class)):
            return family
    supported = ", ".join(sorted({f.model_type for f in FAMILIES}))
    raise ModelError(f"{path}: unsupported architecture {model_type or '(none)'!r} with tokenizer {tokenizer_class or '(none)'!r}; supported: {supported}")


def check_model_folder(path: Path) -> Family:
    family = detect_family(path)
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")) and not has_ct2_copy(path):
        raise ModelError(f"{path}: no model weights (*.safetensors, *.bin or a CTranslate2 copy)")
    if not any(any(path.glob(p)) for p in ("tokenizer_config.json", "*.spm", "*.model", "tokenizer.json")):
        raise ModelError(f"{path}: no tokenizer files (tokenizer_config.json, *.spm, *.model or tokenizer.json)")
    return family


def load_tokenizer(path: Path, family: Family):
    """The tokenizer class the folder names, when transformers has it, set for Vietnamese input.

    AutoTokenizer would read the model config first, and that imports torch: seconds of start-up
    the CTranslate2 path does not need.
    """
    import transformers

    options = {"src_lang": family.src_lang} if family.src_lang else {}
    config = path / "tokenizer_config.json"
    named = json.loads(config.read_text(encoding="utf-8")).get("tokenizer_class") if config.is_file() else None
    tokenizer_class = getattr(transformers, named, None) if named else None
    return (tokenizer_class or transformers.AutoTokenizer).from_pretrained(path, **options)


def _is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or "out of memory" in str(error).lower()


class Translator:
    """The transformers backend, and the batching every backend shares.

    Loads a model once; `translate` can then be called for any number of documents, and an
    input seen before in the run (same text up to Unicode form and spacing) is not translated
    again. Subclasses replace `_load` and `_generate`.
    """

    backend = "transformers"

    def __init__(self, model_dir: Path, *, beam_size: int = 4, max_length: int = 256, batch_tokens: int = 4096, batch_size: int = 64, device: str | None = None, threads: int = 0):
        self.path = Path(model_dir)
        self.family = check_model_folder(self.path)
        self.name = self.path.name
        self.beam_size = beam_size
        self.max_length = max_length
        self.batch_tokens = batch_tokens
        self.batch_size = batch_size
        self.threads = threads
        self.device = device or self._default_device()
        self.selected_by = ""  # how vi2en.models.choose_model chose it, recorded in describe()
        self._cache: dict[str, Hypothesis] = {}
        try:
            from transformers.utils import logging

            logging.disable_progress_bar()
            logging.set_verbosity_error()  # length warnings are handled here: long sources are split
            self.tokenizer = load_tokenizer(self.path, self.family)
            self._load()
        except (OSError, ValueError, KeyError, RuntimeError, ImportError) as e:
            raise ModelError(f"{self.path}: cannot load model ({str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__})") from None
        self.model_max_tokens = self._source_limit()
        self.target_token_id = self.tokenizer.convert_tokens_to_ids(self.family.target_token) if self.family.target_token else None
        if self.target_token_id is not None and self.target_token_id == self.tokenizer.unk_token_id:
            raise ModelError(f"{self.path}: tokenizer has no {self.family.target_token} language code")

    def _default_device(self) -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def _source_limit(self) -> int:
        """The longest source the model takes: its tokenizer's limit, else its position table."""
        limit = getattr(self.tokenizer, "model_max_length", None) or 0
        if not 0 < limit < 100_000:  # tokenizers without a limit report 1e30
            limit = read_config(self.path).get("max_position_embeddings") or 512
        return limit

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        if self.threads:
            torch.set_num_threads(self.threads)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(self.path).to(self.device).eval()
        if self.model.dtype != torch.float32 and self.device == "cpu":
            self.model = self.model.float()  # float16 weights are stored for size; CPU matmuls want float32

    def describe(self) -> dict:
        """What ran, for the outputs; a model folder's `vi2en.json` adds licence and notice."""
        info = {"name": self.name, "path": str(self.path), "family": self.family.name, "backend": self.backend, "device": self.device, "beam_size": self.beam_size}
        if self.selected_by:
            info["selected_by"] = self.selected_by
        meta = self.path / "vi2en.json"
        if meta.is_file():
            info.update(json.loads(meta.read_text(encoding="utf-8")))
        return info

    def encode(self, text: str) -> list[int]:
        """Source token ids as the model sees them: prefix, language code and end token included."""
        return self.tokenizer(self.family.input_prefix + text).input_ids

    def count_tokens(self, text: str) -> int:
        return len(self.encode(text))

    def translate(self, sentences: list[str], progress: Callable[[int], None] | None = None) -> list[Hypothesis]:
        keys = [match_key(s, fold_case=False) for s in sentences]
        todo: dict[str, list[int]] = {}
        for key, sentence in zip(keys, sentences):
            if key not in self._cache and key not in todo:
                todo[key] = self.encode(sentence)
        if progress and len(sentences) > len(todo):
            progress(len(sentences) - len(todo))  # repeats and sentences translated earlier in the run
        parts = {key: self._split(ids) for key, ids in todo.items()}
        flat = [(key, piece) for key, pieces in parts.items() for piece in pieces]
        results: list[Hypothesis | None] = [None] * len(flat)
        for batch in self._batches([ids for _, ids in flat]):
            for i, hyp in zip(batch, self._generate_safely([flat[i][1] for i in batch])):
                results[i] = hyp
            if progress:
                progress(sum(1 for i in batch if flat[i][1] is parts[flat[i][0]][-1]))
        position = 0
        for key, pieces in parts.items():
            done = results[position : position + len(pieces)]
            position += len(pieces)
            self._cache[key] = Hypothesis(" ".join(h.text for h in done), [lp for h in done for lp in h.token_logprobs], parts=len(pieces), ids=[t for h in done for t in h.ids])
        return [self._cache[key] for key in keys]

    def force(self, sentences: list[str], required: list[list[str]]) -> list[Hypothesis]:
        """Translations holding every string of `required` (placeholders, or terms' English) for each sentence.

        A string the model left out is put where the model itself finds it most likely (at a word
        start), and the rest of the sentence is decoded again after it, so the words that follow
        still come from the model. It needs only scoring and a forced prefix, so it works with
        any model, not only one trained to copy placeholders. All sentences go through each
        round together, so the backend works in batches.
        """
        results = self.translate(sentences)
        todo = [_Forcing(i, s, self.encode(s), results[i], needs) for i, (s, needs) in enumerate(zip(sentences, required)) if needs]
        # split sources are the pipeline's job: it hands over pieces that fit
        todo = [f for f in todo if f.hyp.parts == 1 and len(f.source) <= self.model_max_tokens]
        for _ in range(max((len(f.needs) for f in todo), default=0)):  # each round adds one string to a kept prefix
            rounds = [(f, *self._candidates(f)) for f in todo if f.missing()]
            rounds = [(f, term, cands) for f, term, cands in rounds if cands]
            if not rounds:
                break
            flat = [(f, term, c) for f, term, cands in rounds for c in cands]
            scores = self._score([f.source for f, _, _ in flat], [c for _, _, c in flat])
            best: dict[int, tuple[float, list[int]]] = {}
            for (f, term, candidate), score in zip(flat, scores):
                value = sum(score[-len(term) - 1 : -1])  # the term's own tokens, not the end token after it
                if f.index not in best or value > best[f.index][0]:
                    best[f.index] = (value, candidate)
            prefixes = [best[f.index][1] for f, _, _ in rounds]
            for (f, _, _), prefix, hyp in zip(rounds, prefixes, self._generate_safely([f.source for f, _, _ in rounds], prefixes)):
                f.advance(hyp, len(prefix))
        for f in todo:
            results[f.index] = f.best
        return results

    def _candidates(self, f: "_Forcing") -> tuple[list[int], list[list[int]]]:
        """The first missing string's target ids, and the hypothesis cut at word starts after the
        kept prefix with those ids put there.

        Only word starts in about the same part of the sentence as the string in the source are
        tried (all of them when none is): word order between Vietnamese and English news differs
        within phrases, rarely across the whole sentence, and each try costs a scoring pass.
        """
        wanted = f.missing()[0]
        term = self.tokenizer(text_target=wanted, add_special_tokens=False).input_ids
        length = len(f.hyp.ids)
        starts = [i for i in _word_starts(self.tokenizer.convert_ids_to_tokens(f.hyp.ids)) + [length] if i >= f.kept]
        # room for the end token, and for a few words after the term, in the decoder's positions
        starts = [i for i in dict.fromkeys(starts) if i + len(term) + 8 < self.model_max_tokens]
        where = max(0, f.sentence.find(wanted)) / max(1, len(f.sentence))
        near = [i for i in starts if abs(i / max(1, length) - where) <= FORCE_WINDOW]
        return term, [f.hyp.ids[:i] + term for i in near or starts]

    def _split(self, ids: list[int]) -> list[list[int]]:
        """A source too long for the model goes in parts rather than being cut short."""
        limit = self.model_max_tokens
        if len(ids) <= limit:
            return [ids]
        head, body, tail = self._frame(ids)
        room = limit - len(head) - len(tail)
        words = _word_starts(self.tokenizer.convert_ids_to_tokens(body))
        pieces, start = [], 0
        while start < len(body):
            end = min(start + room, len(body))
            if end < len(body):  # cut at the last word start inside the window, if any
                end = max((w for w in words if start < w <= end), default=end)
            pieces.append(head + body[start:end] + tail)
            start = end
        return pieces

    def _frame(self, ids: list[int]) -> tuple[list[int], list[int], list[int]]:
        """Split encoded ids into (special prefix, text, special suffix) — language code and end token."""
        special = set(self.tokenizer.all_special_ids) - {self.tokenizer.unk_token_id}
        first = next((i for i, t in enumerate(ids) if t not in special), len(ids))
        last = next((i for i in range(len(ids) - 1, -1, -1) if ids[i] not in special), first - 1)
        return ids[:first], ids[first : last + 1], ids[last + 1 :]

    def _batches(self, sources: list[list[int]]) -> list[list[int]]:
        """Indices grouped by similar length, each group within the token budget (padding counted)."""
        order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
        batches: list[list[int]] = []
        for i in order:
            if batches and len(batches[-1]) < self.batch_size and (len(batches[-1]) + 1) * len(sources[i]) <= self.batch_tokens:
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches

    def _generate_safely(self, sources: list[list[int]], prefixes: list[list[int]] | None = None) -> list[Hypothesis]:
        """On out-of-memory, halve the batch and try again; one sentence that does not fit is an error."""
        try:
            return self._generate(sources, prefixes)
        except (RuntimeError, MemoryError) as e:
            if not _is_out_of_memory(e):
                raise
            if len(sources) == 1:
                raise ModelError(f"{self.path}: out of memory translating one sentence of {len(sources[0])} tokens; try a smaller --max-length or --device cpu") from None
            self._release_memory()
            half = len(sources) // 2
            rest = prefixes[half:] if prefixes else None
            return self._generate_safely(sources[:half], prefixes and prefixes[:half]) + self._generate_safely(sources[half:], rest)

    def _release_memory(self) -> None:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _length_bounds(self, sources: list[list[int]]) -> tuple[int, int]:
        """(min, max) new tokens for one batch; the benchmark overrides it to force output lengths."""
        return 0, self.max_length

    def _decoder_prefix(self) -> list[int]:
        """The ids the decoder starts from, before any text: its start token and the language code."""
        if self.family.target_via == "decoder_start":
            return [self.target_token_id]
        start = self.model.generation_config.decoder_start_token_id
        if start is None:
            start = self.model.config.decoder_start_token_id
        return [start] + ([self.target_token_id] if self.family.target_via == "forced_bos" else [])

    def _padded(self, rows: list[list[int]], pad: int):
        import torch

        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=self.device)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=self.device)
        return ids, mask

    def _generate(self, sources: list[list[int]], prefixes: list[list[int]] | None = None) -> list[Hypothesis]:
        """Beam search; with `prefixes`, each output starts with its prefix's target ids."""
        import torch

        if prefixes and len(sources) > 1:  # generate() takes one decoder prefix length per call
            return [h for s, p in zip(sources, prefixes) for h in self._generate([s], [p])]
        input_ids, attention_mask = self._padded(sources, self.tokenizer.pad_token_id)
        min_new, max_new = self._length_bounds(sources)
        options = {}
        if prefixes:
            options["decoder_input_ids"] = torch.tensor([self._decoder_prefix() + prefixes[0]], device=self.device)
            max_new = min(max_new, self.model_max_tokens - options["decoder_input_ids"].shape[1] - 1)
            min_new = min(min_new, max_new)
        elif self.family.target_via == "forced_bos":
            options["forced_bos_token_id"] = self.target_token_id
            min_new, max_new = min_new + 1, max_new + 1  # the forced language code is a generated token here
        elif self.family.target_via == "decoder_start":
            options["decoder_start_token_id"] = self.target_token_id
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                num_beams=self.beam_size,
                max_new_tokens=max_new,
                min_new_tokens=min_new,
                output_scores=True,
                return_dict_in_generate=True,
                **options,
            )
            transition = self.model.compute_transition_scores(
                out.sequences, out.scores, getattr(out, "beam_indices", None), normalize_logits=self.beam_size == 1
            )
        hyps = []
        special = set(self.tokenizer.all_special_ids) - {self.tokenizer.unk_token_id}
        scored_special = special - {self.tokenizer.eos_token_id}
        start = len(self._decoder_prefix())
        for seq, scores in zip(out.sequences, transition):
            # sequences start with the decoder start token, which has no score
            tokens = seq[-scores.shape[0] :].tolist()
            logprobs = [float(s) for t, s in zip(tokens, scores.tolist()) if t not in scored_special and s > float("-inf")]
            ids = [t for t in seq.tolist()[start:] if t not in special]
            hyps.append(Hypothesis(text=self.tokenizer.decode(ids, skip_special_tokens=True).strip(), token_logprobs=logprobs, ids=ids))
        if prefixes:  # the scores above cover only the tokens generated after the prefix
            ended = out.sequences[0].tolist()[-1] == self.tokenizer.eos_token_id
            full = self._score(sources, [hyps[0].ids])[0]
            hyps[0].token_logprobs = full if ended else full[:-1]
        return hyps

    def _score(self, sources: list[list[int]], targets: list[list[int]]) -> list[list[float]]:
        """Teacher-forced log-probabilities of each target's tokens, then of the end token after them."""
        import torch

        start = self._decoder_prefix()
        rows = [start + t + [self.tokenizer.eos_token_id] for t in targets]
        scores: list[list[float]] = []
        chunk = max(1, SCORE_BATCH_TOKENS // max(len(r) for r in rows))
        with torch.inference_mode():
            for at in range(0, len(rows), chunk):
                src_ids, src_mask = self._padded(sources[at : at + chunk], self.tokenizer.pad_token_id)
                dec_ids, _ = self._padded(rows[at : at + chunk], self.tokenizer.pad_token_id)
                logprobs = self.model(input_ids=src_ids, attention_mask=src_mask, decoder_input_ids=dec_ids).logits.log_softmax(-1)
                for n, row in enumerate(rows[at : at + chunk]):
                    positions = range(len(start) - 1, len(row) - 1)
                    scores.append([float(logprobs[n, p, row[p + 1]]) for p in positions])
        return scores


class CT2Translator(Translator):
    """The CTranslate2 backend: int8 on CPU, float16 on GPU, from the model's `ct2-int8/` copy.

    Per-token log-probabilities come from re-scoring the chosen output (`score_batch`): one
    teacher-forced pass, far cheaper than the beam search itself.
    """

    backend = "ctranslate2"

    def _load(self) -> None:
        import ctranslate2

        from vi2en.shortlist import VMAP

        self.rules = self._generation_rules()
        ct2_dir = self.path / CT2_FOLDER
        if not (ct2_dir / "model.bin").is_file():
            raise ModelError(f"{self.path}: no CTranslate2 copy in {CT2_FOLDER}/ (run: vi2en models convert {self.path})")
        self.compute_type = "float16" if self.device == "cuda" else "int8"
        self.model = ctranslate2.Translator(str(ct2_dir), device=self.device, compute_type=self.compute_type, intra_threads=self.threads)
        self.shortlist = (ct2_dir / VMAP).is_file()

    def describe(self) -> dict:
        return {**super().describe(), "compute_type": self.compute_type, "shortlist": self.shortlist}

    def _generation_rules(self) -> dict:
        """The model's own decoding rules (generation_config.json), which transformers applies by itself.

        Loop control above all: the compact model is trained to rely on no_repeat_ngram_size.
        """
        try:
            config = json.loads((self.path / "generation_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        rules = {"no_repeat_ngram_size": config.get("no_repeat_ngram_size") or 0, "repetition_penalty": config.get("repetition_penalty") or 1.0}
        return {**rules, "min_new_tokens": config.get("min_new_tokens") or 0}

    def _release_memory(self) -> None:
        pass  # CTranslate2 frees its own buffers when a call fails

    def _default_device(self) -> str:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"

    def _language(self) -> list[str]:
        return [self.family.target_token] if self.family.target_token else []

    def _generate(self, sources: list[list[int]], prefixes: list[list[int]] | None = None) -> list[Hypothesis]:
        tokens = [self.tokenizer.convert_ids_to_tokens(s) for s in sources]
        language = self._language()
        forced = [language + self.tokenizer.convert_ids_to_tokens(p) for p in prefixes] if prefixes else [language] * len(sources)
        min_new, max_new = self._length_bounds(sources)
        min_new = max(min_new, self.rules.get("min_new_tokens", 0))
        offset = len(language)  # the language code counts as a decoding step for CTranslate2
        results = self.model.translate_batch(
            tokens,
            target_prefix=forced if any(forced) else None,
            beam_size=self.beam_size,
            max_decoding_length=min(max_new + max(map(len, forced)), self.model_max_tokens - 1),
            min_decoding_length=min_new + offset,
            no_repeat_ngram_size=self.rules.get("no_repeat_ngram_size", 0),
            repetition_penalty=self.rules.get("repetition_penalty", 1.0),
            use_vmap=self.shortlist,
            max_input_length=0,
            return_end_token=True,
        )
        outputs = [r.hypotheses[0][offset:] for r in results]
        ended = [bool(o) and o[-1] == self.tokenizer.eos_token for o in outputs]
        outputs = [o[:-1] if e else o for o, e in zip(outputs, ended)]
        ids = [self.tokenizer.convert_tokens_to_ids(o) for o in outputs]
        hyps = []
        for out_ids, logprobs, end in zip(ids, self._score(sources, ids), ended):
            # scoring always adds the end token; it counts only if the search produced it
            text = self.tokenizer.decode(out_ids, skip_special_tokens=True).strip()
            hyps.append(Hypothesis(text=text, token_logprobs=logprobs if end else logprobs[:-1], ids=out_ids))
        return hyps

    def _score(self, sources: list[list[int]], targets: list[list[int]]) -> list[list[float]]:
        language = self._language()
        tokens = [self.tokenizer.convert_ids_to_tokens(s) for s in sources]
        forced = [language + self.tokenizer.convert_ids_to_tokens(t) for t in targets]
        # scoring holds a full-vocabulary row per target token: a token budget keeps that small
        scored = self.model.score_batch(tokens, forced, max_input_length=0, offset=len(language), max_batch_size=SCORE_BATCH_TOKENS, batch_type="tokens")
        return [list(s.log_probs) for s in scored]


@dataclass
class _Forcing:
    """One sentence's way through `Translator.force`."""

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


def _word_starts(pieces: list[str]) -> list[int]:
    return [i for i, p in enumerate(pieces) if p.startswith("▁")]


def has_ct2_copy(model_dir: Path) -> bool:
    return (Path(model_dir) / CT2_FOLDER / "model.bin").is_file()


def load_translator(model_dir: Path, *, backend: str = "auto", **options) -> Translator:
    """CTranslate2 when the model has a converted copy (or when asked), else transformers."""
    if backend == "auto":
        backend = "ctranslate2" if has_ct2_copy(model_dir) else "transformers"
    if backend not in ("transformers", "ctranslate2"):
        raise ModelError(f"unknown backend {backend!r}; choose auto, transformers or ctranslate2")
    return (CT2Translator if backend == "ctranslate2" else Translator)(model_dir, **options)
