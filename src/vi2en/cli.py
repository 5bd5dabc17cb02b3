"""The `vi2en` command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from vi2en import __version__

EXAMPLES = {
    "translate": """example:
  vi2en translate ../shared/articles/nghean-2024-01-17-secretariat-briefing.txt --out out/
  vi2en translate articles/ --out out/ --model models/opus-mt-vi-en --beam 5""",
    "segment": """Prints one segment per line, a blank line between blocks (site boilerplate is not
segmented and not printed). With --ids each line is: segment id, block kind, text.

example:
  vi2en segment ../shared/articles/nghean-2024-01-17-secretariat-briefing.txt
  vi2en segment --ids page.html article.docx > segments.txt
  curl -s https://example.vn/bai.html | vi2en segment -""",
}


def _fail(message: str) -> None:
    print(f"vi2en: {message}", file=sys.stderr)


def cmd_translate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vi2en import pipeline
    from vi2en.document import DocumentError
    from vi2en.glossary import PROJECT_GLOSSARY, Glossary, GlossaryError
    from vi2en.read import ReadError
    from vi2en.translate import ModelError, Translator, resolve_model

    started = time.perf_counter()
    inputs = pipeline.expand_inputs(args.inputs)
    if not inputs:
        _fail("no articles found in " + ", ".join(args.inputs))
        return 1
    try:
        glossary = Glossary.load(Path(args.glossary) if args.glossary else PROJECT_GLOSSARY)
        translator = Translator(resolve_model(args.model), beam_size=args.beam, max_length=args.max_length, device=args.device)
    except (ModelError, GlossaryError) as e:
        _fail(str(e))
        return 2
    info = translator.describe()
    if info.get("notice") and not args.quiet:
        print(info["notice"], file=sys.stderr)
    failures = 0
    for path in inputs:
        try:
            doc = pipeline.build_document(path)
            total = len(doc.segments)
            with tqdm(total=total, unit="sent", desc=Path(path).name, disable=args.quiet or total <= 5, file=sys.stderr, leave=False) as bar:
                pipeline.translate_document(doc, translator, glossary, bar.update)
            outputs = pipeline.write_outputs(doc, Path(args.out))
        except (ReadError, DocumentError, OSError) as e:
            failures += 1
            _fail(str(e))
            continue
        if not args.quiet:
            s = doc.summary
            print(f"{path}: {s['segments']} segments, mean score {s['mean_score']}, {s['flagged']} flagged → {', '.join(str(o) for o in outputs)}")
    if not args.quiet:
        print(f"{len(inputs) - failures} of {len(inputs)} articles translated with {info['name']} in {time.perf_counter() - started:.1f} s")
    return 1 if failures else 0


def cmd_segment(args: argparse.Namespace) -> int:
    from vi2en import pipeline
    from vi2en.read import ReadError

    inputs = pipeline.expand_inputs(args.inputs)
    if not inputs:
        _fail("no articles found in " + ", ".join(args.inputs))
        return 1
    failures = 0
    try:
        for n, path in enumerate(inputs):
            try:
                doc = pipeline.build_document(path)
            except ReadError as e:
                failures += 1
                _fail(str(e))
                continue
            if len(inputs) > 1:
                separator = "\n" if n else ""
                print(f"{separator}==> {path} <==")
            blocks = [b for b in doc.blocks if b.segments]
            for i, block in enumerate(blocks):
                for seg in block.segments:
                    print(f"{seg.id}\t{block.kind}\t{seg.vi}" if args.ids else seg.vi)
                if i < len(blocks) - 1:
                    print()
    except BrokenPipeError:  # `vi2en segment … | head`: the reader has seen enough
        sys.stdout = open(os.devnull, "w")
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vi2en", description="Vietnamese→English translation of news articles, with glossary, quality scores and aligned bilingual output.")
    parser.add_argument("--version", action="version", version=f"vi2en {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("translate", help="translate articles into aligned JSON, HTML and TMX", epilog=EXAMPLES["translate"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="ARTICLE", help="article files (.txt .md .html .docx), folders, globs, or - for stdin")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--model", help="model folder, or a name under models/ (default: the shipped compact model)")
    p.add_argument("--glossary", help="glossary folder (default: the project's glossary/)")
    p.add_argument("--beam", type=int, default=4, help="beam size (default: 4)")
    p.add_argument("--max-length", type=int, default=256, help="maximum output tokens per sentence (default: 256)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("segment", help="print the sentences an article is split into, one per line", epilog=EXAMPLES["segment"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="ARTICLE", help="article files (.txt .md .html .docx), folders, globs, or - for stdin")
    p.add_argument("--ids", action="store_true", help="prefix each segment with its id and its block's kind (tab-separated)")
    p.set_defaults(func=cmd_segment)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
