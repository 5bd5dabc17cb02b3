"""A vocabulary shortlist for the CTranslate2 backend: which target tokens each source token can bring.

The output layer is the largest matrix multiply of a decoding step (53,685 × 512 for
opus-mt-vi-en, more than all six decoder layers together). With a shortlist (`vmap.txt` in the
model's CTranslate2 folder) CTranslate2 scores only the candidates of the batch's source tokens,
as Marian's lexical shortlists do. A source token's candidates are the target tokens that
co-occur with it most in a parallel corpus (Dice coefficient) and the token itself (names,
numbers and placeholders are copied); the most frequent target tokens are always candidates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vi2en.document import write_atomic

VMAP = "vmap.txt"  # the name CTranslate2 looks for in a model folder


def build_vmap(tokenizer, pairs: list[tuple[str, str]], *, per_token: int = 50, frequent: int = 300, min_count: int = 2) -> str:
    """The vmap.txt text: one line per source token, `token<TAB>candidate candidate ...`."""
    source = tokenizer([vi for vi, _ in pairs], add_special_tokens=False).input_ids
    target = tokenizer(text_target=[en for _, en in pairs], add_special_tokens=False).input_ids
    size = len(tokenizer)
    src_sets = [np.unique(np.asarray(ids, dtype=np.int64)) for ids in source]
    tgt_sets = [np.unique(np.asarray(ids, dtype=np.int64)) for ids in target]
    # every (source token, target token) pair of a sentence pair, as one int64 key
    keys = np.concatenate([(s[:, None] * size + t[None, :]).ravel() for s, t in zip(src_sets, tgt_sets) if len(s) and len(t)])
    pair_keys, together = np.unique(keys, return_counts=True)
    src_count = np.bincount(np.concatenate(src_sets), minlength=size)
    tgt_count = np.bincount(np.concatenate(tgt_sets), minlength=size)
    src_ids, tgt_ids = pair_keys // size, pair_keys % size
    dice = 2 * together / (src_count[src_ids] + tgt_count[tgt_ids])
    keep = together >= min_count  # a single co-occurrence says nothing
    src_ids, tgt_ids, dice = src_ids[keep], tgt_ids[keep], dice[keep]
    order = np.lexsort((-dice, src_ids))  # by source token, best candidate first
    src_ids, tgt_ids = src_ids[order], tgt_ids[order]
    bounds = np.searchsorted(src_ids, np.arange(size + 1))

    tokens = tokenizer.convert_ids_to_tokens(list(range(size)))
    common = [tokens[i] for i in np.argsort(-tgt_count, kind="stable")[:frequent] if tgt_count[i]]
    lines = ["\t" + " ".join(common)]  # an empty source n-gram: always candidates
    for s in range(size):
        if not _plain(tokens[s]):
            continue
        candidates = [tokens[t] for t in tgt_ids[bounds[s] : bounds[s + 1]][:per_token]] + [tokens[s]]
        lines.append(tokens[s] + "\t" + " ".join(dict.fromkeys(c for c in candidates if _plain(c))))
    return "\n".join(lines) + "\n"


def _plain(token: str | None) -> bool:
    """A token the vmap format can hold: it separates with spaces and tabs."""
    return bool(token) and not any(c in token for c in " \t\n")


def write_vmap(ct2_dir: Path, text: str) -> Path:
    path = Path(ct2_dir) / VMAP
    write_atomic(path, text)
    return path
