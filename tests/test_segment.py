"""The sentence splitter on hand-segmented news, the seed article, long and odd inputs, and clause pieces."""

from __future__ import annotations

from pathlib import Path

import pytest

from vi2en.document import Block
from vi2en.segment import clause_pieces, segment_block, split_sentences

DATA = Path(__file__).parent / "data"


def gold_paragraphs(path: Path) -> list[list[str]]:
    paragraphs, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#"):
            continue
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(current)
            current = []
    return paragraphs


def test_gold_news_paragraphs_split_exactly():
    paragraphs = gold_paragraphs(DATA / "segment-gold-news.txt")
    assert sum(len(p) for p in paragraphs) >= 40
    wrong = [(gold, split_sentences(" ".join(gold))) for gold in paragraphs if split_sentences(" ".join(gold)) != gold]
    assert wrong == []


def test_seed_article_matches_its_hand_segmentation(seed_article):
    # The gold file keeps each sentence's last words (the article itself stays in ../shared).
    expected = gold_paragraphs(DATA / "segment-gold-seed.txt")
    paragraphs = [p for p in seed_article.read_text(encoding="utf-8").split("\n\n") if len(split_sentences(p)) > 1]
    assert len(paragraphs) == len(expected)
    for text, tails in zip(paragraphs, expected):
        sentences = split_sentences(text)
        assert len(sentences) == len(tails), sentences
        for sentence, tail in zip(sentences, tails):
            assert sentence.endswith(tail), (sentence, tail)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ông nói: “Tốt. Rất tốt.” Sau đó ông rời đi.", ["Ông nói: “Tốt.", "Rất tốt.”", "Sau đó ông rời đi."]),
        ("“… người dân phải hài lòng hơn…” – Thường trực Ban Bí thư nhấn mạnh. Hội nghị kết thúc.",
         ["“… người dân phải hài lòng hơn…” – Thường trực Ban Bí thư nhấn mạnh.", "Hội nghị kết thúc."]),
        ("Tăng 10%... Sau đó giảm.", ["Tăng 10%...", "Sau đó giảm."]),
        ("Cá, thịt, vv... vào bữa tối.", ["Cá, thịt, vv... vào bữa tối."]),
        ("Trích dẫn (…) Đảng ta luôn kiên định.", ["Trích dẫn (…) Đảng ta luôn kiên định."]),
        ("Hội nghị kết thúc.đồng chí Bí thư phát biểu.", ["Hội nghị kết thúc.đồng chí Bí thư phát biểu."]),
        ("Bổ sung vitamin C. Nó giúp tăng sức đề kháng.", ["Bổ sung vitamin C.", "Nó giúp tăng sức đề kháng."]),
        ("Kết thúc năm. tiếp theo là kế hoạch mới.", ["Kết thúc năm.", "tiếp theo là kế hoạch mới."]),
        ("Chủ trì là TS. Lê Văn A. Tham dự có đại biểu các tỉnh.", ["Chủ trì là TS. Lê Văn A.", "Tham dự có đại biểu các tỉnh."]),
        ("Người dùng Yahoo! và Microsoft tăng. Vụ Roe v. Wade được nhắc lại.", ["Người dùng Yahoo! và Microsoft tăng.", "Vụ Roe v. Wade được nhắc lại."]),
        ("Vì sao vậy? vì chưa có vốn.", ["Vì sao vậy?", "vì chưa có vốn."]),
    ],
)
def test_hard_cases(text, expected):
    assert split_sentences(text) == expected


def test_split_keeps_every_character_in_order():
    text = "Một câu.  Hai câu!   “Ba câu?” Bốn… Năm."
    assert " ".join(split_sentences(text)) == " ".join(text.split())


def test_titles_and_captions_are_one_segment_whatever_their_punctuation():
    for kind in ("title", "caption", "dateline", "source"):
        block = Block(id="p1", kind=kind, text="Hội nghị. Tổng kết năm 2023. Kết quả")
        assert [s.vi for s in segment_block(block)] == ["Hội nghị. Tổng kết năm 2023. Kết quả"]
    paragraph = segment_block(Block(id="p4", kind="paragraph", text="Một. Hai."))
    assert [(s.id, s.vi) for s in paragraph] == [("p4.s1", "Một."), ("p4.s2", "Hai.")]


