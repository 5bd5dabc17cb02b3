"""Train the compact Vietnamese→English Marian model that ships in models/compact-vi-en/.

Example (the command behind the shipped model is in its model card):

    PYTHONPATH=src python scripts/train_compact.py \\
        /work/shared/data/train/* \\
        --glossary /work/shared/data/train/dict-fvdp-vietanh-glosses \\
        --valid /work/shared/data/eval/flores200-dev \\
        --work runs/compact --out models/compact-vi-en --time-budget-minutes 90

Interrupted? Run the same command with --resume: it continues from the last checkpoint in --work.

Fine-tuning (on your own archive, or on approved translations from `vi2en tm export --format tmx`):
--init FOLDER starts from that model's float weights and keeps its tokenizer, e.g.

    PYTHONPATH=src python scripts/train_compact.py approved.tmx /work/shared/data/train/* \
        --init runs/compact-float --lr 3e-4 --warmup 200 --time-budget-minutes 40 \
        --valid /work/shared/data/eval/flores200-dev --work runs/finetune --out runs/compact-finetuned
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import re
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import sentencepiece as spm
import torch

from vi2en.corpus import DataError, check_allowed, read_corpus
from vi2en.marian import PLACEHOLDERS, new_marian_model, train_sentencepiece, write_tokenizer_files

# ---------------------------------------------------------------- cleaning

# UI accelerators: "_File", "&Open", "Op&en", "~Save" (LibreOffice), "(_O)" style is rare in vi.
ACCEL = re.compile(r"(?<![\w&])_(?=\w)|&(?=[^\W\d_])(?![a-zA-Z]+;)|~(?=\w)")
SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    return SPACES.sub(" ", ACCEL.sub("", text)).strip()


def clean_pairs(pairs, max_chars: int = 600, max_ratio: float = 3.0):
    seen, kept = set(), []
    for vi, en in pairs:
        vi, en = clean_text(vi), clean_text(en)
        if not vi or not en or len(vi) > max_chars or len(en) > max_chars:
            continue
        short, long_ = sorted((len(vi), len(en)))
        if long_ > 12 and long_ > max_ratio * short:
            continue
        if vi == en and len(vi.split()) > 2:  # untranslated catalog entry
            continue
        if (vi, en) in seen:
            continue
        seen.add((vi, en))
        kept.append((vi, en))
    return kept


# ---------------------------------------------------------------- augmentation

def load_glossary(pairs) -> dict[str, list[str]]:
    """Vietnamese headword → English renderings, from a word/gloss lexicon."""
    glossary: dict[str, list[str]] = {}
    for vi, en in pairs:
        vi = vi.strip().lower()
        if len(vi) < 3:
            continue
        for gloss in re.split(r"[,;/]", en):
            gloss = re.sub(r"^(to|a|an|the) ", "", gloss.strip().lower())
            if 3 <= len(gloss) <= 40:
                glossary.setdefault(vi, []).append(gloss)
    return glossary


WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
COPYABLE = re.compile(r"\b(?:[A-Z][\w.+-]*[A-Za-z0-9]|\d[\d.,/:-]*\d|\d)\b")


def aligned_spans(vi: str, en: str, glossary) -> list[tuple[str, str]]:
    """(vi span, en span) pairs that translate each other inside one sentence pair.

    Dictionary glosses found on both sides, and capitalised words or numbers identical on both
    sides (names, product names, figures): the spans a terminology constraint would cover."""
    spans = []
    en_lower = en.lower()
    words = [m.group(0) for m in WORD.finditer(vi)]
    # Multi-syllable terms only: single syllables are too ambiguous to align with a gloss.
    for n in (4, 3, 2):
        for i in range(len(words) - n + 1):
            term = " ".join(words[i : i + n])
            for gloss in glossary.get(term.lower(), ()):
                at = re.search(rf"\b{re.escape(gloss)}\b", en_lower)
                if at and term in vi:
                    spans.append((term, en[at.start() : at.end()]))
                    break
    for token in set(COPYABLE.findall(vi)):
        if re.search(rf"(?<![\w<]){re.escape(token)}(?![\w>])", en):
            spans.append((token, token))
    # Spans must not overlap each other on either side.
    chosen, used_vi, used_en = [], [], []
    for v, e in sorted(spans, key=lambda s: -len(s[0])):
        if any(v in u or u in v for u in used_vi) or any(e.lower() in u or u in e.lower() for u in used_en):
            continue
        chosen.append((v, e))
        used_vi.append(v)
        used_en.append(e.lower())
    return chosen


def replace_once(text: str, old: str, new: str, ignore_case: bool = False) -> str:
    pattern = rf"(?<![\w<]){re.escape(old)}(?![\w>])"
    return re.sub(pattern, lambda _: new, text, count=1, flags=re.IGNORECASE if ignore_case else 0)


def augment(pairs, glossary, rng: random.Random, p_term: float, p_placeholder: float):
    """Extra pairs (Dinu et al. 2019): source spans replaced by their English translation, or
    aligned spans replaced by placeholders on both sides, so the model learns to copy them."""
    extra = []
    for vi, en in pairs:
        roll = rng.random()
        if roll >= p_term + p_placeholder:
            continue
        if len(vi.split()) < 3:  # dictionary entries and short labels: the span would be the whole line
            continue
        spans = aligned_spans(vi, en, glossary)
        if not spans:
            continue
        if roll < p_term:
            term_spans = [s for s in spans if s[0] != s[1]]
            if term_spans:
                v, e = rng.choice(term_spans)
                extra.append((replace_once(vi, v, e), en))
        else:
            rng.shuffle(spans)
            new_vi, new_en = vi, en
            for (v, e), tag in zip(spans[: rng.randint(1, 3)], rng.sample(PLACEHOLDERS, 3)):
                new_vi = replace_once(new_vi, v, tag)
                new_en = replace_once(new_en, e, tag, ignore_case=True)
            words_left = len(re.sub(r"<t\d>", " ", new_vi).split())
            if new_vi != vi and words_left >= 2 and new_en.count("<t") == new_vi.count("<t"):
                extra.append((new_vi, new_en))
    return extra


# News-style frames for the copy set: figures, dates and document codes pass through unchanged.
COPY_TEMPLATES = [
    ("Ngày {date}, Chính phủ ban hành Nghị quyết số {code}.", "On {date}, the Government issued Resolution No. {code}."),
    ("Nghị quyết số {code} được ban hành ngày {date}.", "Resolution No. {code} was issued on {date}."),
    ("Theo Quyết định số {code}, có {num} người được khen thưởng.", "Under Decision No. {code}, {num} people were commended."),
    ("Kế hoạch số {code} có hiệu lực từ ngày {date}.", "Plan No. {code} takes effect from {date}."),
    ("Tổng vốn đầu tư của dự án là {num} tỷ đồng.", "The total investment of the project is {num} billion VND."),
    ("Năm {year}, tốc độ tăng trưởng kinh tế đạt {pct}%.", "In {year}, the economic growth rate reached {pct}%."),
    ("Hội nghị có {num} đại biểu tham dự.", "The conference was attended by {num} delegates."),
    ("Tỉnh có {num} xã đạt chuẩn nông thôn mới.", "The province has {num} communes meeting new rural standards."),
    ("Sáng {date}, Thủ tướng chủ trì cuộc họp với {num} bộ, ngành.", "On the morning of {date}, the Prime Minister chaired a meeting with {num} ministries and sectors."),
    ("Chỉ thị {code} yêu cầu hoàn thành trước ngày {date}.", "Directive {code} requires completion before {date}."),
    ("Kim ngạch xuất khẩu tăng {pct}% so với năm {year}.", "Export turnover increased by {pct}% compared to {year}."),
    ("Đến ngày {date}, đã có {num} hồ sơ được giải quyết.", "By {date}, {num} dossiers had been processed."),
    ("Công văn số {code} gửi các địa phương.", "Official Letter No. {code} was sent to localities."),
    ("Thông tư {code} quy định {num} tiêu chí.", "Circular {code} sets out {num} criteria."),
    ("Giai đoạn {year}-{year2}, thành phố thu hút {num} dự án.", "In the {year}-{year2} period, the city attracted {num} projects."),
    ("Hôm nay, {date}, Quốc hội thảo luận về dự thảo luật.", "Today, {date}, the National Assembly discussed the draft law."),
    ("Tỷ lệ hộ nghèo giảm còn {pct}%.", "The poverty rate fell to {pct}%."),
    ("Kết luận số {code} của Bộ Chính trị.", "Conclusion No. {code} of the Politburo."),
    ("Có {num} đảng viên mới được kết nạp trong năm {year}.", "{num} new Party members were admitted in {year}."),
    ("Hạn chót nộp báo cáo là ngày {date}.", "The deadline for submitting reports is {date}."),
]
DOC_KINDS = ["NQ/TW", "NQ-CP", "QĐ-TTg", "CT/TW", "KL/TW", "QĐ-UBND", "TT-BTC", "NĐ-CP", "KH-UBND", "CV-BNV", "HD/BTGTW"]


def copy_set(rng: random.Random, size: int):
    """Synthetic pairs teaching the model to copy numbers, dates and document codes."""
    pairs = []
    for _ in range(size):
        vi, en = rng.choice(COPY_TEMPLATES)
        year = rng.randint(1945, 2035)
        slots = {
            "date": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}" if rng.random() < 0.7 else f"{rng.randint(1, 31)}/{rng.randint(1, 12)}",
            "code": f"{rng.randint(1, 300)}/{year}/{rng.choice(DOC_KINDS)}" if rng.random() < 0.4 else f"{rng.randint(1, 300)}-{rng.choice(DOC_KINDS)}",
            "num": str(rng.choice([rng.randint(2, 99), rng.randint(100, 9999), rng.randint(10_000, 999_999)])),
            "pct": f"{rng.randint(0, 99)}" if rng.random() < 0.5 else f"{rng.randint(0, 30)},{rng.randint(1, 9)}",
            "year": str(year),
            "year2": str(year + rng.randint(1, 10)),
        }
        if rng.random() < 0.3:  # some frames with a placeholder in place of a figure or code
            slot = rng.choice([s for s in ("num", "code", "date") if "{" + s + "}" in vi] or ["year"])
            slots[slot] = rng.choice(PLACEHOLDERS)
        en_pct = slots["pct"].replace(",", ".")
        pairs.append((vi.format(**slots), en.format(**{**slots, "pct": en_pct})))
    return pairs


# ---------------------------------------------------------------- batching

def encode(proc, texts, max_tokens: int):
    return [proc.encode(t)[: max_tokens - 1] + [0] for t in texts]  # 0 = </s>


def make_batches(src, tgt, max_batch_tokens: int, rng: random.Random):
    """Token-count batches of similar lengths, in a shuffled order fixed by the rng."""
    order = sorted(range(len(src)), key=lambda i: (len(src[i]), len(tgt[i]), rng.random()))
    batches, batch, longest = [], [], 0
    for i in order:
        longest_if_added = max(longest, len(src[i]), len(tgt[i]))
        if batch and longest_if_added * (len(batch) + 1) > max_batch_tokens:
            batches.append(batch)
            batch, longest_if_added = [], max(len(src[i]), len(tgt[i]))
        batch.append(i)
        longest = longest_if_added
    if batch:
        batches.append(batch)
    rng.shuffle(batches)
    return batches


def collate(ids_list, pad: int, device):
    width = max(len(ids) for ids in ids_list)
    out = torch.full((len(ids_list), width), pad, dtype=torch.long)
    for row, ids in enumerate(ids_list):
        out[row, : len(ids)] = torch.tensor(ids)
    return out.to(device)


# ---------------------------------------------------------------- validation

def translate(model, proc, vocab_size: int, texts, device, batch_size: int = 32, **generate_args):
    pad = vocab_size - 1
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = [""] * len(texts)
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            src = collate(encode(proc, [texts[i] for i in idx], 256), pad, device)
            gen = model.generate(input_ids=src, attention_mask=src.ne(pad), max_new_tokens=int(src.shape[1] * 1.5) + 10, **generate_args)
            for i, ids in zip(idx, gen.tolist()):
                out[i] = proc.decode([t for t in ids if t not in (0, pad)])
    model.train()
    return out


def chrf_pp(hyps, refs) -> float:
    import sacrebleu

    return sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score


# ---------------------------------------------------------------- checkpoints

def atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def zero_pad_row(model, pad: int) -> None:
    # CTranslate2 starts decoding from a zero vector: the <pad> (decoder start) embedding must stay 0.
    # The tied output projection gives that row gradient, so reset it after every step.
    with torch.no_grad():
        model.get_input_embeddings().weight[pad].zero_()


def export(model, tokenizer_dir: Path, out: Path, log) -> None:
    """Write the model as float16 safetensors next to its tokenizer files; replace `out` only when complete."""
    out = out.resolve()
    tmp = out.parent / f".{out.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(tokenizer_dir, tmp)
    half = copy.deepcopy(model).half()
    gc = half.generation_config
    gc.num_beams = 4
    gc.no_repeat_ngram_size = 3  # caps loops; legitimate 3-gram repeats in one sentence are rare in news
    gc.repetition_penalty = 1.2  # and one-word stutters ("next next next"), at no cost in chrF++ on flores200-dev
    gc.min_new_tokens = 2  # never an empty translation
    half.save_pretrained(tmp, safe_serialization=True)
    # Weights stay float16 on disk, but loading defaults to the config's dtype: float32 runs far
    # faster than float16 on CPUs, which is where the compact model is used.
    config = json.loads((tmp / "config.json").read_text())
    config["dtype"] = "float32"
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    readme = out / "README.md"
    if readme.exists():  # keep the hand-written model card across re-exports
        shutil.copy(readme, tmp / "README.md")
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    log(f"exported {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB)")


# ---------------------------------------------------------------- main

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="*", type=Path, help="folders of NAME.vi/NAME.en or NAME.tsv files, or .tmx/.tsv files (the general data)")
    p.add_argument("--domain", nargs="+", type=Path, default=[], help="in-domain data (the project's news corpus, approved pairs), repeated --domain-repeat times")
    p.add_argument("--domain-repeat", type=int, default=1, help="how many times the in-domain pairs are seen per epoch (upsampling)")
    p.add_argument("--general-sample", type=int, default=0, help="use only this many of the general pairs, drawn at random (a replay while fine-tuning; 0: all)")
    p.add_argument("--glossary", type=Path, help="folder of word/gloss pairs used to find aligned terms for augmentation")
    p.add_argument("--valid", type=Path, nargs="+", required=True, help="validation folders or .tsv files (e.g. flores200-dev, corpus/dev.tsv); checkpoints are chosen by their mean chrF++")
    p.add_argument("--valid-size", type=int, default=200, help="validation sentences decoded (greedy) at each check")
    p.add_argument("--work", type=Path, required=True, help="work folder: data cache, checkpoints, train.log")
    p.add_argument("--out", type=Path, required=True, help="final model folder (replaced only when the new model is complete)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --work")
    p.add_argument("--init", type=Path, help="fine-tune: start from this model folder's weights (float, or its CTranslate2 int8 copy scaled back) and keep its tokenizer (the size options are then ignored)")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--encoder-layers", type=int, default=6)
    p.add_argument("--decoder-layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=1024)
    p.add_argument("--max-len", type=int, default=128, help="tokens per side; longer segments are truncated")
    p.add_argument("--batch-tokens", type=int, default=2500, help="padded tokens per batch and side")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=400)
    p.add_argument("--p-term", type=float, default=0.1, help="fraction of pairs copied with a source term replaced by its English")
    p.add_argument("--p-placeholder", type=float, default=0.1, help="fraction of pairs copied with aligned spans replaced by <tN>")
    p.add_argument("--copy-set", type=int, default=6000, help="synthetic number/date/code pairs")
    p.add_argument("--time-budget-minutes", type=float, default=90)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: only the time budget); exact reproduction")
    p.add_argument("--checkpoint-minutes", type=float, default=10)
    p.add_argument("--average", type=int, default=4, help="average the last N checkpoints at the end")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def prepare_data(args, log):
    """Read, clean, augment, train the tokenizer and encode; cached in --work so --resume reuses it."""
    rng = random.Random(args.seed)
    pairs, sources = [], {}
    for path in args.data:
        corpus = read_corpus(path)
        sources[str(path)] = len(corpus)
        pairs += corpus
    cleaned = clean_pairs(pairs)
    if args.general_sample and len(cleaned) > args.general_sample:
        cleaned = rng.sample(cleaned, args.general_sample)
    domain = []
    for path in args.domain:
        corpus = read_corpus(path)
        sources[str(path)] = len(corpus)
        domain += corpus
    domain = clean_pairs(domain)
    cleaned += domain * args.domain_repeat  # repeated after cleaning, which would fold the copies into one
    glossary = load_glossary(read_corpus(args.glossary)) if args.glossary else {}
    extra = augment(cleaned, glossary, rng, args.p_term, args.p_placeholder)
    copies = copy_set(rng, args.copy_set)
    log(f"read {len(pairs)} pairs, kept {len(cleaned)} after cleaning, +{len(extra)} augmented, +{len(copies)} copy set")
    train = cleaned + extra + copies
    with open(args.work / "augmented-sample.tsv", "w", encoding="utf-8") as f:  # for a human look
        for vi, en in rng.sample(extra, min(200, len(extra))):
            f.write(f"{vi}\t{en}\n")
    if args.init:  # the model's own vocabulary: its embeddings are indexed by it
        spm_model = args.work / "spm.model"
        shutil.copy(args.init / "source.spm", spm_model)
    else:
        spm_model = train_sentencepiece((t for pair in cleaned + copies for t in pair), args.work / "spm", args.vocab_size)
    vocab = write_tokenizer_files(spm_model, args.work / "tokenizer")
    proc = spm.SentencePieceProcessor(model_file=str(spm_model))
    data = {
        "src": encode(proc, [vi for vi, _ in train], args.max_len),
        "tgt": encode(proc, [en for _, en in train], args.max_len),
        "vocab_size": len(vocab),
        "sources": sources,
        "counts": {"read": len(pairs), "cleaned": len(cleaned), "augmented": len(extra), "copy_set": len(copies)},
    }
    atomic_save(data, args.work / "data.pt")
    return data


def load_float_model(folder: Path):
    """Float weights to fine-tune: the folder's own, or its CTranslate2 int8 copy scaled back
    (the shipped compact model keeps only that copy)."""
    from transformers import MarianMTModel

    from vi2en.marian import marian_from_ct2

    if any(folder.glob("*.safetensors")) or any(folder.glob("*.bin")):
        return MarianMTModel.from_pretrained(folder, dtype=torch.float32)
    return marian_from_ct2(folder)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if not args.data and not args.domain:
            raise DataError("no training data: give folders or files of pairs, or --domain")
        for path in [*args.data, *args.domain] + ([args.glossary] if args.glossary else []):
            check_allowed(path)
        overlap = _overlap(args)
        if overlap:
            raise DataError(overlap)
        return train(args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _overlap(args) -> str:
    """A validation set that shares sentences with the training data would reward memorising it."""
    from vi2en.text import match_key

    valid = {match_key(vi): str(path) for path in args.valid for vi, _ in read_corpus(path)}
    for path in [*args.data, *args.domain]:
        shared = [valid[k] for k in (match_key(vi) for vi, _ in read_corpus(path)) if k in valid]
        if shared:
            return f"{path}: {len(shared)} training sentence(s) also in the validation data ({shared[0]}); refusing to train"
    return ""


def train(args) -> int:
    torch.set_num_threads(2)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.work.mkdir(parents=True, exist_ok=True)
    log_file = open(args.work / "train.log", "a", encoding="utf-8")

    def log(msg: str) -> None:
        line = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    ckpt_path = args.work / "checkpoint.pt"
    if args.resume and not ckpt_path.exists():
        log("no checkpoint to resume from; starting fresh")
        args.resume = False
    if args.resume:
        data = torch.load(args.work / "data.pt")
    else:
        log(f"start: {' '.join(sys.argv)}")
        data = prepare_data(args, log)
    vocab_size = data["vocab_size"]
    pad = vocab_size - 1
    proc = spm.SentencePieceProcessor(model_file=str(args.work / "spm.model"))
    valid_sets = {str(path): read_corpus(path)[: args.valid_size] for path in args.valid}

    if args.init:
        model = load_float_model(args.init).to(device)
        if model.config.vocab_size != vocab_size:
            raise DataError(f"{args.init}: vocabulary of {model.config.vocab_size} but its tokenizer gives {vocab_size}")
    else:
        model = new_marian_model(
            vocab_size, d_model=args.d_model, layers=args.encoder_layers, decoder_layers=args.decoder_layers,
            heads=args.heads, ffn=args.ffn, seed=args.seed,
        ).to(device)
    zero_pad_row(model, pad)
    log(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters, vocab {vocab_size}, device {device}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.01)
    warmup = args.warmup
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / warmup, math.sqrt(warmup / (s + 1))))
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=0.1)

    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "pairs_seen": 0, "train_seconds": 0.0, "best_chrf": -1.0, "history": [], "snapshots": []}
    if args.resume:
        ckpt = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        schedule.load_state_dict(ckpt["schedule"])
        state = ckpt["state"]
        torch.set_rng_state(ckpt["torch_rng"])
        log(f"resumed at step {state['step']} (epoch {state['epoch']}, {state['train_seconds'] / 60:.1f} min trained)")

    budget = args.time_budget_minutes * 60

    def validate():
        """The mean chrF++ over the validation sets (greedy), each logged."""
        scores = {}
        for name, pairs in valid_sets.items():
            hyps = translate(model, proc, vocab_size, [vi for vi, _ in pairs], device, num_beams=1)
            scores[name] = chrf_pp(hyps, [en for _, en in pairs])
        log("valid " + ", ".join(f"{Path(name).name} {score:.2f}" for name, score in scores.items()))
        return sum(scores.values()) / len(scores)

    def checkpoint(chrf: float) -> None:
        snap = args.work / f"weights-{state['step']:07d}.pt"
        atomic_save(model.state_dict(), snap)
        state["snapshots"] = (state["snapshots"] + [str(snap)])[-args.average :]
        for old in args.work.glob("weights-*.pt"):
            if str(old) not in state["snapshots"]:
                old.unlink()
        if chrf > state["best_chrf"]:
            state["best_chrf"] = chrf
            shutil.copy(snap, args.work / "best.pt")
        atomic_save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
             "state": state, "torch_rng": torch.get_rng_state(), "args": vars(args)},
            ckpt_path,
        )

    model.train()
    done = False
    last_ckpt = time.time()
    window_tokens, window_loss, window_steps, window_start = 0, 0.0, 0, time.time()
    while not done:
        batches = make_batches(data["src"], data["tgt"], args.batch_tokens, random.Random(args.seed * 1000 + state["epoch"]))
        for b in range(state["batch_in_epoch"], len(batches)):
            t0 = time.time()
            idx = batches[b]
            src = collate([data["src"][i] for i in idx], pad, device)
            tgt = collate([data["tgt"][i] for i in idx], pad, device)
            decoder_in = torch.cat([torch.full_like(tgt[:, :1], pad), tgt[:, :-1]], dim=1)
            labels = tgt.masked_fill(tgt.eq(pad), -100)
            logits = model(input_ids=src, attention_mask=src.ne(pad), decoder_input_ids=decoder_in).logits
            loss = loss_fn(logits.view(-1, logits.size(-1)), labels.view(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            zero_pad_row(model, pad)

            state["step"] += 1
            state["batch_in_epoch"] = b + 1
            state["pairs_seen"] += len(idx)
            state["train_seconds"] += time.time() - t0
            window_tokens += int(src.ne(pad).sum() + tgt.ne(pad).sum())
            window_loss += loss.item()
            window_steps += 1
            if state["step"] % 100 == 0:
                elapsed = time.time() - window_start
                log(f"step {state['step']} epoch {state['epoch']} pairs_seen {state['pairs_seen']} "
                    f"train_min {state['train_seconds'] / 60:.1f} loss {window_loss / window_steps:.3f} "
                    f"tok/s {window_tokens / elapsed:.0f} lr {schedule.get_last_lr()[0]:.2e}")
                window_tokens, window_loss, window_steps, window_start = 0, 0.0, 0, time.time()
            out_of_time = state["train_seconds"] >= budget or (args.max_steps and state["step"] >= args.max_steps)
            if out_of_time or time.time() - last_ckpt >= args.checkpoint_minutes * 60:
                chrf = validate()
                state["history"].append({"step": state["step"], "pairs_seen": state["pairs_seen"], "train_min": round(state["train_seconds"] / 60, 1), "valid_chrf": round(chrf, 2)})
                log(f"valid step {state['step']} pairs_seen {state['pairs_seen']} train_min {state['train_seconds'] / 60:.1f} chrF++ {chrf:.2f}")
                checkpoint(chrf)
                last_ckpt = window_start = time.time()
                window_tokens = 0
            if out_of_time:
                done = True
                break
        else:
            state["epoch"] += 1
            state["batch_in_epoch"] = 0

    # Average the last checkpoints; keep the average only if it validates at least as well.
    snaps = [torch.load(s) for s in state["snapshots"]]
    final_chrf = state["history"][-1]["valid_chrf"]
    if len(snaps) > 1:
        averaged = {k: sum(s[k].float() for s in snaps) / len(snaps) if snaps[0][k].is_floating_point() else snaps[-1][k] for k in snaps[0]}
        model.load_state_dict(averaged)
        zero_pad_row(model, pad)
        avg_chrf = validate()
        log(f"average of last {len(snaps)} checkpoints: chrF++ {avg_chrf:.2f} (last {final_chrf:.2f}, best {state['best_chrf']:.2f})")
        if avg_chrf < state["best_chrf"]:
            model.load_state_dict(torch.load(args.work / "best.pt"))
            log("using the best single checkpoint instead")
        else:
            final_chrf = avg_chrf
    (args.work / "history.json").write_text(json.dumps({"history": state["history"], "counts": data["counts"], "sources": data["sources"], "final_valid_chrf": max(final_chrf, state["best_chrf"])}, indent=1))
    export(model.cpu(), args.work / "tokenizer", args.out, log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
