"""The `vi2en` command line."""

from __future__ import annotations

import argparse
import getpass
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from vi2en import __version__

EXAMPLES = {
    "translate": """example:
  vi2en translate ../shared/articles/nghean-2024-01-17-secretariat-briefing.txt --out out/
  vi2en translate articles/ --out out/ --model models/opus-mt-vi-en --beam 5
  vi2en translate articles/ --out out/ --tm out/vi2en-tm.sqlite   # reuse approved sentences
  vi2en translate archive/ --out out/ --ray local                   # on a Ray cluster; run again to resume
  VI2EN_API_KEY=… vi2en translate articles/ --out out/ --endpoint http://gpu:8000/v1 --model tencent/Hy-MT2-7B   # an LLM server""",
    "eval": """Scores with sacreBLEU (BLEU, chrF++ with word order 2, TER; default tokenisation, detokenised
text), so numbers compare with published ones. Translating goes through the whole pipeline
(glossary, model, quality score), one segment per line.

example:
  vi2en eval --src ../shared/data/eval/flores200-devtest/flores200-devtest.vi \\
             --ref ../shared/data/eval/flores200-devtest/flores200-devtest.en --report flores.json
  vi2en eval --pairs corpus/test.tsv --report corpus-test.json
  vi2en eval --hyp my-output.en --ref ../shared/data/eval/tatoeba-test/tatoeba-test.en""",
    "segment": """Prints one segment per line, a blank line between blocks (site boilerplate is not
segmented and not printed). With --ids each line is: segment id, block kind, text.

example:
  vi2en segment ../shared/articles/nghean-2024-01-17-secretariat-briefing.txt
  vi2en segment --ids page.html article.docx > segments.txt
  curl -s https://example.vn/bai.html | vi2en segment -""",
    "glossary": """examples:
  vi2en glossary list "Bí thư"                 entries whose Vietnamese or English contains the text
  vi2en glossary add "Sở Ngoại vụ" "Department of Foreign Affairs" --domain provincial --kind body
  vi2en glossary remove "Sở Ngoại vụ" --domain provincial
  vi2en glossary check                          lint every file; exit 1 on any error
  vi2en glossary export glossary.tbx --format tbx-basic   TBX 2 for CAT tools (OmegaT, memoQ, Trados)
  vi2en glossary export glossary.txt --format omegat      OmegaT glossary; --expand-patterns, --include-expired
  vi2en glossary export glossary.tbx            TBX v3, every entry (also .tsv, .csv)
  vi2en glossary import from-cat-tool.tbx       merge entries back (same term, kind and start date: updated)
  vi2en glossary suggest ../shared/articles/*.txt --top 20""",
    "review": """Without accounts the desk is one person's, on 127.0.0.1 only, without a password. With
accounts (stored in the translation memory) everyone logs in: translators edit, reviewers
and admins also approve; only then may it listen on another address.

examples:
  vi2en review out/ --editor "Nguyen Van A"        # then open http://127.0.0.1:8765/
  vi2en review users add lan --role reviewer --db out/    # asks for the password (or reads one line of stdin)
  vi2en review users add minh --role translator --db out/
  vi2en review users list --db out/
  vi2en review users remove minh --db out/
  vi2en review out/ --host 0.0.0.0 --allow-host desk.newsroom.lan --port 9000""",
    "xliff": """examples:
  vi2en xliff export out/nghean-2024-01-17-secretariat-briefing.json -o briefing.xlf      XLIFF 1.2
  vi2en xliff export out/nghean-2024-01-17-secretariat-briefing.json --format 2.1 -o briefing.xlf
  vi2en xliff export out/nghean-2024-01-17-secretariat-briefing.json --copy-source -o omegat/source/briefing.xlf
  vi2en xliff import briefing.xlf --out out/ --editor "Tran Thi B\"""",
    "tm": """example:
  vi2en tm export out/ --format tmx -o omegat/tm/auto/approved.tmx     OmegaT fills segments from tm/auto/
  vi2en tm export out/ --include-drafts -o omegat/tm/mt/drafts.tmx     approved + marked drafts, shown as matches
  vi2en tm export out/vi2en-tm.sqlite --format tsv -o approved.tsv""",
    "publish": """example:
  vi2en publish out/ --site site/
  vi2en publish out/ --site preview/ --drafts""",
    "adapt": """Fine-tunes the model on the translation memory's approved pairs (repeated three times), mixed
with the project's news corpus (corpus/train) and, with --replay, a sample of general data. The
adapted model replaces the one in use only if it scores no worse on the frozen dev set
(corpus/dev.tsv) and on the term test set; the previous one is kept (vi2en models rollback).

examples:
  vi2en adapt --tm out/vi2en-tm.sqlite --minutes 30
  vi2en adapt --tm out/vi2en-tm.sqlite --replay ../shared/data/train/* --minutes 60
  vi2en adapt --tm out/vi2en-tm.sqlite --resume      # an interrupted run goes on from its last checkpoint
  vi2en models rollback compact-vi-en                # back to the model before""",
    "distil": """Sequence-level knowledge distillation: the teacher translates Vietnamese text (the news
corpus's Vietnamese side by default, plus --data and --mono), a small student learns those pairs,
is converted to CTranslate2 int8 with a shortlist, and both are scored and timed on --dev.
A teacher whose licence forbids training on its outputs (vi2en models list: teacher no) is refused.

examples:
  vi2en distil opus-mt-vi-en --out models/student-vi-en --mono archive-vi.txt --minutes 120
  vi2en distil Hy-MT2-7B --endpoint http://gpu:8000/v1 --out models/student-vi-en --limit 200000
  vi2en distil compact-vi-en --out /tmp/student --shape tiny --limit 300 --max-steps 20 --vocab-size 1000   # a quick try""",
    "models": """examples:
  vi2en models list
  vi2en models pull opus-mt-vi-en
  vi2en models convert opus-mt-vi-en        # CTranslate2 int8 copy: used automatically, several times faster
  vi2en models shortlist opus-mt-vi-en ../shared/data/train/*   # score only likely target tokens: faster again
  vi2en models info models/opus-mt-vi-en
  vi2en models rollback compact-vi-en       # undo the last vi2en adapt""",
}


def _fail(message: str) -> None:
    from vi2en.read import display_name
    from vi2en.text import one_line

    # a message may be a list on purpose (xliff import's problems, one a line); each line is printable
    print("vi2en: " + "\n".join(one_line(line) for line in display_name(message).split("\n")), file=sys.stderr)