def test_two_megabyte_paragraph_and_text_without_punctuation():
    sentence = "Tỉnh đã tổ chức hội nghị tổng kết công tác năm 2023 với sự tham dự của TS. Nguyễn Văn An. "
    big = sentence * (2_000_000 // len(sentence))
    assert len(split_sentences(big)) == big.count("An. ")
    no_stop = "các đại biểu thảo luận về phương hướng nhiệm vụ năm tới " * 40_000
    assert split_sentences(no_stop) == [no_stop.strip()]
    dots = "." * 100_000 + " A" + " TP." * 50_000
    assert "".join(split_sentences(dots)).replace(" ", "") == dots.replace(" ", "")


def words(text: str) -> int:
    return len(text.split())


def test_clause_pieces_cut_at_clause_boundaries_and_rejoin():
    sentence = ("Trong năm 2023, các tỉnh ủy tiếp tục đổi mới phương thức lãnh đạo theo hướng toàn diện; "
                "lãnh đạo cấp ủy, chính quyền – các tổ chức chính trị chủ động thực hiện nhiệm vụ đã đề ra.")
    pieces = clause_pieces(sentence, 8, words)
    assert len(pieces) > 1 and all(words(p) <= 8 for p in pieces)
    assert " ".join(pieces) == sentence
    assert pieces[0] == "Trong năm 2023,"
    assert clause_pieces(sentence, 100, words) == [sentence]


def test_clause_pieces_cut_between_words_when_a_clause_is_too_long():
    sentence = " ".join(f"từ{i}" for i in range(5000))
    pieces = clause_pieces(sentence, 7, words)
    assert all(words(p) <= 7 for p in pieces) and " ".join(pieces) == sentence
    assert clause_pieces("một", 0, words) == ["một"]  # a single word that cannot fit is still kept


def test_translate_document_translates_long_sentences_by_pieces(tiny_model, tmp_path):
    from vi2en import document
    from vi2en.glossary import Glossary
    from vi2en.pipeline import build_document, translate_document
    from vi2en.backends import open_translator
    from vi2en.terms import restore

    article = tmp_path / "long.txt"
    long_sentence = ("Trong năm 2023, các tỉnh ủy, thành ủy tiếp tục đổi mới phương thức lãnh đạo theo hướng toàn diện, "
                     "trực tiếp, sâu sát và linh hoạt; lãnh đạo, chỉ đạo cấp ủy, chính quyền chủ động thực hiện nhiệm vụ.")
    article.write_text(f"Tiêu đề\n\n{long_sentence} Câu ngắn.\n", encoding="utf-8")
    translator = open_translator(tiny_model, beam_size=1, max_length=16)
    glossary = Glossary([], "none")
    ticks = []
    doc = translate_document(build_document(article), translator, glossary, ticks.append)
    long, short = doc.blocks[1].segments
    assert len(long.pieces) > 1 and " ".join(long.pieces) == long.vi
    assert all(translator.count_tokens(p) <= translator.model_max_tokens for p in long.pieces)
    joined = " ".join(h.text for h in translator.translate(long.pieces))
    assert long.en == restore(joined, [])[0] and short.pieces == []
    assert sum(ticks) == len(doc.segments)  # progress counts segments, not pieces
    document.save(doc, tmp_path / "long.json")
    assert document.load(tmp_path / "long.json").blocks[1].segments[0].pieces == long.pieces


def test_segment_command_prints_one_segment_per_line(seed_article, capsys):
    from vi2en.cli import main

    assert main(["segment", str(seed_article)]) == 0
    blocks = capsys.readouterr().out.rstrip("\n").split("\n\n")
    assert blocks[0] == "Thường trực Ban Bí thư giao ban công tác năm 2023 với các đồng chí Bí thư Tỉnh ủy, Thành ủy trực thuộc Trung ương"
    assert blocks[3].splitlines() == ["Tại điểm cầu tỉnh Nghệ An, đồng chí Hoàng Nghĩa Hiếu – Phó Bí thư Tỉnh ủy chủ trì hội nghị.",
                                      "Tham dự hội nghị có lãnh đạo các Ban, Văn phòng Tỉnh ủy."]
    assert blocks[-1] == "Theo nghean.gov.vn"  # boilerplate after it is not printed
    assert main(["segment", "--ids", str(seed_article)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:2] == ["p1.s1", "title"] and "p5.s1\tcaption\tĐồng chí Hoàng Nghĩa Hiếu" in "\n".join(lines)


def test_segment_command_reads_every_format_and_reports_bad_files(tmp_path, capsys, monkeypatch):
    import io
    import sys

    import docx

    from test_read import PORTAL_PAGE
    from vi2en.cli import main

    (tmp_path / "a.html").write_text(PORTAL_PAGE, encoding="utf-8")
    (tmp_path / "b.md").write_text("# Tiêu đề\n\nCâu một. Câu hai.\n", encoding="utf-8")
    document = docx.Document()
    document.add_paragraph("Tiêu đề văn bản")
    document.add_paragraph("Câu ba. Câu bốn.")
    document.save(tmp_path / "c.docx")
    (tmp_path / "d.txt").write_bytes(b"%PDF-1.4 ...")
    (tmp_path / "e.html").write_text("<html><body><nav>Trang chủ</nav></body></html>", encoding="utf-8")
    assert main(["segment", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "Dự hội nghị có đồng chí Hoàng Nghĩa Hiếu – Phó Bí thư Tỉnh ủy.\nTham dự còn có" in captured.out
    assert "==> " + str(tmp_path / "b.md") + " <==\nTiêu đề\n\nCâu một.\nCâu hai.\n" in captured.out
    assert "Tiêu đề văn bản\n\nCâu ba.\nCâu bốn." in captured.out
    assert "Trang chủ" not in captured.out and "Chia sẻ" not in captured.out
    assert captured.err.splitlines() == [
        f"vi2en: {tmp_path / 'd.txt'}: a PDF file: PDF is not supported, save the article as .docx, .html or .txt",
        f"vi2en: {tmp_path / 'e.html'}: no article body found in the page",
    ]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("Tiêu đề\n\nMột. Hai.\n".encode("utf-8"))))
    assert main(["segment", "-"]) == 0
    assert capsys.readouterr().out == "Tiêu đề\n\nMột.\nHai.\n"
    (tmp_path / "empty").mkdir()
    assert main(["segment", str(tmp_path / "empty")]) == 1
    assert capsys.readouterr().err == f"vi2en: no articles found in {tmp_path / 'empty'}\n"


def test_eval_script_scores_boundaries_and_counts_reviewed_splits(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("eval_segmentation", Path(__file__).parents[1] / "scripts" / "eval_segmentation.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    lines = ["Câu một.", "Câu hai có TS. Lê Văn Bình.", "Câu ba không có dấu chấm", "Câu bốn. Câu năm trong cùng dòng.",
             "Câu sáu.", "Câu bảy.", "Câu tám?"]
    result = script.evaluate("toy", lines, {("toy", 4, 9)})
    # paragraphs: lines 1-5 and 6-7; gold boundaries after lines 1, 2, 4 and 6 (line 3 has no final stop)
    assert (result["gold"], result["found"], result["unmarked"], result["found_unmarked"]) == (4, 4, 1, 0)
    assert [(e[0], e[1], e[4]) for e in result["extra"]] == [(4, 9, True)]
    assert result["precision"] == 4 / 5 and result["precision_justified"] == 1.0
    tsv = tmp_path / "justified.tsv"
    tsv.write_text("# comment\ntoy\t4\t9\ttwo sentences\n", encoding="utf-8")
    assert script.load_justified(tsv) == {("toy", 4, 9)}


def test_two_megabyte_single_paragraph_file_through_read_structure_and_segment(tmp_path):
    """Over the default paragraph limit, it is refused in one line; with the limit raised, it goes through."""
    from vi2en.pipeline import build_document
    from vi2en.read import Limits, ReadError

    sentence = "Tỉnh đã tổ chức hội nghị tổng kết công tác năm 2023 tại TP. Vinh với 1.250 đại biểu. "
    path = tmp_path / "dai.txt"
    path.write_text("Tiêu đề\n" + sentence * (2_000_000 // len(sentence)) + "\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"dai\.txt: a paragraph of \d+ characters, over the limit of 100000 \(--max-paragraph-chars\)"):
        build_document(path)
    doc = build_document(path, Limits(paragraph_chars=3_000_000))
    body = doc.blocks[1]
    assert len(body.segments) == 2_000_000 // len(sentence) and body.segments[-1].vi == sentence.strip()
    no_stop = tmp_path / "khong-dau.txt"
    no_stop.write_text("Tiêu đề\n" + "các đại biểu thảo luận về phương hướng nhiệm vụ năm tới " * 100, encoding="utf-8")
    assert [len(b.segments) for b in build_document(no_stop).blocks] == [1, 1]
