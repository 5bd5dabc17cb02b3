"""The CAT-tool exports as OmegaT (Debian's 3.6, `.ci/run` installs it) really reads them;
the tests fail, never skip, when OmegaT is missing.

Each test builds an OmegaT project in tmp (omegat.project, source/, tm/, glossary/), runs
OmegaT's console mode on it with a Groovy script that prints what OmegaT loaded (segments per
file, translations, translation memories, glossary entries read by OmegaT's own readers), and
compares that with the documents. The articles: the seed article and two composed ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from vi2en import document
from vi2en.cli import main
from vi2en.glossary import PROJECT_GLOSSARY, read_folder
from vi2en.memory import Change, Memory

ARTICLES = Path(__file__).parent / "data" / "articles"
OMEGAT = shutil.which("omegat")

PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>vi</source_lang>
    <target_lang>en</target_lang>
    <source_tok>org.omegat.tokenizer.DefaultTokenizer</source_tok>
    <target_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</target_tok>
    <sentence_seg>false</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
"""
# OmegaT runs the script on project events (loaded, compiled, closed); each run prints one report
REPORT = r"""
import groovy.json.JsonOutput
import org.omegat.gui.glossary.GlossaryReaderTBX
import org.omegat.gui.glossary.GlossaryReaderTSV
def files = project.getProjectFiles().collect { f -> [
    name: f.filePath,
    segments: f.entries.collect { e -> [source: e.srcText, translation: project.getTranslationInfo(e).translation] },
] }
def tms = project.getTransMemories().collectEntries { k, v -> [(new File(k).parentFile.name + "/" + new File(k).name): v.getEntries().size()] }
def glossaries = [:]
new File(project.getProjectProperties().getGlossaryRoot()).eachFile { f ->
    def read = f.name.endsWith(".tbx") ? GlossaryReaderTBX.read(f, false) : GlossaryReaderTSV.read(f, false)
    glossaries[f.name] = read.collect { g -> [g.srcText, g.locText, g.commentText] }
}
println "VI2EN-REPORT " + JsonOutput.toJson([files: files, tms: tms, glossaries: glossaries])
"""