def _limits(args: argparse.Namespace):
    from vi2en.read import Limits

    return Limits(file_bytes=int(args.max_file_mb * 2**20), docx_bytes=int(args.max_docx_mb * 2**20),
                  paragraphs=args.max_paragraphs, paragraph_chars=args.max_paragraph_chars)


def _add_limit_options(p: argparse.ArgumentParser) -> None:
    from vi2en.read import DEFAULT_LIMITS as d

    p.add_argument("--max-file-mb", type=float, default=d.file_bytes / 2**20, help=f"largest article file (default: {d.file_bytes / 2**20:.0f})")
    p.add_argument("--max-docx-mb", type=float, default=d.docx_bytes / 2**20, help=f"largest unpacked .docx (default: {d.docx_bytes / 2**20:.0f})")
    p.add_argument("--max-paragraphs", type=int, default=d.paragraphs, help=f"most paragraphs in one article (default: {d.paragraphs})")
    p.add_argument("--max-paragraph-chars", type=int, default=d.paragraph_chars, help=f"longest paragraph (default: {d.paragraph_chars})")


def _refuse_collisions(inputs: list[str]) -> bool:
    from vi2en import pipeline

    collisions = pipeline.colliding_stems(inputs)
    for a, b in collisions:
        _fail(f"{a} and {b} would write the same outputs ({Path(a).stem}.json …); rename one, or translate them into different --out folders")
    return bool(collisions)


def _open_translator(args: argparse.Namespace):
    """The model for `translate` and `eval`, loaded once for the whole run."""
    from vi2en.models import choose_model
    from vi2en.backends import ModelError, open_translator

    if getattr(args, "endpoint", None):  # an OpenAI-compatible server: --model names the model it serves
        if not args.model:
            raise ModelError(f"{args.endpoint}: --endpoint needs --model NAME, the model the server serves")
        translator = open_translator(args.model, backend="openai", endpoint=args.endpoint, prompt=args.prompt, max_length=args.max_length)
        translator.selected_by = "--endpoint"
        return translator
    model_dir, selected_by = choose_model(args.model)
    options = {"prompt": args.prompt} if getattr(args, "prompt", None) else {}
    translator = open_translator(model_dir, backend=args.backend, beam_size=args.beam, max_length=args.max_length, device=args.device, **options)
    translator.selected_by = selected_by
    return translator


@dataclass
class TranslateRun:
    """What every article of one `vi2en translate` run shares, opened once per process: this
    one's, or each cluster actor's (cluster.py), so both translate an article the same way."""

    translator: object
    glossary: object  # vi2en.glossary.Glossary
    entities: object  # vi2en.entities.Entities
    memory: object  # vi2en.memory.Memory, or None
    limits: object  # vi2en.read.Limits

    def translate(self, path: str, out_dir: Path, **options):
        """pipeline.translate_article with this run's model, glossary, memory and limits."""
        from vi2en import pipeline

        return pipeline.translate_article(path, out_dir, self.translator, self.glossary, limits=self.limits, memory=self.memory, entities=self.entities, **options)

    def translate_all(self, paths: list[str], out_dir: Path, **options):
        """pipeline.translate_articles (a folder's segments batched across articles) with this run's model, glossary, memory and limits."""
        from vi2en import pipeline

        return pipeline.translate_articles(paths, out_dir, self.translator, self.glossary, limits=self.limits, memory=self.memory, entities=self.entities, **options)


def open_translate_run(args: argparse.Namespace) -> TranslateRun:
    """The model, glossary, entity rules and memory `translate` uses; ModelError, GlossaryError
    or TMError (one line each) when one cannot be used."""
    from vi2en.entities import Entities
    from vi2en.glossary import PROJECT_GLOSSARY, Glossary
    from vi2en.memory import DEFAULT_NAME, Memory

    glossary_dir = Path(args.glossary) if args.glossary else PROJECT_GLOSSARY
    glossary, entities = Glossary.load(glossary_dir), Entities.load(glossary_dir)
    default_tm = Path(args.out) / DEFAULT_NAME
    memory = Memory(Path(args.tm)) if args.tm else Memory(default_tm) if default_tm.exists() else None
    return TranslateRun(_open_translator(args), glossary, entities, memory, _limits(args))


def article_line(path: str, outcome) -> str:
    """What `translate` prints for an article it translated."""
    doc, s = outcome.doc, outcome.doc.summary
    reused = sum(seg.origin == "tm" for seg in doc.segments)
    return f"{path}: {s['segments']} segments ({reused} from the translation memory), mean score {s['mean_score']}, {s['flagged']} flagged → {', '.join(str(o) for o in outcome.outputs)}"


def cmd_translate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vi2en import pipeline
    from vi2en.glossary import GlossaryError
    from vi2en.memory import TMError
    from vi2en.backends import ModelError

    started = time.perf_counter()
    inputs = pipeline.expand_inputs(args.inputs)
    if not inputs:
        _fail("no articles found in " + ", ".join(args.inputs))
        return 1
    if _refuse_collisions(inputs):
        return 2
    if args.ray:  # the same per-article function, on a pool of actors (imports Ray only here)
        from vi2en import cluster

        return cluster.cmd_translate(args, inputs)
    try:
        run = open_translate_run(args)
    except (ModelError, GlossaryError, TMError) as e:
        _fail(str(e))
        return 2
    info = run.translator.describe()
    if info.get("notice") and not args.quiet:
        print(info["notice"], file=sys.stderr)

    failures = 0
    with tqdm(total=0, unit="sent", desc="translating", disable=args.quiet, file=sys.stderr, leave=False) as bar:

        def read(doc) -> None:  # the total grows as articles are read, while the model works
            bar.total += len(doc.segments)
            bar.set_description_str("translating")
            bar.refresh()

        def translated(n: int) -> None:
            bar.update(n)
            if bar.n >= bar.total:  # what remains is putting back terms the model left out
                bar.set_description_str("checking terms")

        try:
            batching = {} if args.batch_segments is None else {"batch_segments": args.batch_segments}
            for path, outcome in zip(inputs, run.translate_all(inputs, Path(args.out), progress=translated, read=read, **batching)):
                if outcome.error:
                    failures += 1
                    bar.clear()
                    _fail(outcome.error)
                elif not args.quiet:
                    tqdm.write(article_line(path, outcome), file=sys.stdout)
        except ModelError as e:  # the model itself is broken: every article would fail the same way
            _fail(str(e))
            return 2
    if not args.quiet:
        print(f"{len(inputs) - failures} of {len(inputs)} articles translated with {info['name']} in {time.perf_counter() - started:.1f} s")
    return 1 if failures else 0


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None


