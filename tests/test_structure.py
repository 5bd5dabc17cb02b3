"""Block roles from the text and from the reader's hints."""

from __future__ import annotations

from vi2en.read import RawArticle, read_article
from vi2en.structure import article_date, structure


def kinds(*paragraphs, hints=None):
    hints = hints or [None] * len(paragraphs)
    blocks = structure(RawArticle("x.txt", "", "txt", list(zip(paragraphs, hints))))
    return [b.kind for b in blocks]


BODY = "Trong năm 2023, các tỉnh ủy, thành ủy tiếp tục đổi mới phương thức lãnh đạo theo hướng toàn diện, trực tiếp."


def test_seed_article_roles(seed_article):
    blocks = structure(read_article(seed_article))
    roles = [(b.kind, b.text[:30]) for b in blocks]
    assert [k for k, _ in roles] == [
        "title", "dateline", "lead", "paragraph", "caption", *["paragraph"] * 8, "quote", "source",
        "boilerplate", "boilerplate", "boilerplate",
    ]
    caption = next(b for b in blocks if b.kind == "caption")
    assert caption.text == "Đồng chí Hoàng Nghĩa Hiếu – Phó Bí thư Tỉnh ủy chủ trì hội nghị tại điểm cầu Nghệ An"
    assert article_date(blocks) == "2024-01-17"


def test_short_paragraph_ending_with_a_period_is_not_a_caption():
    assert kinds("Tiêu đề bài viết", BODY, "Hội nghị kết thúc vào buổi chiều.", "Quang cảnh hội nghị") == [
        "title", "lead", "paragraph", "caption"]


def test_caption_with_a_photo_credit_even_with_a_period():
    assert kinds("Tiêu đề", BODY, "Đồng chí Bí thư phát biểu tại hội nghị. Ảnh: Thành Cường")[-1] == "caption"
    assert kinds("Tiêu đề", BODY, "Quang cảnh hội nghị (Ảnh: TTXVN).")[-1] == "caption"


def test_a_caption_needs_a_body_paragraph_before_it():
    assert kinds("Tiêu đề", "17/01/2024", "Quang cảnh hội nghị") == ["title", "dateline", "lead"]


def test_datelines_in_the_forms_portals_print():
    for line in ["17/01/2024 | 14:10:07", "Thứ Tư, 17/01/2024 - 14:10", "Cập nhật: 08:30, 17/1/2024", "Chủ nhật, 17.01.2024 14h10 (GMT+7)"]:
        assert kinds("Tiêu đề", line)[1] == "dateline", line
    assert kinds("Tiêu đề", "Ngày 17/01/2024, tỉnh tổ chức hội nghị.")[1] == "lead"


def test_dateline_from_a_hint_gives_the_article_date_too():
    blocks = structure(RawArticle("x.html", "", "html", [("Tiêu đề", "title"), ("Đăng lúc 17/01/2024 14:10 bởi Ban biên tập", "dateline")]))
    assert article_date(blocks) == "2024-01-17"


def test_source_line_and_paragraphs_starting_with_theo():
    assert kinds("Tiêu đề", BODY, "Theo nghean.gov.vn")[-1] == "source"
    assert kinds("Tiêu đề", BODY, "Nguồn: TTXVN")[-1] == "source"
    assert kinds("Tiêu đề", BODY, "Theo Bộ trưởng, đây là bước tiến.")[-1] == "paragraph"
    assert kinds("Tiêu đề", BODY, "Theo kế hoạch hội nghị sẽ kéo dài hai ngày liên tiếp tại tỉnh.")[-1] == "paragraph"


def test_bylines_quotes_and_list_items():
    assert kinds("Tiêu đề", "Bài và ảnh: Nguyễn Văn An", BODY) == ["title", "byline", "lead"]
    assert kinds("Tiêu đề", BODY, BODY, "Thanh Hương")[-1] == "byline"
    assert kinds("Tiêu đề", BODY, "“Phải nêu gương. Phải làm trước” – đồng chí Bí thư nhấn mạnh.")[-1] == "quote"
    assert kinds("Tiêu đề", BODY, "- Rà soát quy hoạch cán bộ.", "2. Kiện toàn bộ máy.")[-2:] == ["list_item", "list_item"]


def test_boilerplate_is_kept_and_marked():
    assert kinds("Tiêu đề", BODY, "Chia sẻ", "Tags: Nghệ An, xây dựng Đảng", "Lượt xem: 1.234", "Bản quyền © 2024") == [
        "title", "lead", "boilerplate", "boilerplate", "boilerplate", "boilerplate"]


def test_hints_win_unless_the_text_says_date_source_or_boilerplate():
    hints = ["title", "caption", "caption", "lead"]
    assert kinds("Tiêu đề", "Ảnh hội nghị", "Theo TTXVN", "Chia sẻ", hints=hints) == ["title", "caption", "source", "boilerplate"]


def test_a_first_line_ending_with_a_period_is_not_a_title():
    assert kinds(BODY, BODY) == ["paragraph", "paragraph"]
