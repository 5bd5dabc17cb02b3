"""Translation speed: a naive transformers baseline against the project's fast path, in one run.

Both sides translate the same sample of FLORES-200 devtest sentences with a model of exactly
opus-mt-vi-en's architecture (random weights: the speed of a network does not depend on what it
learned). Random weights would stop at arbitrary lengths, so every output is forced to a
realistic length, about 1.1 × its source, identically on both sides.

  naive: transformers `generate()`, one sentence at a time, beam 4, float32.
  fast:  `vi2en.backends.open_translator` as `vi2en translate` runs it (CTranslate2 int8 on CPU,
         float16 on GPU; token-budget batches of similar length; per-token log-probs), beam 4.

Both sides run at once, each in its own subprocess so its peak memory (RSS) is its own and
both share whatever else the machine is doing. Speed is measured in CPU seconds, which other
jobs on a shared machine do not inflate; wall seconds are shown too. The machine's
matrix-multiply throughput is measured in the same run, to say how close the fast path gets
to what the hardware can do.

  python scripts/benchmark.py --sentences 70 --threads 2
  python scripts/benchmark.py --sentences 35 --threads 1 --batch-size 8   # a busy 2-core machine
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SHARED = ROOT.parent / "shared"
SAMPLE = SHARED / "data" / "eval" / "flores200-devtest" / "flores200-devtest.vi"
TRAIN = SHARED / "data" / "train"
ARTICLE = 35  # sentences in an article-sized batch
BEAM = 4
LENGTH_RATIO = 1.1
# opus-mt-vi-en's dimensions (its config.json): vocab 53,685; 6+6 layers; d_model 512; 8 heads; ffn 2048
VOCAB, D_MODEL, LAYERS, HEADS, FFN = 53_685, 512, 6, 8, 2048


def target_length(source_tokens: int) -> int:
    return max(1, round(LENGTH_RATIO * source_tokens))


def build_model(folder: Path) -> None:
    """A MarianMT model shaped like opus-mt-vi-en, with a SentencePiece tokenizer trained on training data."""
    from vi2en.marian import EOS, PAD, new_marian_model, train_sentencepiece, write_tokenizer_files
    from vi2en.models import convert, shortlist

    if (folder / "vocab.json").is_file():  # a tokenizer built earlier (or carried to another machine)
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    else:
        lines = []
        for corpus in sorted(TRAIN.iterdir()):
            for path in sorted(corpus.glob("*.vi")) + sorted(corpus.glob("*.en")):
                lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        vocab = write_tokenizer_files(train_sentencepiece(lines, folder.parent / "spm", 32_000), folder, max_length=512)
    # opus-mt-vi-en's vocabulary is larger than a tokenizer trained here: fill up to its size so the
    # output layer (the largest matrix multiply of each decoding step) has its true width
    del vocab[PAD]
    vocab = {piece: i for piece, i in vocab.items() if not piece.startswith("<filler")}
    for i in range(VOCAB - 1 - len(vocab)):
        vocab[f"<filler{i}>"] = len(vocab)
    vocab[PAD] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    assert vocab[EOS] == 0 and len(vocab) == VOCAB
    model = new_marian_model(VOCAB, d_model=D_MODEL, layers=LAYERS, heads=HEADS, ffn=FFN, max_length=512)
    model.save_pretrained(folder)
    convert(folder)
    shortlist(folder, sorted(TRAIN.iterdir()))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_naive(model_dir: Path, sentences: list[str], device: str, threads: int) -> dict:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
    tokens = 0
    started, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        for sentence in sentences:
            inputs = tokenizer(sentence, return_tensors="pt").to(device)
            length = target_length(inputs.input_ids.shape[1])
            out = model.generate(**inputs, num_beams=BEAM, min_new_tokens=length, max_new_tokens=length)
            tokens += out.shape[1] - 1  # minus the decoder start token
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu, "decoded_tokens": tokens, "peak_rss_mb": peak_rss_mb()}


def run_fast(model_dir: Path, sentences: list[str], device: str, threads: int, batch_size: int) -> dict:
    from vi2en.backends import open_translator

    translator = open_translator(model_dir, beam_size=BEAM, device=device, threads=threads, batch_size=batch_size)
    decoded = []

    def forced_lengths(sources):  # every output as long as the longest target in its batch
        length = max(target_length(len(s)) for s in sources)
        decoded.append(length * len(sources))
        return length, length

    translator.backend.length_bounds = forced_lengths
    started, cpu = time.perf_counter(), time.process_time()
    hyps = translator.translate(sentences)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    assert len(hyps) == len(sentences) and all(h.token_logprobs for h in hyps)
    return {
        "seconds": seconds, "cpu_seconds": cpu_seconds, "decoded_tokens": sum(decoded),
        "peak_rss_mb": peak_rss_mb(), "backend": translator.describe(),
    }


def gemm_throughput(threads: int, device: str) -> dict:
    """GFLOP/s of the decoder's typical matrix multiply (beam × batch rows against a 512-wide layer)."""
    import torch

    torch.set_num_threads(threads)
    rows, inner, cols = 4 * ARTICLE, D_MODEL, FFN
    result = {}
    dtypes = [("float32", torch.float32)] + ([("float16", torch.float16)] if device == "cuda" else [])
    for name, dtype in dtypes:
        a, b = torch.randn(rows, inner, dtype=dtype, device=device), torch.randn(inner, cols, dtype=dtype, device=device)
        result[name] = _rate(lambda: a @ b, 2 * rows * inner * cols, device)
    try:  # int8 × int8 → int32, the kind of product CTranslate2's int8 mode runs
        a8 = torch.randint(-127, 127, (rows, inner), dtype=torch.int8, device=device)
        b8 = torch.randint(-127, 127, (inner, cols), dtype=torch.int8, device=device)
        result["int8 (torch's reference kernel, not CTranslate2's)"] = _rate(lambda: torch._int_mm(a8, b8), 2 * rows * inner * cols, device)
    except (RuntimeError, AttributeError) as e:
        result["int8"] = f"not measurable here ({str(e).splitlines()[0][:80]})"
    return result