def run_omegat(project: Path) -> dict:
    """OmegaT's console translation of the project: what it loaded, as the script reports it."""
    assert OMEGAT, "these tests need OmegaT: apt-get install -y omegat (.ci/run installs it)"
    (project.parent / "report.groovy").write_text(REPORT, encoding="utf-8")
    done = subprocess.run(
        [OMEGAT, "--mode=console-translate", "--quiet", f"--script={project.parent / 'report.groovy'}", f"--config-dir={project.parent / 'omegat-config'}", str(project)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    reports = [line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("VI2EN-REPORT ")]
    assert reports, done.stdout[-3000:]
    return json.loads(reports[0])


@pytest.fixture(scope="module")
def articles(tiny_model, test_glossary, seed_article, tmp_path_factory) -> Path:
    """The seed article and the two composed ones, translated by the tiny model (its English is noise)."""
    out = tmp_path_factory.mktemp("omegat-out")
    args = ["--model", str(tiny_model), "--glossary", str(test_glossary), "--max-length", "8", "--quiet"]
    assert main(["translate", str(seed_article), *map(str, sorted(ARTICLES.glob("*.txt"))), "--out", str(out), *args]) == 0
    return out


@pytest.fixture
def project(articles, tmp_path) -> tuple[Path, Path, list]:
    """An OmegaT project of the three articles: XLIFF 1.2 (source copied into the target, as OmegaT
    translates the target), the approved memory in tm/auto/ (OmegaT fills segments from it), the
    drafts in tm/mt/ (matches only) and the glossary as TBX-Basic and as OmegaT's own TSV."""
    out = tmp_path / "out"
    shutil.copytree(articles, out)
    docs = [document.load(p) for p in sorted(out.glob("*.json"))]
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    for doc in docs:  # the seed article approved whole; of the others, every other sentence
        seed = doc.stem.startswith("nghean")
        approved = [s for k, s in enumerate(doc.segments) if seed or k % 2 == 0]
        memory.save(doc, [Change(s.id, s.vi, f"Approved: {s.id} of {doc.stem}.", True, 0) for s in approved], "lan")
    root = tmp_path / "project"
    for folder in ("source", "target", "tm/auto", "tm/mt", "glossary", "omegat"):
        (root / folder).mkdir(parents=True)
    (root / "omegat.project").write_text(PROJECT, encoding="utf-8")
    for doc in docs:
        assert main(["xliff", "export", str(out / f"{doc.stem}.json"), "--copy-source", "-o", str(root / "source" / f"{doc.stem}.xlf")]) == 0
    assert main(["tm", "export", str(out), "-o", str(root / "tm" / "auto" / "approved.tmx")]) == 0
    assert main(["tm", "export", str(out), "--include-drafts", "-o", str(root / "tm" / "mt" / "drafts.tmx")]) == 0
    assert main(["glossary", "export", str(root / "glossary" / "glossary.tbx"), "--format", "tbx-basic"]) == 0
    assert main(["glossary", "export", str(root / "glossary" / "glossary.txt"), "--format", "omegat"]) == 0
    return root, out, docs


def test_omegat_loads_every_segment_fills_the_approved_and_reads_the_glossary(project, capsys):
    root, out, docs = project
    report = run_omegat(root)
    memory = Memory(out / "vi2en-tm.sqlite")
    files = {Path(f["name"]).stem: f["segments"] for f in report["files"]}
    assert sorted(files) == sorted(d.stem for d in docs)
    counts = []
    for doc in docs:
        merged, state = memory.merged(doc)
        loaded = files[doc.stem]
        # every segment, in order, with its source as the document has it (OmegaT keys XLIFF 1.2 segments by their text)
        assert [s["source"] for s in loaded] == [s.vi for s in doc.segments]
        # the approved memory filled exactly the approved sentences, with their approved English;
        # the drafts (tm/mt/) filled none
        assert [s["translation"] for s in loaded] == [s.en if state.is_approved(s.id, s.vi) else None for s in merged.segments]
        filled = [s for s in loaded if s["translation"] is not None]
        counts.append(f"{doc.stem}: {len(loaded)} of {len(doc.segments)} segments loaded, {len(filled)} filled from tm/auto")
    approved = sum(memory.state(d).approved_count(d) for d in docs)
    with_english = sum(1 for d in docs for s in memory.merged(d)[0].segments if s.en)
    assert report["tms"] == {"auto/approved.tmx": approved, "mt/drafts.tmx": with_english}
    # the glossary: every term (no slot pattern, nothing expired) through OmegaT's own readers
    terms = [e for f in read_folder(PROJECT_GLOSSARY)[0].values() for e in f if not e.slots and not e.valid_until]
    expired = [e for f in read_folder(PROJECT_GLOSSARY)[0].values() for e in f if not e.slots and e.valid_until]
    tbx, tsv = report["glossaries"]["glossary.tbx"], report["glossaries"]["glossary.txt"]
    assert len(tsv) >= len(terms) and len(tsv) <= len(terms) + len(expired)
    assert sorted((vi, en) for vi, en, _ in tsv) == sorted((vi, en) for vi, en, _ in tbx)
    assert not any("{" in vi or "{" in en for vi, en, _ in tsv)
    # OmegaT takes the third column as the comment: the domain comes first there, never as a term
    first = next(e for e in terms if e.file == "central-party.tsv")
    assert [first.vi, first.en] in [[vi, en] for vi, en, _ in tsv]
    assert next(c for vi, en, c in tsv if vi == first.vi and en == first.en).startswith("central-party; ")
    counts.append(f"glossary: {len(tbx)} TBX-Basic entries, {len(tsv)} OmegaT TSV entries")
    with capsys.disabled():
        print("\nOmegaT 3.6 reports: " + "; ".join(counts))


def test_a_translation_made_in_omegat_comes_back_as_an_edit(project, capsys):
    """A translator's work in OmegaT lives in omegat/project_save.tmx; OmegaT writes it into
    target/*.xlf, and importing that file records it, approving nothing and changing no approved sentence."""
    root, out, docs = project
    doc = next(d for d in docs if d.stem.startswith("quangtri"))
    draft = doc.segments[1]  # not approved (every other sentence is)
    (root / "omegat" / "project_save.tmx").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="OmegaT" creationtoolversion="3.6" segtype="sentence"'
        ' o-tmf="OmegaT TMX" adminlang="EN-US" srclang="vi" datatype="plaintext"/><body>'
        f'<tu><tuv xml:lang="vi"><seg>{escape(draft.vi)}</seg></tuv><tuv xml:lang="en" changeid="translator"><seg>Translated in OmegaT.</seg></tuv></tu>'
        "</body></tmx>\n",
        encoding="utf-8",
    )
    run_omegat(root)
    before = Memory(out / "vi2en-tm.sqlite").state(doc).entries
    for translated in sorted((root / "target").glob("*.xlf")):
        assert main(["xliff", "import", str(translated), "--out", str(out), "--editor", "omegat"]) == 0
    printed = capsys.readouterr().out
    assert f"{doc.stem}: 1 of {len(doc.segments)} segments changed\n" in printed and "approved sentences changed" not in printed
    after = Memory(out / "vi2en-tm.sqlite").state(doc).entries
    assert after[draft.id].en == "Translated in OmegaT." and not after[draft.id].approved
    assert {k: v for k, v in after.items() if k != draft.id} == before