def cmd_eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vi2en import evaluate, pipeline
    from vi2en.backends import ModelError
    from vi2en.corpus import DataError, read_tsv
    from vi2en.entities import Entities
    from vi2en.glossary import PROJECT_GLOSSARY, Glossary, GlossaryError
    from vi2en.terms import TermReport

    try:
        if args.pairs:
            if args.src or args.ref:
                raise ValueError("give --pairs, or --src/--hyp with --ref, not both")
            pairs = read_tsv(Path(args.pairs))[: args.limit]
            args.src, args.ref = args.pairs, args.pairs  # the report names the file both came from
            source, refs = [vi for vi, _ in pairs], [en for _, en in pairs]
        elif not args.ref:
            raise ValueError("give --ref FILE.en (or --pairs FILE.tsv)")
        else:
            refs = _read_lines(args.ref)[: args.limit]
            source = _read_lines(args.src)[: args.limit] if args.src else None
        hyps = _read_lines(args.hyp)[: args.limit] if args.hyp else None
        for name, lines in ((args.src, source), (args.hyp, hyps)):
            if lines is not None and len(lines) != len(refs):
                raise ValueError(f"{name}: {len(lines)} lines but {args.ref} has {len(refs)}")
    except (DataError, ValueError) as e:
        _fail(str(e))
        return 2
    quality = flags = doc = None
    terms = None
    if hyps is None:
        if source is None:
            _fail("give --src to translate, or --hyp to score an existing translation")
            return 2
        try:
            glossary_dir = None if args.no_glossary else Path(args.glossary) if args.glossary else PROJECT_GLOSSARY
            glossary = Glossary.load(glossary_dir)
            entities = Entities.load(glossary_dir) if glossary_dir and not args.no_entities else None
            translator = _open_translator(args)
        except (ModelError, GlossaryError) as e:
            _fail(str(e))
            return 2
        doc = pipeline.document_from_lines(source, args.src)
        with tqdm(total=len(source), unit="sent", desc="translating", disable=args.quiet, file=sys.stderr, leave=False) as bar:
            pipeline.translate_document(doc, translator, glossary, bar.update, entities=entities)
        hyps = [s.en for s in doc.segments]
        quality = [s.score for s in doc.segments]
        flags = [bool(s.flags) for s in doc.segments]
        report_terms = TermReport()
        for s in doc.segments:
            report_terms.add(s.vi, s.en, s.terms, s.flags)
        terms = report_terms.as_dict()
    report = evaluate.evaluate(hyps, refs, quality, flags)
    report["source"], report["reference"] = args.src, args.ref
    if doc is not None:
        report["model"] = doc.model
        report["term_accuracy"] = terms
        report["per_segment"] = [
            {"id": s.id, "vi": s.vi, "en": s.en, "ref": ref, "score": s.score, "flags": s.flags, "signals": s.signals, "chrf++": c}
            for s, ref, c in zip(doc.segments, refs, report["sentence_chrf++"])
        ]
    for name, value in report["corpus"].items():
        print(f"{name:7} {value['score']:6.2f}  {value['signature']}")
    if terms and terms["terms"]:
        print(f"terms   {100 * terms['accuracy']:6.2f}  ({terms['rendered']} of {terms['terms']} glossary terms rendered as the glossary gives them)")
    if quality is not None:
        corr, worst = report["quality_correlation"], report["worst_10pct_flagged"]
        def percent(share: float, interval: list[float]) -> str:
            return f"{100 * share:.1f}%, 95% CI {100 * interval[0]:.1f}–{100 * interval[1]:.1f}"

        low, high = corr["pearson_95ci"]
        interval = "" if math.isnan(low) else f" (95% CI {low:.3f}–{high:.3f})"  # undefined for three segments or fewer
        print(f"quality score vs sentence chrF++: Pearson {corr['pearson']:.3f}{interval}, Spearman {corr['spearman']:.3f}; "
              f"{worst['flagged']} of the worst {worst['worst']} segments flagged ({percent(worst['recall'], worst['recall_95ci'])}), "
              f"{worst['flagged_total']} of {len(quality)} flagged in all ({percent(worst['flagged_share'], worst['flagged_share_95ci'])})")
    if args.report:
        evaluate.write_report(report, Path(args.report))
        print(f"report: {args.report}")
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    from vi2en import pipeline
    from vi2en.read import ReadError

    inputs = pipeline.expand_inputs(args.inputs)
    if not inputs:
        _fail("no articles found in " + ", ".join(args.inputs))
        return 1
    failures = 0
    limits = _limits(args)
    try:
        for n, path in enumerate(inputs):
            try:
                doc = pipeline.build_document(path, limits)
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
# ---------------------------------------------------------------- vi2en glossary


def _glossary_folder(args: argparse.Namespace, *, may_be_new: bool = False) -> Path:
    from vi2en.glossary import PROJECT_GLOSSARY, GlossaryError

    folder = Path(args.glossary) if args.glossary else PROJECT_GLOSSARY
    if not may_be_new and not folder.is_dir():
        raise GlossaryError(f"{folder}: no glossary folder there")
    return folder


def _read_glossary(args: argparse.Namespace):
    """The glossary files; rows that cannot be read are an error here, not silently left out."""
    from vi2en.glossary import GlossaryError, read_folder

    folder = _glossary_folder(args)
    files, problems, _ = read_folder(folder)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise GlossaryError(f"{folder / errors[0].file}:{errors[0].line}: {errors[0].message} (run `vi2en glossary check`)")
    return files


def _format(path: str, given: str | None) -> str:
    fmt = given or Path(path).suffix.lower().lstrip(".")  # a given format is one of the command's choices
    if not given and fmt not in ("tsv", "csv", "tbx"):
        raise ValueError(f"{path}: say --format (the file name does not tell)")
    return fmt


def cmd_glossary(args: argparse.Namespace) -> int:
    from vi2en.glossary import GlossaryError

    try:
        return args.glossary_func(args)
    except (GlossaryError, ValueError) as e:
        _fail(str(e))
        return 1


def cmd_glossary_list(args: argparse.Namespace) -> int:
    files = _read_glossary(args)
    needle = (args.filter or "").casefold()
    shown = 0
    for name, entries in files.items():
        if args.domain and name != f"{args.domain}.tsv":
            continue
        for e in entries:
            if needle and needle not in e.vi.casefold() and needle not in e.en.casefold():
                continue
            if (args.kind and e.kind != args.kind) or (args.on and not e.valid_on(args.on)):
                continue
            period = f"  [{e.valid_from or '…'} – {e.valid_until or '…'}]" if e.valid_from or e.valid_until else ""
            print(f"{e.where}\t{e.vi}\t→ {e.en}\t({e.kind}{', fills {' + e.slot + '}' if e.slot else ''}){period}")
            shown += 1
    print(f"{shown} entries", file=sys.stderr)
    return 0


