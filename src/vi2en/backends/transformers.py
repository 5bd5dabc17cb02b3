"""The transformers (PyTorch) backend: beam search with `generate`, with the log-probability of each token chosen."""

from __future__ import annotations

from pathlib import Path

from vi2en.backends import Hypothesis
from vi2en.backends.families import ModelError, ModelFolder, _first_line, quiet_transformers


class TransformersBackend:
    name = "transformers"
    capabilities = frozenset({"logprobs"})
    concurrent_batches = 1

    def __init__(self, path: Path, *, beam_size: int = 4, max_length: int = 256, device: str | None = None, threads: int = 0):
        import torch
        from transformers import AutoModelForSeq2SeqLM

        self.folder = ModelFolder(path)
        self.beam_size, self.max_length = beam_size, max_length
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if threads:
            torch.set_num_threads(threads)
        quiet_transformers()
        try:
            self.model = AutoModelForSeq2SeqLM.from_pretrained(self.folder.path).to(self.device).eval()
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise ModelError(f"{self.folder.path}: cannot load model ({_first_line(e)})") from None
        if self.model.dtype != torch.float32 and self.device == "cpu":
            self.model = self.model.float()  # float16 weights are stored for size; CPU matmuls want float32

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device}

    def release_memory(self) -> None:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def length_bounds(self, sources: list[list[int]]) -> tuple[int, int]:
        """(min, max) new tokens for one batch; the benchmark overrides it to force output lengths."""
        return 0, self.max_length

    def _decoder_prefix(self) -> list[int]:
        """The ids the decoder starts from, before any text: its start token and the language code."""
        family, target = self.folder.family, self.folder.target_token_id
        if family.target_via == "decoder_start":
            return [target]
        start = self.model.generation_config.decoder_start_token_id
        if start is None:
            start = self.model.config.decoder_start_token_id
        return [start] + ([target] if family.target_via == "forced_bos" else [])

    def _padded(self, rows: list[list[int]]):
        import torch

        pad = self.folder.tokenizer.pad_token_id
        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=self.device)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=self.device)
        return ids, mask

    def generate(self, sources: list[list[int]]) -> list[Hypothesis]:
        """Beam search, with the log-probabilities of the tokens chosen."""
        import torch

        family, tok = self.folder.family, self.folder.tokenizer
        input_ids, attention_mask = self._padded(sources)
        min_new, max_new = self.length_bounds(sources)
        # the decoder's position table bounds the output too (start token and language code included)
        max_new = min(max_new, self.folder.max_input_tokens - 2)
        min_new = min(min_new, max_new)
        options = {}
        if family.target_via == "forced_bos":
            options["forced_bos_token_id"] = self.folder.target_token_id
            min_new, max_new = min_new + 1, max_new + 1  # the forced language code is a generated token here
        elif family.target_via == "decoder_start":
            options["decoder_start_token_id"] = self.folder.target_token_id
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids, attention_mask=attention_mask, num_beams=self.beam_size,
                max_new_tokens=max_new, min_new_tokens=min_new, output_scores=True, return_dict_in_generate=True, **options,
            )
            transition = self.model.compute_transition_scores(
                out.sequences, out.scores, getattr(out, "beam_indices", None), normalize_logits=self.beam_size == 1
            )
        hyps = []
        special = self.folder.special_ids
        scored_special = special - {tok.eos_token_id}
        start = len(self._decoder_prefix())
        for seq, scores in zip(out.sequences, transition):
            # sequences start with the decoder start token, which has no score
            tokens = seq[-scores.shape[0] :].tolist()
            logprobs = [float(s) for t, s in zip(tokens, scores.tolist()) if t not in scored_special and s > float("-inf")]
            ids = [t for t in seq.tolist()[start:] if t not in special]
            hyps.append(Hypothesis(text=self.folder.decode(ids), token_logprobs=logprobs, ids=ids))
        return hyps
