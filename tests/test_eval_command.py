"""`vi2en eval`: the whole pipeline against references, scored with sacreBLEU."""

import json

from sacrebleu.metrics import CHRF

from vi2en.cli import main


def test_eval_translates_through_the_pipeline_and_reports(tiny_model, tmp_path, capsys, test_glossary):
    src, ref = tmp_path / "t.vi", tmp_path / "t.en"
    src.write_text("Ban Bí thư họp.\nTỉnh ủy Nghệ An.\nXin chào.\n", encoding="utf-8")
    ref.write_text("The Secretariat met.\nNghe An Provincial Party Committee.\nHello.\n", encoding="utf-8")
    report = tmp_path / "r.json"
    args = ["eval", "--src", str(src), "--ref", str(ref), "--model", str(tiny_model), "--glossary", str(test_glossary), "--max-length", "8", "--report", str(report), "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "chrf++" in out and "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no" in out and "Pearson" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    hyps = [s["en"] for s in data["per_segment"]]
    assert len(hyps) == 3 and [s["ref"] for s in data["per_segment"]] == ref.read_text(encoding="utf-8").splitlines()
    expected = CHRF(word_order=2).corpus_score(hyps, [ref.read_text(encoding="utf-8").splitlines()]).score
    assert data["corpus"]["chrf++"]["score"] == round(expected, 2)
    assert data["term_accuracy"]["terms"] == 2  # Ban Bí thư, Tỉnh ủy (the test glossary's two entries)
    assert all(0 <= s["score"] <= 100 for s in data["per_segment"])


def test_eval_scores_an_existing_hypothesis_without_a_model(tmp_path, capsys):
    ref = tmp_path / "t.en"
    ref.write_text("The Secretariat met.\nHello.\n", encoding="utf-8")
    hyp = tmp_path / "h.en"
    hyp.write_text("The Secretariat met.\nHello.\n", encoding="utf-8")
    assert main(["eval", "--hyp", str(hyp), "--ref", str(ref)]) == 0
    assert "chrf++  100.00" in capsys.readouterr().out


def test_eval_refuses_misaligned_files(tmp_path, capsys):
    ref, hyp = tmp_path / "t.en", tmp_path / "h.en"
    ref.write_text("a\nb\n", encoding="utf-8")
    hyp.write_text("a\n", encoding="utf-8")
    assert main(["eval", "--hyp", str(hyp), "--ref", str(ref)]) == 2
    assert f"{hyp}: 1 lines but {ref} has 2" in capsys.readouterr().err


def test_eval_reads_source_and_reference_from_one_pairs_file(tiny_model, tmp_path, capsys, test_glossary):
    pairs = tmp_path / "dev.tsv"
    pairs.write_text("Ban Bí thư họp.\tThe Secretariat met.\nXin chào.\tHello.\n", encoding="utf-8")
    report = tmp_path / "r.json"
    args = ["eval", "--pairs", str(pairs), "--model", str(tiny_model), "--glossary", str(test_glossary), "--max-length", "8", "--report", str(report), "--quiet"]
    assert main(args) == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [s["ref"] for s in data["per_segment"]] == ["The Secretariat met.", "Hello."] and data["source"] == str(pairs)
    assert all("mean_logprob" in s["signals"] for s in data["per_segment"])  # what scripts/fit_quality.py fits on
    out = capsys.readouterr().out
    assert "flagged in all (" in out and "95% CI" in out and "nan–nan" not in out  # two segments: no Pearson interval, Wilson's still


def test_eval_pairs_file_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one field\n", encoding="utf-8")
    assert main(["eval", "--pairs", str(bad)]) == 2
    assert f"{bad}:1:" in capsys.readouterr().err
    assert main(["eval", "--pairs", str(bad), "--ref", str(bad)]) == 2
    assert main(["eval", "--src", str(bad)]) == 2
    assert "--ref" in capsys.readouterr().err
