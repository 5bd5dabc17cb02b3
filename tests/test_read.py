"""Reading articles: formats, encodings, Unicode forms, and inputs that are not articles."""

from __future__ import annotations

import io
import sys
import unicodedata

import pytest

from vi2en.read import ReadError, read_article
from vi2en.text import match_key

PORTAL_PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Hội nghị tổng kết công tác năm 2023 - Cổng thông tin điện tử tỉnh Nghệ An</title>
<style>.menu { color: red }</style>
<script>var tracking = "Không được đọc đoạn này.";</script>
</head>
<body>
<div id="header"><div class="logo"><h1>Cổng thông tin điện tử</h1></div>
  <ul class="main-menu"><li><a href="/">Trang chủ</a></li><li><a href="/tin-tuc">Tin tức</a></li><li>Liên hệ</li></ul>
</div>
<nav class="breadcrumb"><a href="/">Trang chủ</a> » <a href="/chinh-tri">Chính trị</a></nav>
<div class="container">
 <div class="col-main">
  <div class="article-detail">
   <h1 class="article-title">Tỉnh ủy Nghệ An tổng kết công tác xây dựng Đảng năm 2023</h1>
   <div class="article-meta"><span class="post-date">Thứ Tư, 17/01/2024 | 14:10:07</span>
     <div class="share-buttons"><a href="#">Chia sẻ</a> <a href="#">Facebook</a> <button>Zalo</button></div></div>
   <p class="sapo"><strong>Sáng 17/1, Ban Thường vụ Tỉnh ủy tổ chức hội nghị tổng kết công tác xây dựng Đảng năm 2023.</strong></p>
   <div class="article-content">
    <p>Dự hội nghị có đồng chí Hoàng Nghĩa Hiếu – Phó Bí thư Tỉnh ủy. Tham dự còn có lãnh đạo các ban, sở, ngành.</p>
    <figure class="image"><img src="hoi-nghi.jpg" alt="ảnh"><figcaption>Đồng chí Hoàng Nghĩa Hiếu phát biểu tại hội nghị</figcaption></figure>
    <p>Năm 2023, toàn tỉnh kết nạp được 3.500 đảng viên mới, đạt 105% kế hoạch. Công tác kiểm tra, giám sát được tăng cường.</p>
    <blockquote>“Phải nâng cao chất lượng sinh hoạt chi bộ” – đồng chí Phó Bí thư nhấn mạnh.</blockquote>
    <ul><li>Rà soát quy hoạch cán bộ.</li><li>Kiện toàn tổ chức bộ máy.</li></ul>
    <p style="text-align:right"><strong>Theo nghean.gov.vn</strong></p>
   </div>
   <div class="tags">Từ khóa: <a>xây dựng Đảng</a></div>
  </div>
  <div class="comments"><h3>Bình luận</h3><p>Bài viết rất hay, cảm ơn tác giả đã chia sẻ thông tin bổ ích này!</p>
   <form><textarea></textarea><button>Gửi bình luận</button></form></div>
  <div class="related-news"><h3>Tin liên quan</h3><ul><li><a>Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 20 bàn nhiều nội dung quan trọng</a></li></ul></div>
 </div>
 <div class="sidebar"><p>Thời tiết hôm nay: Nghệ An nắng nhẹ, nhiệt độ từ 18 đến 24 độ C, độ ẩm cao.</p></div>