def cmd_glossary_add(args: argparse.Namespace) -> int:
    from vi2en.glossary import Entry
    from vi2en.glossary_edit import add_entry

    entry = Entry(args.vi.strip(), args.en.strip(), args.kind, args.slot or "", args.note or "", args.source or "", args.valid_from or "", args.valid_until or "")
    added = add_entry(_glossary_folder(args, may_be_new=True), args.domain, entry, replace_existing=args.replace)
    print(f"added to {added.file}: {added.vi} → {added.en}")
    return 0


def cmd_glossary_remove(args: argparse.Namespace) -> int:
    from vi2en.glossary_edit import remove_entries

    for e in remove_entries(_glossary_folder(args), args.vi, domain=args.domain, valid_from=args.valid_from):
        print(f"removed {e.where}: {e.vi} → {e.en}")
    return 0


def cmd_glossary_check(args: argparse.Namespace) -> int:
    from vi2en.glossary_edit import check_folder

    started = time.perf_counter()
    problems, count = check_folder(_glossary_folder(args))
    for p in problems:
        print(p)
    errors = sum(p.level == "error" for p in problems)
    print(f"{count} entries checked in {time.perf_counter() - started:.2f} s: {errors} errors, {len(problems) - errors} warnings", file=sys.stderr)
    return 1 if errors else 0


def cmd_glossary_import(args: argparse.Namespace) -> int:
    from vi2en.glossary_edit import import_entries, read_import

    fmt = _format(args.file, args.format)
    rows = read_import(Path(args.file), "tbx" if fmt == "tbx-basic" else fmt, args.domain)  # one reader for both TBX dialects
    added, updated = import_entries(_glossary_folder(args, may_be_new=True), rows)
    print(f"{args.file}: {len(rows)} entries read, {added} added, {updated} updated, {len(rows) - added - updated} unchanged")
    return 0


def cmd_glossary_export(args: argparse.Namespace) -> int:
    from vi2en.document import write_atomic
    from vi2en.glossary_export import Options, export_glossary

    files = _read_glossary(args)
    if args.domain:
        files = {k: v for k, v in files.items() if k == f"{args.domain}.tsv"}
    done = export_glossary(files, _format(args.file, args.format), Options(args.expand_patterns, args.include_expired))
    write_atomic(Path(args.file), done.data)
    details = [f"{done.patterns_left_out} slot patterns left out (--expand-patterns for examples)" if done.patterns_left_out else "",
               f"{done.examples} examples of patterns" if done.examples else "",
               f"{done.expired_left_out} expired entries left out (--include-expired)" if done.expired_left_out else "",
               f"{done.expired} expired entries marked expired" if done.expired else ""]
    print(f"{args.file}: {done.entries} entries from {len(files)} files" + "".join(f"; {d}" for d in details if d))
    return 0


def cmd_glossary_suggest(args: argparse.Namespace) -> int:
    from vi2en.glossary import Glossary
    from vi2en.glossary_edit import suggest
    from vi2en.read import ReadError, read_article

    texts = {}
    for path in args.articles:
        try:
            texts[Path(path).name] = "\n".join(text for text, _ in read_article(path).paragraphs)
        except (ReadError, OSError) as e:
            _fail(str(e))
    found = suggest(texts, Glossary.load(_glossary_folder(args)), args.date)
    for s in found[: args.top]:
        print(f"{s.count:4d}  {s.kind:12s}  {s.text}\n      {s.context}")
    print(f"{len(found)} candidate terms not in the glossary" + (f", {args.top} shown" if len(found) > args.top else ""), file=sys.stderr)
    return 0 if texts else 1