def _rate(fn, flops: int, device: str) -> float:
    """GFLOP per second of the processor's own time on CPU (others' load does not count), wall time on GPU."""
    import torch

    clock = time.perf_counter if device == "cuda" else time.process_time
    for _ in range(5):
        fn()
    repeats, started = 0, clock()
    while clock() - started < 1.5:
        fn()
        repeats += 1
    if device == "cuda":
        torch.cuda.synchronize()
    return flops * repeats / (clock() - started) / 1e9


def flops_per_step(vocab: int = VOCAB) -> float:
    """Multiply-adds ×2 for one beam hypothesis's decoding step: self- and cross-attention projections, FFN, output layer."""
    per_layer = 4 * D_MODEL**2 + 2 * D_MODEL**2 + 2 * D_MODEL * FFN
    return 2 * (LAYERS * per_layer + D_MODEL * vocab)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=70, help="sample size (default 70 = two article-sized batches)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch-size", type=int, default=16, help="fast path: sentences per batch at most (default 16)")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "benchmark", help="where the benchmark model is built once and kept")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="sentences to translate (default: FLORES-200 devtest, Vietnamese)")
    parser.add_argument("--side", choices=["naive", "fast"], help=argparse.SUPPRESS)  # one side, in a subprocess
    args = parser.parse_args()

    model_dir = args.work / "opus-mt-shaped"
    sentences = args.sample.read_text(encoding="utf-8").splitlines()[: args.sentences]
    if args.side:
        if args.side == "naive":
            result = run_naive(model_dir, sentences, args.device, args.threads)
        else:
            result = run_fast(model_dir, sentences, args.device, args.threads, args.batch_size)
        print(json.dumps(result))
        return 0

    if not (model_dir / "ct2-int8" / "model.bin").is_file():
        print(f"building the benchmark model in {model_dir} (once) …", file=sys.stderr)
        build_model(model_dir)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    source_tokens = [len(tokenizer(s).input_ids) for s in sentences]
    useful = sum(target_length(n) for n in source_tokens)

    def command(side: str, sentences: int) -> list[str]:
        return [sys.executable, __file__, "--sentences", str(sentences), "--threads", str(args.threads), "--device", args.device,
                "--batch-size", str(args.batch_size), "--work", str(args.work), "--sample", str(args.sample), "--side", side]

    # both sides at once, so they share whatever else the machine is doing; each in its own process for its own peak memory
    print("running the naive and the fast side …", file=sys.stderr)
    running = {side: subprocess.Popen(command(side, args.sentences), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for side in ("naive", "fast")}
    sides = {}
    for side, process in running.items():
        out, err = process.communicate()
        if process.returncode != 0:
            print(err, file=sys.stderr)
            return 1
        sides[side] = json.loads(out.strip().splitlines()[-1])
    # then the first 35 sentences alone, on otherwise idle cores: the wall time a desk waits for an article
    print("timing an article-sized batch on its own …", file=sys.stderr)
    done = subprocess.run(command("fast", ARTICLE), capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    article = json.loads(done.stdout.strip().splitlines()[-1])
    gemm = gemm_throughput(args.threads, args.device)

    naive, fast = sides["naive"], sides["fast"]
    flops = fast["decoded_tokens"] * BEAM * flops_per_step()
    achieved = flops / fast["cpu_seconds"] / 1e9
    print(f"model: MarianMT shaped like opus-mt-vi-en (vocab {VOCAB}, {LAYERS}+{LAYERS} layers, d_model {D_MODEL}, {HEADS} heads, ffn {FFN}), random weights")
    print(f"sample: {len(sentences)} FLORES-200 devtest sentences, {sum(source_tokens)} source tokens, {useful} target tokens (≈{LENGTH_RATIO} × source, forced); beam {BEAM}; device {args.device}, {args.threads} thread(s) per side")
    shortlist = ", vocabulary shortlist" if fast["backend"].get("shortlist") else ""
    print(f"fast path: {fast['backend']['backend']} {fast['backend'].get('compute_type', '')}{shortlist}, batches of at most {args.batch_size} sentences")
    print("CPU seconds are the measure (wall seconds depend on what else the machine runs); tokens/s = target tokens per CPU second")
    print(f"{'':8} {'CPU s':>8} {'wall s':>8} {'tokens/s':>9} {'CPU s/article(35)':>18} {'peak RSS':>10}")
    for name, side in sides.items():
        per_article = side["cpu_seconds"] * ARTICLE / len(sentences)
        print(f"{name:8} {side['cpu_seconds']:8.1f} {side['seconds']:8.1f} {useful / side['cpu_seconds']:9.1f} {per_article:18.2f} {side['peak_rss_mb']:8.0f} MB")
    print(f"article-sized batch (the first {ARTICLE} sentences) on the fast path alone, model loaded: {article['seconds']:.2f} s wall, {article['cpu_seconds']:.2f} CPU s, {article['peak_rss_mb']:.0f} MB peak")
    print(f"speed-up: {naive['cpu_seconds'] / fast['cpu_seconds']:.1f}× in CPU time, {naive['seconds'] / fast['seconds']:.1f}× in wall time (same {useful} target tokens; the fast path decoded {fast['decoded_tokens']}: forced lengths run each batch to its longest target)")
    print(f"memory: fast path {fast['peak_rss_mb']:.0f} MB vs naive {naive['peak_rss_mb']:.0f} MB ({naive['peak_rss_mb'] / fast['peak_rss_mb']:.1f}× less)")
    rates = ", ".join(f"{k} {v:.1f} GFLOP/s" if isinstance(v, float) else f"{k} {v}" for k, v in gemm.items())
    print(f"matrix multiply ({4 * ARTICLE}×{D_MODEL} · {D_MODEL}×{FFN}, {args.threads} thread(s), per CPU second): {rates}")
    best = max(v for v in gemm.values() if isinstance(v, float))
    print(f"fast path decoder work: {achieved:.1f} GFLOP per CPU second = {100 * achieved / best:.0f}% of the best measured matrix multiply ({flops / 1e9:.0f} GFLOP for the beam search's decoder steps over the full vocabulary)")
    floor = flops / best / 1e9 * ARTICLE / len(sentences)
    layers_only = floor * flops_per_step(0) / flops_per_step()
    print(f"limit: at that matrix-multiply rate an article's decoder steps alone take ≥ {floor:.1f} CPU s (≥ {floor / args.threads:.1f} s on {args.threads} idle cores) "
          f"over the full vocabulary, and ≥ {layers_only:.1f} CPU s (≥ {layers_only / args.threads:.1f} s) with no output layer at all, a shortlist's best case")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