</div>
<div id="footer"><p>Bản quyền thuộc Cổng thông tin điện tử tỉnh Nghệ An. Địa chỉ: số 16 Trường Thi, TP. Vinh.</p></div>
<!-- <p>Một đoạn văn bị chú thích ẩn đi.</p> -->
</body></html>
"""


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_portal_page_keeps_the_article_and_drops_the_site(tmp_path):
    article = read_article(write(tmp_path, "trang.html", PORTAL_PAGE))
    assert article.format == "html"
    assert article.paragraphs == [
        ("Tỉnh ủy Nghệ An tổng kết công tác xây dựng Đảng năm 2023", "title"),
        ("Thứ Tư, 17/01/2024 | 14:10:07", "dateline"),
        ("Sáng 17/1, Ban Thường vụ Tỉnh ủy tổ chức hội nghị tổng kết công tác xây dựng Đảng năm 2023.", "lead"),
        ("Dự hội nghị có đồng chí Hoàng Nghĩa Hiếu – Phó Bí thư Tỉnh ủy. Tham dự còn có lãnh đạo các ban, sở, ngành.", None),
        ("Đồng chí Hoàng Nghĩa Hiếu phát biểu tại hội nghị", "caption"),
        ("Năm 2023, toàn tỉnh kết nạp được 3.500 đảng viên mới, đạt 105% kế hoạch. Công tác kiểm tra, giám sát được tăng cường.", None),
        ("“Phải nâng cao chất lượng sinh hoạt chi bộ” – đồng chí Phó Bí thư nhấn mạnh.", "quote"),
        ("Rà soát quy hoạch cán bộ.", "list_item"),
        ("Kiện toàn tổ chức bộ máy.", "list_item"),
        ("Theo nghean.gov.vn", None),
        ("Từ khóa: xây dựng Đảng", None),  # kept: the structure stage marks it as site boilerplate
    ]
    text = " ".join(t for t, _ in article.paragraphs)
    for dropped in ("Trang chủ", "Chia sẻ", "Zalo", "tracking", "Bình luận", "Bài viết rất hay", "Tin liên quan",
                    "Thời tiết", "Bản quyền", "chú thích ẩn", "Cổng thông tin điện tử"):
        assert dropped not in text


def test_page_without_an_article_body_is_refused_clearly(tmp_path):
    page = "<html><head><title>Trang chủ</title></head><body><nav class='menu'><a>Tin tức</a></nav><div>Đăng nhập</div></body></html>"
    with pytest.raises(ReadError, match=r"menu\.html: no article body found in the page"):
        read_article(write(tmp_path, "menu.html", page))


def test_page_with_text_only_in_divs_and_line_breaks(tmp_path):
    page = ("<html><head><title>Tin tức - Báo tỉnh</title></head><body><div class='noidung'>"
            "Đoạn thứ nhất của bài viết khá dài để được nhận ra.<br><br>Đoạn thứ hai cũng là nội dung chính.</div></body></html>")
    article = read_article(write(tmp_path, "cu.htm", page))
    assert article.paragraphs == [("Tin tức", "title"), ("Đoạn thứ nhất của bài viết khá dài để được nhận ra.", None),
                                  ("Đoạn thứ hai cũng là nội dung chính.", None)]


def test_html_detected_from_content_when_the_extension_lies(tmp_path):
    article = read_article(write(tmp_path, "bai-viet.txt", PORTAL_PAGE))
    assert article.format == "html" and article.paragraphs[0][1] == "title"
    text = read_article(write(tmp_path, "bai.html", "Tiêu đề\n\nMột đoạn văn < hai đoạn.\n"))
    assert text.format == "txt" and text.paragraphs == [("Tiêu đề", None), ("Một đoạn văn < hai đoạn.", None)]


def test_docx_paragraphs_with_their_styles(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Hội nghị tổng kết công tác năm 2023", level=1)
    lead = document.add_paragraph()
    lead.add_run("Sáng 17/1, Tỉnh ủy tổ chức hội nghị tổng kết.").bold = True
    document.add_paragraph("Dự hội nghị có lãnh đạo các ban, sở, ngành. Hội nghị diễn ra trong một ngày.")
    document.add_paragraph("Kết quả nổi bật", style="Heading 2")
    document.add_paragraph("Rà soát quy hoạch cán bộ.", style="List Bullet")
    document.add_paragraph("Đồng chí Bí thư phát biểu", style="Caption")
    document.add_paragraph("")
    document.add_paragraph("Theo nghean.gov.vn")
    buffer = io.BytesIO()
    document.save(buffer)
    # the extension lies: the content says .docx
    article = read_article(write(tmp_path, "bai.txt", buffer.getvalue()))
    assert article.format == "docx"
    assert article.paragraphs == [
        ("Hội nghị tổng kết công tác năm 2023", "title"),
        ("Sáng 17/1, Tỉnh ủy tổ chức hội nghị tổng kết.", "lead"),
        ("Dự hội nghị có lãnh đạo các ban, sở, ngành. Hội nghị diễn ra trong một ngày.", None),
        ("Kết quả nổi bật", "heading"),
        ("Rà soát quy hoạch cán bộ.", "list_item"),
        ("Đồng chí Bí thư phát biểu", "caption"),
        ("Theo nghean.gov.vn", None),
    ]


def test_broken_docx_is_refused_clearly(tmp_path):
    with pytest.raises(ReadError, match=r"hong\.docx: not a readable \.docx file"):
        read_article(write(tmp_path, "hong.docx", b"PK\x03\x04" + b"\x00" * 100))


SAMPLE = "Tỉnh ủy Nghệ An: Hội nghị khóa XIII bàn về công tác cán bộ.\nĐồng chí Phó Bí thư phát biểu."


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as old Vietnamese software wrote it: base letter, then a combining tone mark."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tone = "".join(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tone))
            out += (base + tone).encode("cp1258")
    return out


@pytest.mark.parametrize(
    "encoded",
    [
        SAMPLE.encode("utf-8"),
        b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"),
        SAMPLE.encode("utf-16"),
        SAMPLE.encode("utf-16-le"),
        SAMPLE.encode("utf-16-be"),
        cp1258_bytes(SAMPLE),
        unicodedata.normalize("NFD", SAMPLE).encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "cp1258", "nfd"],
)
def test_encodings_and_unicode_forms_give_the_same_nfc_text(tmp_path, encoded):
    article = read_article(write(tmp_path, "bai.txt", encoded))
    assert [t for t, _ in article.paragraphs] == SAMPLE.splitlines()


def test_tone_placement_is_kept_as_written_but_matches_equal(tmp_path):
    article = read_article(write(tmp_path, "bai.txt", "Tỉnh uỷ họp khoá XIII.\nTỉnh ủy họp khóa XIII.\n"))
    old_style, new_style = (t for t, _ in article.paragraphs)
    assert old_style == "Tỉnh uỷ họp khoá XIII." and new_style == "Tỉnh ủy họp khóa XIII."
    assert match_key(old_style) == match_key(new_style)


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("Tiêu đề\n\nMột câu.\n".encode("utf-8"))))
    article = read_article("-")
    assert article.path == "<stdin>" and article.paragraphs == [("Tiêu đề", None), ("Một câu.", None)]


def test_markdown_structure(tmp_path):
    text = ("# Hội nghị tổng kết\n\n**Sáng 17/1**, Tỉnh ủy tổ chức hội nghị\ntổng kết năm 2023.\n\n## Kết quả\n\n"
            "- Rà soát [quy hoạch](http://x.vn) cán bộ.\n- Kiện toàn bộ máy.\n\n> Phải nêu gương.\n")
    article = read_article(write(tmp_path, "bai.md", text))
    assert article.paragraphs == [
        ("Hội nghị tổng kết", "title"),
        ("Sáng 17/1, Tỉnh ủy tổ chức hội nghị tổng kết năm 2023.", None),
        ("Kết quả", "heading"),
        ("Rà soát quy hoạch cán bộ.", "list_item"),
        ("Kiện toàn bộ máy.", "list_item"),
        ("Phải nêu gương.", "quote"),
    ]


def test_hard_wrapped_text_joins_its_lines(tmp_path):
    wrapped = ("Hội nghị tổng kết công tác năm 2023\n\n"
               "Sáng 17/1, Thường trực Ban Bí thư tổ chức Hội nghị trực tuyến giao\n"
               "ban công tác năm 2023 với các đồng chí Bí thư Tỉnh ủy, Thành ủy trực\n"
               "thuộc Trung ương. Tham dự hội nghị có lãnh đạo các Ban, Văn phòng.\n"
               "Đồng chí Hoàng Nghĩa Hiếu chủ trì hội nghị tại điểm cầu Nghệ An\n"
               "Trong năm 2023, các tỉnh ủy, thành ủy tiếp tục đổi mới phương thức.\n")
    paragraphs = [t for t, _ in read_article(write(tmp_path, "bai.txt", wrapped)).paragraphs]
    assert paragraphs == [
        "Hội nghị tổng kết công tác năm 2023",
        "Sáng 17/1, Thường trực Ban Bí thư tổ chức Hội nghị trực tuyến giao ban công tác năm 2023 với các đồng chí"
        " Bí thư Tỉnh ủy, Thành ủy trực thuộc Trung ương. Tham dự hội nghị có lãnh đạo các Ban, Văn phòng.",
        "Đồng chí Hoàng Nghĩa Hiếu chủ trì hội nghị tại điểm cầu Nghệ An",
        "Trong năm 2023, các tỉnh ủy, thành ủy tiếp tục đổi mới phương thức.",
    ]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("bai.pdf", b"%PDF-1.7\n...", "a PDF file"),
        ("bai.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "Word 97–2003 .doc file: save it as .docx"),
        ("anh.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "an image (PNG)"),
        ("rac.txt", bytes(range(256)) * 4, "binary file, not text"),
        ("rac16.txt", bytes(b for i in range(200) for b in (i % 32, 0)), "binary file, not text"),  # zeros like UTF-16
        ("rong.txt", b"  \n\n \t\n", "no text to translate"),
    ],
)
def test_files_that_are_not_articles(tmp_path, name, data, message):
    with pytest.raises(ReadError) as e:
        read_article(write(tmp_path, name, data))
    assert str(e.value).startswith(str(tmp_path / name) + ": ") and message in str(e.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_article(tmp_path / "khong-co.txt")
    with pytest.raises(ReadError, match="is a folder"):
        read_article(tmp_path)


def test_one_line_of_5000_characters(tmp_path):
    line = ("Các đại biểu thảo luận, góp ý kiến vào dự thảo báo cáo " * 100)[:5000]
    article = read_article(write(tmp_path, "dai.txt", line + "\n"))
    assert article.paragraphs == [(" ".join(line.split()), None)]


def test_captions_in_the_layouts_portals_use(tmp_path):
    page = """<html><head><title>Tin tỉnh</title></head><body><div class="news-detail">
    <h1>Khánh thành cầu mới tại huyện miền núi</h1>
    <div class="content">
      <p>Sáng 17/1, tỉnh tổ chức lễ khánh thành cầu treo bản Mường. Cây cầu dài 120 m, rộng 2 m.</p>
      <p style="text-align:center"><img src="cau.jpg"></p>
      <p style="text-align:center"><em>Các đại biểu cắt băng khánh thành cầu treo</em></p>
      <table class="tplCaption"><tr><td><img src="b.jpg"></td></tr><tr><td><p class="Image">Người dân đi trên cầu mới. Ảnh: Thành Cường</p></td></tr></table>
      <div class="VCSortableInPreviewMode"><div><img src="c.jpg"></div><div class="PhotoCMS_Caption"><p>Toàn cảnh cầu treo</p></div></div>
      <p>Công trình có tổng vốn đầu tư 5 tỷ đồng. <em>Đây là</em> niềm vui lớn của bà con.</p>
    </div></div></body></html>"""
    article = read_article(write(tmp_path, "cau.html", page))
    assert [(t[:25], h) for t, h in article.paragraphs] == [
        ("Khánh thành cầu mới tại h", "title"),
        ("Sáng 17/1, tỉnh tổ chức l", None),
        ("Các đại biểu cắt băng khá", "caption"),
        ("Người dân đi trên cầu mới", "caption"),
        ("Toàn cảnh cầu treo", "caption"),
        ("Công trình có tổng vốn đầ", None),
    ]


def test_logo_heading_footer_and_link_lists_stay_out(tmp_path):
    page = """<html><body><div class="wrapper">
    <h1 class="logo">Báo điện tử Đảng bộ tỉnh</h1>
    <div class="box"><h2 class="detail-title">Tỉnh đón nhận Huân chương Lao động hạng Nhất</h2>
      <div class="detail-body">
        <p>Chiều 17/1, tỉnh long trọng tổ chức lễ đón nhận Huân chương Lao động hạng Nhất. Dự buổi lễ có nhiều đồng chí lãnh đạo.</p>
        <p>Phát biểu tại buổi lễ, đồng chí Bí thư Tỉnh ủy ghi nhận những nỗ lực của cán bộ, nhân dân toàn tỉnh.</p>
      </div></div>
    <div class="box2"><b>Tin mới</b><ul><li><a>Hội nghị Ban Chấp hành Đảng bộ tỉnh</a></li><li><a>Khánh thành cầu treo</a></li></ul></div>
    <p class="copy">Giấy phép số 123/GP-BTTTT. Ghi rõ nguồn khi phát hành lại thông tin từ website này.</p>
    </div></body></html>"""
    paragraphs = read_article(write(tmp_path, "le.html", page)).paragraphs
    assert [h for _, h in paragraphs] == ["title", None, None]
    assert paragraphs[0][0] == "Tỉnh đón nhận Huân chương Lao động hạng Nhất"


def test_meta_line_and_a_wrapper_named_like_a_sidebar(tmp_path):
    page = """<html><body><div class="layout has-sidebar"><article>
    <h1>Hội nghị giao ban báo chí quý I năm 2024</h1>
    <div class="meta"><span class="author">Thu Hà</span> | <span class="publish-date">17/01/2024 08:30</span></div>
    <p>Sáng 17/1, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban báo chí. Hội nghị đánh giá công tác quý I.</p>
    </article><div class="sidebar"><p>Tin đọc nhiều: một tin rất dài không thuộc bài viết này đâu nhé.</p></div></div></body></html>"""
    assert read_article(write(tmp_path, "gb.html", page)).paragraphs == [
        ("Hội nghị giao ban báo chí quý I năm 2024", "title"),
        ("Thu Hà", "byline"),
        ("17/01/2024 08:30", "dateline"),
        ("Sáng 17/1, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban báo chí. Hội nghị đánh giá công tác quý I.", None),
    ]