def _add_glossary_parser(sub) -> None:
    from vi2en.glossary import KINDS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--glossary", help="glossary folder (default: the project's glossary/)")
    p = sub.add_parser("glossary", help="list, edit, check, import/export the terminology glossary", epilog=EXAMPLES["glossary"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=cmd_glossary)
    gsub = p.add_subparsers(dest="glossary_command", required=True)

    def command(name: str, func, help: str):
        q = gsub.add_parser(name, help=help, parents=[common], epilog=EXAMPLES["glossary"], formatter_class=argparse.RawDescriptionHelpFormatter)
        q.set_defaults(glossary_func=func)
        return q

    q = command("list", cmd_glossary_list, "show entries (optionally filtered)")
    q.add_argument("filter", nargs="?", help="text the Vietnamese or English contains")
    q.add_argument("--kind", choices=sorted(KINDS))
    q.add_argument("--domain", help="one file, e.g. provincial")
    q.add_argument("--on", metavar="DATE", help="only entries valid on this ISO date")
    q = command("add", cmd_glossary_add, "add an entry (the file stays sorted)")
    q.add_argument("vi")
    q.add_argument("en")
    q.add_argument("--domain", required=True, help="file to add to, e.g. provincial (created if new)")
    q.add_argument("--kind", required=True, choices=sorted(KINDS))
    q.add_argument("--slot", help="slot names this entry fills, e.g. province")
    q.add_argument("--note")
    q.add_argument("--source", help="where the rendering comes from, e.g. VNA")
    q.add_argument("--valid-from", metavar="DATE")
    q.add_argument("--valid-until", metavar="DATE")
    q.add_argument("--replace", action="store_true", help="replace an entry with the same term, kind and start date")
    q = command("remove", cmd_glossary_remove, "remove entries with this Vietnamese term")
    q.add_argument("vi")
    q.add_argument("--domain", help="only from this file")
    q.add_argument("--valid-from", metavar="DATE", help="only the entry starting on this date")
    command("check", cmd_glossary_check, "lint every file; exit 1 on any error")
    from vi2en.glossary_export import FORMATS

    for name, func, help, formats in [
        ("import", cmd_glossary_import, "merge entries from a TSV, CSV or TBX (v3 or 2) file", ["tsv", "csv", "tbx", "tbx-basic"]),
        ("export", cmd_glossary_export, "write the glossary as TBX-Basic (TBX 2), an OmegaT glossary, TBX v3, TSV or CSV", list(FORMATS)),
    ]:
        q = command(name, func, help)
        q.add_argument("file")
        q.add_argument("--format", choices=formats, help="default: from the file name (.tsv, .csv, .tbx: TBX v3)" + ("; " + "; ".join(f"{f.name}: {f.what}" for f in FORMATS.values()) if name == "export" else ""))
        q.add_argument("--domain", help="import: file for rows without a domain column; export: only this file")
    q.add_argument("--expand-patterns", action="store_true", help="tbx-basic, omegat: a few filled-in examples of each slot pattern instead of leaving patterns out")
    q.add_argument("--include-expired", action="store_true", help="tbx-basic, omegat: entries past their end date too, marked expired")
    q = command("suggest", cmd_glossary_suggest, "candidate terms in articles that the glossary does not cover")
    q.add_argument("articles", nargs="+", metavar="ARTICLE")
    q.add_argument("--top", type=int, default=30, help="how many to show (default: 30)")
    q.add_argument("--date", help="ISO date: which entries count as present (default: those in force now)")


# --- review, translation memory, XLIFF and publishing --------------------------------------


def _memory_path(args: argparse.Namespace, out_dir: Path) -> Path:
    from vi2en.memory import DEFAULT_NAME

    return Path(args.db) if args.db else out_dir / DEFAULT_NAME


def cmd_review_users(args: argparse.Namespace) -> int:
    from vi2en.memory import DEFAULT_NAME, Memory, TMError

    action, names = (args.users_args or ["list"])[0], args.users_args[1:]
    if action not in ("add", "remove", "list") or (action != "list" and len(names) != 1):
        _fail("usage: vi2en review users add NAME --role ROLE --db DB | remove NAME --db DB | list --db DB")
        return 2
    if not args.db:
        _fail("vi2en review users: give --db, the translation memory file or the output folder holding it")
        return 2
    db = Path(args.db) / DEFAULT_NAME if Path(args.db).is_dir() else Path(args.db)
    try:
        memory = Memory(db, create=action == "add")
        if action == "add":
            if sys.stdin.isatty():
                password = getpass.getpass(f"password for {names[0]}: ")
                if getpass.getpass("again: ") != password:
                    _fail("the two passwords differ; nothing was changed")
                    return 1
            else:  # scripted: one line of standard input
                password = sys.stdin.readline().rstrip("\r\n")
            user = memory.add_user(names[0], args.role, password)
            print(f"added {user.name} ({user.role}) to {memory.path}")
        elif action == "remove":
            memory.remove_user(names[0])
            print(f"removed {names[0]} from {memory.path}")
        else:
            users = memory.users()
            for user in users:
                print(f"{user.name}\t{user.role}")
            if not users:
                print(f"no accounts in {memory.path}: the desk is one person's, on 127.0.0.1 only", file=sys.stderr)
    except TMError as e:
        _fail(str(e))
        return 1
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from vi2en.memory import Memory, TMError
    from vi2en.review import create_app
    from vi2en.review.accounts import LOOPBACK_NAMES, is_loopback

    if args.out_dir == "users":
        return cmd_review_users(args)
    if args.users_args:
        _fail(f"vi2en review: one output folder, not {' '.join([args.out_dir, *args.users_args])} (accounts: vi2en review users ...)")
        return 2
    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        _fail(f"{out_dir}: no such folder (run vi2en translate --out {out_dir} first)")
        return 2
    try:
        memory = Memory(_memory_path(args, out_dir), create=True)
    except TMError as e:
        _fail(str(e))
        return 2
    hosts = list(LOOPBACK_NAMES)
    if not is_loopback(args.host):
        if not memory.users():
            _fail(f"refusing to listen on {args.host}: without accounts anyone on the network could edit; add some first (vi2en review users add NAME --role reviewer --db {memory.path})")
            return 2
        hosts = [h for h in [args.host, *args.allow_host] if h not in ("0.0.0.0", "::")]
        if not hosts:
            _fail(f"listening on {args.host} needs --allow-host with the name or address editors type in the browser")
            return 2
    glossary = Path(args.glossary) if args.glossary else None
    try:
        server = make_server(args.host, args.port, create_app(out_dir, memory, args.editor or getpass.getuser(), hosts=hosts, glossary=glossary), threaded=True)
    except OSError as e:
        _fail(f"cannot listen on {args.host}:{args.port} ({e})")
        return 2
    print(f"Reviewing {out_dir} (translation memory {memory.path}) at http://{args.host}:{server.server_port}/ — Ctrl+C to stop", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def cmd_xliff(args: argparse.Namespace) -> int:
    from vi2en import document
    from vi2en.memory import Memory, TMError
    from vi2en.xliff import XliffError, dialects, import_xliff

    if args.copy_source and args.format != "1.2":
        _fail("--copy-source is for XLIFF 1.2 (OmegaT 3.x translates a 1.2 file's target); XLIFF 2 tools translate the source")
        return 2
    try:
        if args.action == "export":
            doc_path = Path(args.document)
            doc = document.load(doc_path)
            db = _memory_path(args, doc_path.parent)
            target = Path(args.output) if args.output else doc_path.with_suffix(".xlf")
            render = dialects()[args.format].render
            document.write_atomic(target, render(doc, Memory(db) if db.exists() else None, copy_source=args.copy_source))
            print(f"{doc_path} → {target} (XLIFF {args.format}, {len(doc.segments)} units)")
        else:
            xlf = Path(args.document)
            out_dir = Path(args.out) if args.out else xlf.parent
            result = import_xliff(xlf, out_dir, Memory(_memory_path(args, out_dir), create=True), args.editor or getpass.getuser())
            approved = f"; approved sentences changed: {', '.join(result.approved_changed)}" if result.approved_changed else ""
            print(f"{xlf} → {result.doc.stem}: {len(result.changes)} of {len(result.doc.segments)} segments changed{approved}")
    except (document.DocumentError, TMError, XliffError) as e:
        _fail(str(e))
        return 1
    return 0


def cmd_tm(args: argparse.Namespace) -> int:
    from vi2en import document, tmx
    from vi2en.memory import DEFAULT_NAME, Memory, TMError

    path = Path(args.db)
    if args.include_drafts and (args.format != "tmx" or not path.is_dir()):
        _fail(f"{path}: --include-drafts needs the output folder (the drafts are its documents) and --format tmx (TSV cannot mark a draft)")
        return 2
    try:
        memory = Memory(path / DEFAULT_NAME if path.is_dir() else path)
        pairs = tmx.approved_pairs(memory)
        drafts = tmx.draft_pairs([document.load(p) for p in sorted(path.glob("*.json"))], memory) if args.include_drafts else []
        if args.format == "tmx":
            data = tmx.render_pairs(pairs + drafts)
        else:  # one pair a line; tabs and newlines inside a sentence become spaces so every line stays a pair
            data = "".join(f"{' '.join(p.vi.split())}\t{' '.join(p.en.split())}\n" for p in pairs)
        document.write_atomic(Path(args.output), data)
    except (TMError, OSError, document.DocumentError) as e:
        _fail(str(e))
        return 1
    marked = f" and {len(drafts)} drafts marked x-vi2en-status machine or edited" if args.include_drafts else ""
    print(f"{len(pairs)} approved sentence pairs{marked} → {args.output}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from vi2en.memory import Memory, TMError
    from vi2en.publish import PublishError, build_site

    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        _fail(f"{out_dir}: no such folder")
        return 2
    try:
        db = _memory_path(args, out_dir)
        articles, left_out = build_site(out_dir, Path(args.site), Memory(db, create=not args.db), drafts=args.drafts)
    except (TMError, PublishError, OSError) as e:
        _fail(str(e))
        return 1
    for line in left_out:
        print(f"left out: {line}", file=sys.stderr)
    drafts = sum(a.draft for a in articles)
    print(f"{len(articles)} articles published ({drafts} drafts) → {args.site}/index.html")
    return 0


def add_review_parsers(sub) -> None:
    def add(name: str, help: str):
        return sub.add_parser(name, help=help, epilog=EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter)

    p = add("review", "review and approve translations in a local web app")
    p.add_argument("out_dir", metavar="OUT_DIR", help="the folder of aligned *.json documents (vi2en translate --out), or `users` to manage accounts")
    p.add_argument("users_args", nargs="*", metavar="ACTION NAME", help="after `users`: add NAME | remove NAME | list")
    p.add_argument("--db", help="translation memory file (default: OUT_DIR/vi2en-tm.sqlite, created when missing); for `users`, the file or its folder")
    p.add_argument("--role", choices=["translator", "reviewer", "admin"], default="translator", help="users add: translator (edits), reviewer (also approves) or admin (default: translator)")
    p.add_argument("--editor", help="without accounts: your name, recorded with every edit (default: your login name)")
    p.add_argument("--glossary", help="glossary folder a reviewer's 'add to glossary' writes to (default: none, the button is not shown)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only; any other needs accounts)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME", help="a Host name editors use to reach the desk (repeatable; needed with --host 0.0.0.0)")
    p.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    p.set_defaults(func=cmd_review)

    p = add("xliff", "export a document to XLIFF 1.2 (or 2.1) for a CAT tool, or import the reviewed file")
    p.add_argument("action", choices=["export", "import"])
    p.add_argument("document", metavar="FILE", help="export: OUT_DIR/ARTICLE.json; import: the .xlf file")
    p.add_argument("-o", "--output", help="export: the .xlf to write (default: beside the JSON)")
    p.add_argument("--out", help="import: the folder of the aligned documents (default: the .xlf's folder)")
    p.add_argument("--db", help="translation memory file (default: vi2en-tm.sqlite in the documents' folder)")
    p.add_argument("--editor", help="import: who reviewed the file, recorded with every change (default: your login name)")
    p.add_argument("--format", choices=["1.2", "2.1"], default="1.2", help="export: XLIFF version (default: 1.2, which CAT tools read; import reads both)")
    p.add_argument("--copy-source", action="store_true", help="export, 1.2: the target holds a copy of the Vietnamese, as OmegaT 3.x and Okapi expect (give OmegaT the drafts as a TMX: vi2en tm export --include-drafts)")
    p.set_defaults(func=cmd_xliff)

    p = add("tm", "export the approved sentence pairs of the translation memory")
    p.add_argument("action", choices=["export"])
    p.add_argument("db", metavar="DB", help="translation memory file, or the output folder holding vi2en-tm.sqlite")
    p.add_argument("--format", choices=["tmx", "tsv"], default="tmx", help="TMX 1.4b for CAT tools, or vi<TAB>en lines (default: tmx)")
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.add_argument("--include-drafts", action="store_true", help="TMX from an output folder: also the sentences nobody approved, each marked machine or edited (give OmegaT these in tm/mt/, never tm/auto/)")
    p.set_defaults(func=cmd_tm)

    p = add("publish", "build a static site of the approved articles")
    p.add_argument("out_dir", metavar="OUT_DIR", help="the folder of aligned *.json documents")
    p.add_argument("--site", required=True, help="site folder to (re)build; replaced whole, atomically")
    p.add_argument("--db", help="translation memory file (default: OUT_DIR/vi2en-tm.sqlite)")
    p.add_argument("--drafts", action="store_true", help="also publish unapproved articles, labelled as drafts")
    p.set_defaults(func=cmd_publish)


# --- vi2en models ---------------------------------------------------------------------------


def cmd_models_list(args: argparse.Namespace) -> int:
    from vi2en import models

    registry = models.load_registry()
    print(f"{'name':26} {'licence':18} {'size':>8}  {'installed':9}  {'teacher':7}  note")
    for entry in registry:
        folder = entry.folder()
        state = ("yes+ct2" if models.has_ct2_copy(folder) else "yes") if entry.installed() else "no"
        size = f"{entry.size_mb / 1000:.1f} GB" if entry.size_mb >= 1000 else f"{entry.size_mb} MB" if entry.size_mb else "-"
        licence = entry.licence + ("" if entry.commercial else " (NC)")
        note = entry.note + models.adaptation_note(folder) + (f"; as a teacher: {entry.teacher_note}" if entry.teacher_note else "")
        # teacher: whether `vi2en distil` may train a student on its translations ("verify": the note says what to check)
        teacher = "no" if not entry.teacher else "verify" if entry.teacher_note else "yes"
        print(f"{entry.name:26} {licence:18} {size:>8}  {state:9}  {teacher:7}  {note}")
    return 0


def cmd_models_pull(args: argparse.Namespace) -> int:
    from vi2en import models

    entry = models.find_entry(args.name, models.load_registry())
    if entry.notice:
        print(f"licence: {entry.licence}. {entry.notice}", file=sys.stderr)
    print(f"downloading {entry.hf_id} ({entry.size_mb} MB) into {entry.folder()} …", file=sys.stderr)
    folder = models.pull(entry)
    print(f"{entry.name}: installed in {folder}")
    return 0


def cmd_models_convert(args: argparse.Namespace) -> int:
    from vi2en import models

    folder = models.choose_model(args.model)[0]
    print(f"converting {folder} to CTranslate2 int8 …", file=sys.stderr)
    print(f"{folder}: CTranslate2 copy written to {models.convert(folder, force=args.force)}")
    return 0


def cmd_models_shortlist(args: argparse.Namespace) -> int:
    from vi2en import models

    folder = models.choose_model(args.model)[0]
    print(f"building the vocabulary shortlist of {folder} from {len(args.corpora)} corpora …", file=sys.stderr)
    path, pairs = models.shortlist(folder, [Path(c) for c in args.corpora], per_token=args.per_token, frequent=args.frequent)
    print(f"{folder}: shortlist from {pairs} sentence pairs written to {path}; the CTranslate2 backend uses it from now on")
    return 0


def cmd_models_rollback(args: argparse.Namespace) -> int:
    from vi2en import adapt, models

    folder = adapt.rollback(models.choose_model(args.model)[0])
    print(f"{folder}: the previous model is back in use; the one it replaced is kept as {adapt.previous_of(folder).name}")
    return 0


def cmd_adapt(args: argparse.Namespace) -> int:
    from vi2en import adapt, models
    from vi2en.backends import ModelError
    from vi2en.corpus import DataError
    from vi2en.memory import Memory, TMError

    try:
        model_dir = models.choose_model(args.model)[0]
        memory = Memory(Path(args.tm))
        work = Path(args.work) if args.work else model_dir.with_name(f".{model_dir.name}.adapt")
        outcome = adapt.adapt(model_dir, memory, work=work, dev=Path(args.dev), replay=[Path(p) for p in args.replay],
                              minutes=args.minutes, max_steps=args.max_steps, resume=args.resume,
                              log=lambda line: print(line, file=sys.stderr))
    except (ModelError, DataError, TMError) as e:
        _fail(str(e))
        return 2
    except OSError as e:
        _fail(f"{e.filename or args.work}: {e.strerror or e}; the model in use was not changed")
        return 2
    b, a = outcome.before, outcome.after
    print(f"dev chrF++ {b.dev_chrf} → {a.dev_chrf}; " + "; ".join(f"terms {Path(k).name} {100 * v:.1f}% → {100 * a.terms[k]:.1f}%" for k, v in b.terms.items()))
    if outcome.installed:
        print(f"{outcome.model}: adapted on {outcome.approved_pairs} approved pairs and now in use; the previous model is {outcome.previous} (vi2en models rollback to undo)")
        return 0
    print(f"{outcome.model}: the adapted model scored worse and was not installed; the model in use is unchanged")
    return 1


def cmd_distil(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vi2en import distil
    from vi2en.adapt import NEWS_TRAIN
    from vi2en.backends import ModelError, open_translator
    from vi2en.corpus import DataError
    from vi2en.models import choose_model

    out = Path(args.out)
    work = Path(args.work) if args.work else out.with_name(f".{out.name}.distil")

    def open_teacher():
        if args.endpoint:
            return open_translator(args.teacher, backend="openai", endpoint=args.endpoint)
        return open_translator(choose_model(args.teacher)[0], backend=args.backend, beam_size=args.beam)

    try:
        distil.refuse_teacher(args.teacher)
        corpora = [Path(p) for p in args.data] if args.data is not None else [NEWS_TRAIN]
        with tqdm(unit="sent", desc="teacher", file=sys.stderr, leave=False) as bar:
            report = distil.distil(open_teacher, args.teacher, out=out, work=work, corpora=corpora, monolingual=[Path(p) for p in args.mono],
                                   dev=Path(args.dev), dev_limit=args.dev_limit, limit=args.limit, shape=args.shape, vocab_size=args.vocab_size,
                                   minutes=args.minutes, max_steps=args.max_steps, copy_set=args.copy_set, progress=bar.update,
                                   log=lambda line: print(line, file=sys.stderr))
    except (ModelError, DataError) as e:
        _fail(str(e))
        return 2
    except OSError as e:
        _fail(f"{e.filename or work}: {e.strerror or e}")
        return 2
    print("\n".join(report.lines()))
    print(f"{out}: student installed (CTranslate2 int8 and shortlist); report in {out / 'distil-report.json'}")
    return 0


def cmd_models_info(args: argparse.Namespace) -> int:
    from vi2en import models

    for key, value in models.info(Path(args.path)).items():
        print(f"{key:13} {value if value is not None else '-'}")
    return 0


def run_models(args: argparse.Namespace) -> int:
    from vi2en.backends import ModelError

    try:
        return args.models_func(args)
    except ModelError as e:
        _fail(str(e))
        return 2


def add_models_parser(sub) -> None:
    p = sub.add_parser("models", help="list, download, convert and describe translation models", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=run_models)
    models_sub = p.add_subparsers(dest="models_command", required=True)
    q = models_sub.add_parser("list", help="supported models with licence, size and whether installed", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.set_defaults(models_func=cmd_models_list)
    q = models_sub.add_parser("pull", help="download a registry model into models/NAME (resumable)", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("name", help="a name from `vi2en models list`")
    q.set_defaults(models_func=cmd_models_pull)
    q = models_sub.add_parser("convert", help="make a CTranslate2 int8 copy (models/NAME/ct2-int8/)", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("model", metavar="NAME|PATH", help="a model name under models/ or a model folder")
    q.add_argument("--force", action="store_true", help="replace an existing copy")
    q.set_defaults(models_func=cmd_models_convert)
    q = models_sub.add_parser("shortlist", help="build the vocabulary shortlist that speeds up the CTranslate2 copy", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("model", metavar="NAME|PATH", help="a model name under models/ or a model folder, already converted")
    q.add_argument("corpora", nargs="+", metavar="CORPUS", help="folders of NAME.vi/NAME.en files, or .tmx files (e.g. `vi2en tm export --format tmx`)")
    q.add_argument("--per-token", type=int, default=50, help="candidates kept per source token (default: 50)")
    q.add_argument("--frequent", type=int, default=300, help="most frequent target tokens, always candidates (default: 300)")
    q.set_defaults(models_func=cmd_models_shortlist)
    q = models_sub.add_parser("rollback", help="put back the model that the last vi2en adapt replaced", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("model", metavar="NAME|PATH", help="a model name under models/ or a model folder")
    q.set_defaults(models_func=cmd_models_rollback)
    q = models_sub.add_parser("info", help="describe a local model folder", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("path", help="model folder")
    q.set_defaults(models_func=cmd_models_info)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    from vi2en.backends import DEFAULT_BEAM

    p.add_argument("--model", help="model folder, or a name under models/ (default: $VI2EN_MODEL, the config file's model, else the first installed model in models/registry.toml)")
    p.add_argument("--glossary", help="glossary folder (default: the project's glossary/)")
    p.add_argument("--beam", type=int, default=DEFAULT_BEAM, help=f"beam size (default: {DEFAULT_BEAM}; on the dev sets it scored as well as 4, in 0.6 of the time)")
    p.add_argument("--max-length", type=int, default=256, help="maximum output tokens per sentence (default: 256)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    p.add_argument("--backend", choices=["auto", *backend_names()], default="auto", help="default: ctranslate2 when the model has a converted copy, else transformers; causal-lm: a local LLM folder (Hy-MT2, Qwen3)")
    p.add_argument("--endpoint", metavar="URL", help="an OpenAI-compatible server (vLLM, SGLang, llama.cpp) serving --model NAME, e.g. http://gpu:8000/v1; its key from $VI2EN_API_KEY")
    p.add_argument("--prompt", choices=["hy-mt", "qwen", "seed-x", "generic"], help="with an LLM: the prompt family (default: from the model's name, else generic)")


def backend_names() -> list[str]:
    from vi2en.backends import backend_names as names

    return names()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vi2en", description="Vietnamese→English translation of news articles, with glossary, quality scores and aligned bilingual output.")
    parser.add_argument("--version", action="version", version=f"vi2en {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("translate", help="translate articles into aligned JSON, HTML and TMX", epilog=EXAMPLES["translate"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="ARTICLE", help="article files (.txt .md .html .docx), folders, globs, or - for stdin")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    _add_model_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--tm", help="translation memory whose approved sentences are reused (default: OUT/vi2en-tm.sqlite when it exists)")
    _add_limit_options(p)
    p.add_argument("--ray", metavar="ADDRESS", help="translate on a Ray cluster (pip install 'vi2en[cluster]'): 'local' starts one on this machine, else the head node's address (ray://HOST:10001 or HOST:6379); articles whose outputs are current are skipped, so a stopped run resumes")
    p.add_argument("--actors", type=int, help="with --ray: translator actors, each loading the model once (default: one per GPU, else one per CPU)")
    p.add_argument("--batch-segments", type=int, metavar="N", help="segments of consecutive articles translated together (default: 512); with --ray, an actor's share at a time")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("eval", help="score a model (or an existing translation) against references with sacreBLEU", epilog=EXAMPLES["eval"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", metavar="FILE.vi", help="Vietnamese source, one segment per line: translated through the pipeline")
    p.add_argument("--ref", metavar="FILE.en", help="English reference, line-aligned")
    p.add_argument("--pairs", metavar="FILE.tsv", help="source and reference from one vi<TAB>en file, e.g. corpus/dev.tsv")
    p.add_argument("--hyp", metavar="FILE.en", help="score this existing translation instead of translating")
    p.add_argument("--report", metavar="FILE.json", help="write the full report (per-segment scores) here")
    p.add_argument("--limit", type=int, help="only the first N lines")
    p.add_argument("--no-glossary", action="store_true", help="translate without the glossary (and without the entity rules)")
    p.add_argument("--no-entities", action="store_true", help="translate without the entity rules (names, places, numbers, dates, bodies)")
    _add_model_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("segment", help="print the sentences an article is split into, one per line", epilog=EXAMPLES["segment"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="ARTICLE", help="article files (.txt .md .html .docx), folders, globs, or - for stdin")
    p.add_argument("--ids", action="store_true", help="prefix each segment with its id and its block's kind (tab-separated)")
    _add_limit_options(p)
    p.set_defaults(func=cmd_segment)
    _add_glossary_parser(sub)
    add_review_parsers(sub)
    add_models_parser(sub)

    p = sub.add_parser("adapt", help="fine-tune the model on approved translations, installed only if it scores no worse", epilog=EXAMPLES["adapt"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tm", required=True, help="the translation memory whose approved pairs are learnt (e.g. out/vi2en-tm.sqlite)")
    p.add_argument("--model", help="model name under models/ or folder (default: the one translate uses)")
    p.add_argument("--replay", nargs="*", default=[], metavar="CORPUS", help="general data mixed in so the model keeps what it knew (folders of NAME.vi/NAME.en, .tsv, .tmx)")
    p.add_argument("--dev", default=str(Path(__file__).resolve().parents[2] / "corpus" / "dev.tsv"), help="the frozen dev set the gate scores on (default: corpus/dev.tsv)")
    p.add_argument("--minutes", type=float, default=30, help="training time budget (default: 30)")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (default: the time budget alone)")
    p.add_argument("--work", help="work folder with checkpoints (default: models/.NAME.adapt)")
    p.add_argument("--resume", action="store_true", help="go on from the last checkpoint in the work folder")
    p.set_defaults(func=cmd_adapt)

    p = sub.add_parser("distil", help="train a fast student model on a teacher's translations (knowledge distillation)", epilog=EXAMPLES["distil"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("teacher", metavar="TEACHER", help="the teacher: a model name under models/ or a folder; with --endpoint, the model the server serves")
    p.add_argument("--out", required=True, help="where the student goes (replaced only when it is complete)")
    p.add_argument("--endpoint", metavar="URL", help="the teacher runs on an OpenAI-compatible server (vLLM, SGLang, llama.cpp); key from $VI2EN_API_KEY")
    p.add_argument("--backend", choices=["auto", *backend_names()], default="auto", help="how the teacher runs (default: ctranslate2 when it has a converted copy, else transformers)")
    p.add_argument("--beam", type=int, default=4, help="the teacher's beam size (default: 4)")
    p.add_argument("--data", nargs="*", default=None, metavar="CORPUS", help="parallel data whose Vietnamese side the teacher translates (default: corpus/train)")
    p.add_argument("--mono", nargs="*", default=[], metavar="FILE", help="Vietnamese text, one sentence a line, for the teacher to translate")
    p.add_argument("--limit", type=int, help="at most this many Vietnamese sentences")
    p.add_argument("--dev", default=str(Path(__file__).resolve().parents[2] / "corpus" / "dev.tsv"), help="the dev set both are scored on (default: corpus/dev.tsv)")
    p.add_argument("--dev-limit", type=int, default=200, help="dev sentences scored and timed (default: 200)")
    p.add_argument("--shape", choices=["tiny", "compact"], default="tiny", help="tiny: Firefox's 6+2 layers, 256 dimensions; compact: the shipped model's (default: tiny)")
    p.add_argument("--vocab-size", type=int, default=8000, help="the student's SentencePiece vocabulary (default: 8000)")
    p.add_argument("--copy-set", type=int, default=6000, help="synthetic number/date/code pairs mixed in (default: 6000)")
    p.add_argument("--minutes", type=float, default=60, help="training time budget (default: 60)")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (default: the time budget alone)")
    p.add_argument("--work", help="work folder: the teacher's pairs, checkpoints, train.log (default: OUT.distil next to --out)")
    p.set_defaults(func=cmd_distil)
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
