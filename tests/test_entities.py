"""Entities (src/vi2en/entities.py): the composed news sentences of tests/data/entities.tsv, each
rule with its negative cases, the data files, and properties that hold for any text."""

from __future__ import annotations

import csv
import re
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vi2en.entities import KINDS, Entities
from vi2en.glossary import PROJECT_GLOSSARY, Glossary

CASES_FILE = Path(__file__).parent / "data" / "entities.tsv"
DATA = PROJECT_GLOSSARY / "entities"


def read_cases() -> list[tuple[str, str, list[str]]]:
    rows = list(csv.DictReader(CASES_FILE.read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r["date"], r["vi"], r["expected"].split(" | ") if r["expected"] else []) for r in rows]


CASES = read_cases()


def year_of(date: str) -> int | None:
    return int(date[:4]) if date else None


@pytest.fixture(scope="module")
def entities() -> Entities:
    return Entities.load()


def en(entities: Entities, text: str, year: int | None = None) -> list[str]:
    return [e.en for e in entities.find(text, year=year)]


# ---------------------------------------------------------------- the composed cases


@pytest.mark.parametrize("date, vi, expected", CASES, ids=[f"{n + 2}" for n in range(len(CASES))])
def test_case(entities, date, vi, expected):
    """Every entity of the sentence, exactly as restored from its placeholder with no model."""
    assert en(entities, vi, year_of(date)) == expected


def test_the_cases_cover_every_kind_and_the_negatives(entities):
    assert len(CASES) >= 450
    kinds = {e.kind for date, vi, _ in CASES for e in entities.find(vi, year=year_of(date))}
    assert kinds == set(KINDS)
    assert sum(1 for *_, expected in CASES if not expected) >= 60
    for date, vi, _ in CASES:
        assert not date or re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)
        assert vi == unicodedata.normalize("NFC", vi) and vi == vi.strip()


def other_tone_placement(text: str) -> str:
    """hoá ↔ hóa, thuỷ ↔ thủy, Khánh Hoà ↔ Khánh Hòa: the other accepted place of the tone."""
    tones = "\u0300\u0301\u0303\u0309\u0323"

    def split(c: str) -> tuple[str, str]:
        d = unicodedata.normalize("NFD", c)
        return unicodedata.normalize("NFC", "".join(x for x in d if x not in tones)), "".join(x for x in d if x in tones)

    def move(m: re.Match) -> str:
        word = m.group(0)
        (a, ta), (b, tb) = split(word[-2]), split(word[-1])
        if (a + b).lower() not in ("oa", "oe", "uy") or bool(ta) == bool(tb) or word[:-2].lower().endswith("q"):
            return word
        return word[:-2] + unicodedata.normalize("NFC", a + tb) + unicodedata.normalize("NFC", b + ta)

    return re.sub(r"\w\w+", move, text)


def test_nfd_and_the_other_tone_placement_give_the_same_entities(entities):
    changed = 0
    for date, vi, expected in CASES:
        for variant in (unicodedata.normalize("NFD", vi), other_tone_placement(vi)):
            found = entities.find(variant, year=year_of(date))
            assert [e.en for e in found] == expected, variant
            assert all(variant[e.start : e.end] == e.vi for e in found)
        changed += other_tone_placement(vi) != vi
    assert changed >= 10  # the variants do differ


# ---------------------------------------------------------------- names


def test_names_after_honorifics_ranks_and_academic_titles(entities):
    assert en(entities, "Chị Vũ Thị Mai Anh cho biết.") == ["Vu Thi Mai Anh"]
    assert en(entities, "Hôm qua, anh Tuấn về quê.") == ["Tuan"]  # one syllable after an honorific
    assert en(entities, "Thượng tá Khuất Duy Tiến báo cáo.") == ["Khuat Duy Tien"]
    assert en(entities, "Báo cáo của đại tá Lò Văn Muôn.") == ["Lo Van Muon"]  # rank in lower case
    for title in ("PGS.TS.", "PGS.TS", "TS.", "ThS.", "BS.", "Nhà giáo Nhân dân"):
        assert en(entities, f"{title} Đỗ Thị Hằng phát biểu.") == ["Do Thi Hang"], title
    assert entities.find("Ông Lê Văn Sơn nói.")[0].rule == "name:after-title"


def test_a_lower_case_honorific_is_no_title_when_capitalised_mid_sentence(entities):
    assert en(entities, "Du khách ra đảo Cô Tô.") == []
    assert en(entities, "Cô Tô là huyện đảo.") == []  # an exception: the place, not cô + Tô
    assert en(entities, "Cô Lan dạy giỏi.") == ["Lan"]  # at a sentence start it is the honorific


def test_no_name_after_an_honorific_or_office_followed_by_a_title_or_body(entities):
    for text in ("Ông Chủ tịch xã xuống hiện trường.", "Đồng chí Bí thư Tỉnh ủy chỉ đạo.", "Chủ tịch Quốc hội phát biểu.", "Thủ tướng Chính phủ ký quyết định."):
        assert en(entities, text) == [], text


def test_names_after_offices_need_a_surname_or_a_foreign_name(entities):
    assert en(entities, "Thủ tướng Lê Văn Ba tiếp đoàn.") == ["Le Van Ba"]
    assert en(entities, "Bộ trưởng Hà Văn Thắng dự họp.") == ["Ha Van Thang"]
    assert en(entities, "Tổng thống Pháp Emmanuel Macron thăm Việt Nam.") == ["Emmanuel Macron", "Vietnam"]
    assert en(entities, "Đại sứ Hoa Kỳ Marc Berger dự lễ.") == ["Marc Berger"]  # past the country
    assert en(entities, "Tổng thống Mỹ George W. Bush thăm Hà Nội.") == ["George W. Bush", "Hanoi"]
    assert en(entities, "Đại sứ Hàn Quốc chào từ biệt.") == []
    assert en(entities, "Cựu thị trưởng Massachusetts phát biểu.") == []  # "Trưởng" alone is no office


def test_foreign_names_are_kept_as_written_vietnamese_ones_lose_their_diacritics(entities):
    assert en(entities, "Ông José Ramírez và bà Jürgen Müller dự họp.") == ["José Ramírez", "Jürgen Müller"]
    assert en(entities, "Tổng Thư ký Liên Hợp Quốc António Guterres phát biểu.") == ["António Guterres"]
    assert en(entities, "Ông Y Khu Niê và Đinh Thị Kđăm dự lễ.") == ["Y Khu Nie", "Dinh Thi Kdam"]


def test_appositions(entities):
    assert en(entities, "Y Bhăm Niê – Chủ tịch UBND xã phát biểu.") == ["Y Bham Nie"]
    hit = entities.find("Y Bhăm Niê – Chủ tịch UBND xã phát biểu.")[0]
    assert (hit.rule, hit.vi) == ("name:apposition", "Y Bhăm Niê")
    assert en(entities, "Ông Lê Văn Sơn – Chủ tịch UBND xã cho biết.") == ["Le Van Son"]  # not "Ong Le…"
    assert en(entities, "Đoàn Nghệ An – Hà Tĩnh lên đường.") == ["Nghe An", "Ha Tinh"]  # no office after the dash
    assert en(entities, "Vườn quốc gia Phong Nha – Kẻ Bàng đón khách.") == []


def test_standalone_names_begin_with_a_surname(entities):
    assert en(entities, "Phạm Anh Tuấn cho biết.") == ["Pham Anh Tuan"]
    assert entities.find("Phạm Anh Tuấn cho biết.")[0].rule == "name:surname"
    assert en(entities, "Theo Nguyễn Thị Lan, kết quả tốt.") == ["Nguyen Thi Lan"]  # "Theo" opens the sentence
    assert en(entities, "Đường Lê Lợi được mở rộng.") == ["Le Loi"]


def test_surnames_that_are_words_or_places_need_three_syllables(entities):
    assert en(entities, "Hà Văn Tới làm trưởng thôn.") == ["Ha Van Toi"]
    for text in ("Ngày mai đoàn sẽ tới.", "Du khách về Mai Châu.", "Cao điểm mùa lũ.", "Lâm Đồng đón khách.", "Thái Lan là đối tác.", "Thái Bình Dương rộng lớn."):
        assert all(e.kind != "name" for e in entities.find(text)), text


def test_a_name_stops_before_a_word_no_name_holds(entities):
    assert en(entities, "Nguyễn Văn An Bí thư chi bộ dự họp.") == ["Nguyen Van An"]
    assert en(entities, "Tổ chức Bác sĩ Không biên giới hỗ trợ.") == []
    assert en(entities, "Bồ Đào Nha và Kênh Đào Bạch Hải.") == []


def test_sentence_openers_and_capitalised_words_are_not_names(entities):
    for text in ("Theo kế hoạch, công trình hoàn thành.", "Trong Hội nghị, đại biểu thảo luận.", "Đồng thời, tỉnh tăng cường kiểm tra.", "Hòa bình là khát vọng chung.", "Lý do chậm tiến độ đã rõ.", "Phạm vi điều chỉnh mở rộng.", "Vũ khí đã được thu hồi.", "Đoàn Thanh niên ra quân.", "TRƯỞNG THÔN NGUYỄN VĂN A ĐƯỢC KHEN"):
        assert en(entities, text) == [], text


def test_initials(entities):
    assert en(entities, "Cháu T.A.M. (6 tuổi) đã được cứu.") == ["T.A.M."]
    assert en(entities, "Bị can Nguyễn Văn T. (35 tuổi) bị bắt.") == ["Nguyen Van T."]
    found = entities.find("Người bị hại là bà Nguyễn Thị B.")
    assert [e.en for e in found] == ["Nguyen Thi B"] and found[0].vi == "Nguyễn Thị B"  # the full stop is the sentence's
    assert en(entities, "Cháu Đ.V.H. được tuyên dương.") == ["D.V.H."]


def test_overrides_win(entities):
    assert entities.find("Lê Hồng Vinh dự họp.")[0].rule == "name:override"  # people.tsv
    assert en(entities, "Tư tưởng Hồ Chí Minh soi đường.") == ["Ho Chi Minh"]
    assert en(entities, "Quê hương Bác Hồ đón khách.") == ["Uncle Ho"]  # a glossary person
    assert en(entities, "Chủ tịch Tập Cận Bình hội đàm.") == ["Xi Jinping"]  # names.tsv
    assert en(entities, "Phó Thủ tướng Nguyễn Hòa Bình chủ trì.") == ["Nguyen Hoa Binh"]  # not the province


def test_names_in_codes_addresses_and_links_are_not_entities_but_addresses_are_kept_whole(entities):
    """A name inside an address is not a name; the address itself is kept exactly as written,
    without the full stop that ends the sentence."""
    for text, address in (
        ("Gửi thư về NguyenVanA@nghean.gov.vn.", "NguyenVanA@nghean.gov.vn"),
        ("Xem tại https://baonghean.vn/Nguyen-Van-A-123.html.", "https://baonghean.vn/Nguyen-Van-A-123.html"),
        ("Truy cập www.nghean.gov.vn để biết thêm.", "www.nghean.gov.vn"),
        ("Theo nghean.gov.vn, tỉnh có 5 huyện.", "nghean.gov.vn"),
    ):
        found = entities.find(text)
        assert [(e.vi, e.en, e.kind) for e in found if e.kind == "address"] == [(address, address, "address")], text
        assert all(e.kind in ("address", "number") for e in found), text
    assert en(entities, "Theo Quyết định 15/QĐ-UBND.") == []
    assert en(entities, "TP.HCM có 20 quận.") == ["Ho Chi Minh City"]  # not a domain


def test_contact_and_source_lines_with_addresses_are_rendered_by_rule(entities):
    assert entities.credit_line("Nguồn: https://baochinhphu.vn/abc-123.htm") == "Source: https://baochinhphu.vn/abc-123.htm"
    assert entities.credit_line("Email: toasoan@nghean.gov.vn") == "Email: toasoan@nghean.gov.vn"
    assert entities.credit_line("Theo nghean.gov.vn") == "Source: nghean.gov.vn"


# ---------------------------------------------------------------- places


def test_provinces_old_and_new_whatever_their_validity_dates(entities):
    assert en(entities, "Tỉnh Hà Giang có nhiều đèo.", year=2026) == ["Ha Giang province"]  # merged away in 2025
    assert en(entities, "Thừa Thiên Huế và Bình Định.", year=2026) == ["Thua Thien Hue", "Binh Dinh"]
    assert en(entities, "tỉnh Tuyên Quang mới", year=2025) == ["Tuyen Quang province"]
    assert en(entities, "tỉnh Phù Cát") == []  # tỉnh takes only a province


def test_centrally_run_cities_stand_bare(entities):
    assert en(entities, "TP Đà Nẵng, thành phố Hà Nội, TP. Huế và TP Hồ Chí Minh.") == ["Da Nang", "Hanoi", "Hue", "Ho Chi Minh City"]
    assert en(entities, "Thành phố Quy Nhơn, TP Vinh.") == ["Quy Nhon city", "Vinh city"]


def test_administrative_units_in_english_order(entities):
    text = "Huyện Phù Cát, H. Tây Sơn, thị xã An Nhơn, TX. Hoài Nhơn, thị trấn Ngô Mây, TT Cát Tiến, xã Nhơn Hạnh, phường Bình Định, P. Trần Phú, quận Hai Bà Trưng, Q. Ba Đình, đặc khu Phú Quốc, huyện đảo Lý Sơn."
    assert en(entities, text) == [
        "Phu Cat district", "Tay Son district", "An Nhon town", "Hoai Nhon town", "Ngo May township", "Cat Tien township",
        "Nhon Hanh commune", "Binh Dinh ward", "Tran Phu ward", "Hai Ba Trung district", "Ba Dinh district",
        "Phu Quoc special zone", "Ly Son island district",
    ]
    assert {e.rule for e in entities.find(text)} == {"place:unit"}


def test_numbered_units(entities):
    assert en(entities, "phường 5, quận 3, Phường 12, Quận 10, Q.1, P. 7") == ["Ward 5", "District 3", "Ward 12", "District 10", "District 1", "Ward 7"]


def test_unit_guards(entities):
    assert en(entities, "các xã Nhơn Hạnh, Nhơn Phong và 3 phường Nhơn Phú") == []  # lists are the model's
    assert en(entities, "Đoàn thăm Hợp tác xã Thành Công.") == []  # a cooperative, not a commune
    assert en(entities, "thành phố Vancouver, quận Niigata, thị trấn Sintra, thành phố Bắc Kinh") == []  # abroad
    assert en(entities, "TT Y tế huyện") == []  # an abbreviated unit needs two syllables
    assert en(entities, "Chủ tịch UBND huyện Trần Văn Kiên phát biểu.") == ["Tran Van Kien"]  # the person
    assert en(entities, "Chủ tịch UBND phường Lê Lợi phát biểu.") == ["Le Loi ward"]
    assert en(entities, "Chủ tịch UBND xã Nhơn Hạnh Lê Văn Bình cho biết.") == ["Nhon Hanh commune", "Le Van Binh"]


def test_a_place_that_begins_a_longer_proper_name_is_not_taken(entities):
    assert en(entities, "Chiến thắng Điện Biên Phủ lừng lẫy.") == []
    assert en(entities, "Điện Biên là tỉnh miền núi.") == ["Dien Bien"]
    assert en(entities, "Bí thư Tỉnh ủy Nghệ An Nguyễn Đức Trung dự họp.") == ["Nghe An", "Nguyen Duc Trung"]


# ---------------------------------------------------------------- figures


def test_vietnamese_notation_becomes_english(entities):
    assert en(entities, "đạt 62,58%") == ["62.58%"]
    assert en(entities, "rộng 21.576,5 km²") == ["21,576.5 km²"]
    assert en(entities, "có 8.993.082 người") == ["8,993,082"]
    assert en(entities, "đạt 0,5 điểm") == ["0.5"]
    assert entities.find("có 8.993.082 người")[0].vi == "8.993.082"  # "người" is the model's


def test_scales_units_and_money(entities):
    assert en(entities, "3,153 triệu, 2,5 triệu hộ, 10 tỷ đồng, 1.250 tỷ đồng, 500 triệu đồng, 2,5 triệu USD") == [
        "3.153 million", "2.5 million", "10 billion VND", "1,250 billion VND", "500 million VND", "2.5 million USD",
    ]
    assert en(entities, "150 nghìn tấn, 150 ngàn tấn, 1,5 nghìn tỷ đồng, 2,75 nghìn") == ["150,000 tonnes", "150,000 tonnes", "1,500 billion VND", "2,750"]
    assert en(entities, "12 ha, 25 km, 1 tấn, 2 tấn, 1 lít, 15000 ha, 40°C, 10 độ C") == ["12 ha", "25 km", "1 tonne", "2 tonnes", "1 litre", "15,000 ha", "40°C", "10°C"]
    assert en(entities, "8.500 đồng/kg, 300.000đ/người") == ["8,500 VND", "300,000 VND"]


def test_money_needs_money(entities):
    assert en(entities, "Có 2 đồng chí được khen.") == []
    assert en(entities, "Hơn 5 triệu đồng bào được hỗ trợ.") == ["5 million"]


def test_ambiguous_or_english_figures_are_left_alone(entities):
    for text in ("đạt 1.5 điểm", "Cách mạng 4.0", "doanh thu 1,250,000 USD", "con số 3,153", "phiên bản 2.1.3", "1,250.5 tấn"):
        assert en(entities, text) == [], text


def test_codes_phones_years_and_ordinals_are_not_figures(entities):
    for text in (
        "Nghị quyết số 21-NQ/TW", "Quyết định 1234/QĐ-TTg", "Luật số 59/2020/QH14", "Gọi 0238 3844 555", "(0238) 3598 123",
        "Gọi 0912.345.678", "Tổng đài 1900 1234", "Tổng đài 1900 xxxx", "Năm 2023 kinh tế tăng", "Đại hội lần thứ 19",
        "khóa XIII", "COVID-19", "Quốc lộ 1A", "biển số 37A-123.45", "ISO 9001:2015", "lúc 14:10", "mã 000123", "tỷ số 3-1",
        "Quyết định số 1.234/QĐ-UBND", "Công văn 2.345/UBND-KT", "Gọi +84 912.345.678",
    ):
        assert en(entities, text) == [], text
    # an address is an entity of its own, and the figure inside it stays part of it
    for url in ("https://thongke.gov.vn/bao-cao?so=1.250", "https://cong.example.io/?n=1.250"):
        assert en(entities, f"Xem {url}") == [url]


# ---------------------------------------------------------------- dates and times


def test_dates(entities):
    assert en(entities, "ngày 1/4/2019, ngày 02/02/2023, ngày 15-1-2024, hạn 30.6.2024") == ["April 1, 2019", "February 2, 2023", "January 15, 2024", "June 30, 2024"]
    assert en(entities, "Sáng 17/1, chiều 22.4, tối 5-5, hôm nay (18/1), từ 29/4 đến 1/5") == ["January 17", "April 22", "May 5", "January 18", "April 29", "May 1"]
    assert entities.find("Sáng 17/1, đoàn đến.")[0].vi == "17/1"  # "sáng" is the model's
    assert en(entities, "Ngày 17 tháng 1 năm 2024 và ngày 5 tháng 7") == ["January 17, 2024", "July 5"]


def test_a_date_without_a_year_is_checked_against_the_article_year(entities):
    assert en(entities, "Tối 29/2, lễ hội khai mạc.", year=2024) == ["February 29"]
    assert en(entities, "Tối 29/2, lễ hội khai mạc.", year=2023) == []
    assert en(entities, "Tối 29/2, lễ hội khai mạc.") == ["February 29"]  # no year: a day some year has
    assert en(entities, "ngày 29/2/2023") == []


def test_impossible_dates_are_not_entities(entities):
    for text in ("ngày 31/2", "ngày 32/1", "ngày 15/13", "ngày 31/4/2024", "tháng 13/2024", "ngày 0/5"):
        assert en(entities, text) == [], text


def test_day_and_month_need_a_word_of_time(entities):
    for text in ("Khoảng 1/3 dân số", "Đại lễ 30/4", "Quốc khánh 2/9", "từ 2-5 ngày", "gần 1/2 số hộ", "từ 1.7", "đạt 22.4 điểm"):
        assert en(entities, text) == [], text


def test_months_quarters_and_parts_of_the_year(entities):
    assert en(entities, "tháng 3/2024, tháng 12 năm 2024, quý I/2025, Quý II năm 2024, quý IV, quý 3/2024") == [
        "March 2024", "December 2024", "the first quarter of 2025", "the second quarter of 2024", "the fourth quarter", "the third quarter of 2024",
    ]
    assert en(entities, "6 tháng đầu năm, 6 tháng đầu năm 2024, 9 tháng năm 2024, 11 tháng năm 2024, 6 tháng đầu năm nay") == [
        "the first six months of the year", "the first six months of 2024", "the first nine months of 2024", "the first 11 months of 2024", "the first six months of this year",
    ]
    assert en(entities, "Năm 2023, tỉnh phát triển.") == []  # a plain year is left


def test_times(entities):
    assert en(entities, "lúc 11 giờ 47 phút, 8 giờ 30, 8h30, 6 giờ 5 phút") == ["11:47", "8:30", "8:30", "6:05"]
    assert en(entities, "mất 2 giờ 30 phút, sau 3 giờ 15 phút, trong 1 giờ 20 phút, 25 giờ 70 phút") == []


def test_ranges_and_periods(entities):
    assert en(entities, "2020 - 2025, 2020-2025, 2020 – 2025") == ["2020–2025"] * 3
    assert en(entities, "nhiệm kỳ 2021 - 2026, Giai đoạn 2021-2025, thời kỳ 2021 - 2030, năm học 2024 - 2025, niên khoá 2023-2024") == [
        "the 2021–2026 tenure", "the 2021–2025 period", "the 2021–2030 period", "the 2024–2025 school year", "the 2023–2024 school year",
    ]
    assert en(entities, "số liệu 2025 - 2020, tỷ số 2 - 1, năm 2024-25") == []


# ---------------------------------------------------------------- bodies


def test_departments_with_full_names_abbreviations_and_their_province(entities):
    assert en(entities, "Sở Tài chính, Sở GD&ĐT, Sở KH&ĐT, Sở TN&MT, Sở NN&PTNT, Sở LĐ-TB&XH, Sở VH-TT&DL, Sở GTVT, Sở KH&CN, Sở TT&TT") == [
        "Department of Finance", "Department of Education and Training", "Department of Planning and Investment",
        "Department of Natural Resources and Environment", "Department of Agriculture and Rural Development",
        "Department of Labour, Invalids and Social Affairs", "Department of Culture, Sports and Tourism",
        "Department of Transport", "Department of Science and Technology", "Department of Information and Communications",
    ]
    assert en(entities, "Sở Y tế tỉnh Nghệ An, Sở Y tế Hà Nội, Sở Y tế TP Hồ Chí Minh") == ["Nghe An Department of Health", "Hanoi Department of Health", "Ho Chi Minh City Department of Health"]
    # the glossary's 2025 merged departments and the ones merged away alike (validity dates ignored)
    assert en(entities, "Sở Nông nghiệp và Môi trường, Sở Kế hoạch và Đầu tư", year=2026) == ["Department of Agriculture and Environment", "Department of Planning and Investment"]
    assert en(entities, "Sở dĩ như vậy, sở hữu trí tuệ") == []


def test_schools(entities):
    assert en(entities, "Trường THCS Nhơn Hạnh, Trường THPT Chuyên Phan Bội Châu, Trường Tiểu học Lê Lợi, Trường Mầm non Hoa Sen") == [
        "Nhon Hanh Lower Secondary School", "Phan Boi Chau High School for the Gifted", "Le Loi Primary School", "Hoa Sen Kindergarten",
    ]
    assert en(entities, "Trường THPT số 1 Phù Cát, Trường Đại học Vinh, Trường Cao đẳng Nghệ An, trường tiểu học Hưng Dũng 1") == [
        "Phu Cat No. 1 Upper Secondary School", "Vinh University", "Nghe An College", "Hung Dung 1 Primary School",
    ]
    assert en(entities, "Trường THCS được xây mới; Trường Đại học Sư phạm; Trường Đại học Kinh tế Quốc dân") == []


def test_hospitals_and_health_centres(entities):
    assert en(entities, "Bệnh viện Đa khoa tỉnh Nghệ An, Bệnh viện Chợ Rẫy, Trung tâm Y tế huyện Phù Cát, Bệnh viện Trung ương Huế, Bệnh viện Nhi Trung ương") == [
        "Nghe An Provincial General Hospital", "Cho Ray Hospital", "Phu Cat District Health Centre", "Hue Central Hospital", "National Children's Hospital",
    ]
    assert en(entities, "Bệnh viện Đa khoa khu vực Bồng Sơn, Trung tâm Y tế TP Quy Nhơn, Bệnh viện K, Bệnh viện Quân y 4") == [
        "Bong Son Regional General Hospital", "Quy Nhon City Health Centre", "K Hospital", "Military Hospital 4",
    ]
    assert en(entities, "Trung tâm Y tế được giao chỉ tiêu; bệnh viện tỉnh quá tải; Bệnh viện Quân đội") == []


def test_central_agencies_and_assembly_committees(entities):
    assert en(entities, "Tổng cục Thống kê, Phó Tổng Thanh tra Chính phủ, Kho bạc Nhà nước tỉnh Nghệ An, Ban Dân nguyện") == [
        "General Statistics Office", "Deputy Inspector General of the Government Inspectorate", "Nghe An State Treasury", "People's Aspirations Committee",
    ]
    assert en(entities, "Thanh tra Chính phủ và Kiểm toán Nhà nước") == []  # the glossary's


def test_no_body_here_duplicates_the_glossary():
    glossary = Glossary.load()
    for row in csv.DictReader((DATA / "bodies.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"):
        vi = row["vi"].replace("{province}", "Nghệ An")
        spans = [(h["start"], h["end"]) if isinstance(h, dict) else (h.start, h.end) for h in glossary.find(vi)]  # dicts, or TermHits
        assert (0, len(vi)) not in spans, f"{row['vi']} is a glossary term"


# ---------------------------------------------------------------- the API, the data, the cache


def test_entities_are_sorted_spans_of_the_input(entities):
    text = "Sáng 17/1, ông Phạm Anh Tuấn về huyện Phù Cát nhận 1.250 tỷ đồng cho Trường THCS Nhơn Hạnh."
    found = entities.find(text)
    assert [e.en for e in found] == ["January 17", "Pham Anh Tuan", "Phu Cat district", "1,250 billion VND", "Nhon Hanh Lower Secondary School"]
    assert [e.kind for e in found] == ["date", "name", "place", "number", "body"]
    assert all(text[e.start : e.end] == e.vi and e.rule.startswith(e.kind) for e in found)
    assert entities.find("") == []


def test_load_is_cached_and_follows_edits(tmp_path):
    assert Entities.load() is Entities.load()
    folder = tmp_path / "glossary"
    shutil.copytree(PROJECT_GLOSSARY, folder)
    assert en(Entities.load(folder), "Ông Khâm dự họp; Khâm Văn Sáu đến.") == ["Kham"]
    surnames = folder / "entities" / "surnames.tsv"
    surnames.write_text(surnames.read_text(encoding="utf-8") + "Khâm\t2\t\n", encoding="utf-8")
    assert en(Entities.load(folder), "Ông Khâm dự họp; Khâm Văn Sáu đến.") == ["Kham", "Kham Van Sau"]


def test_a_glossary_without_entity_data_uses_the_projects(tmp_path):
    (tmp_path / "people.tsv").write_text("vi\ten\tkind\nTrần Văn Một\tTran Van Mot (override)\tperson\n", encoding="utf-8")
    found = Entities.load(tmp_path)
    assert en(found, "Trần Văn Một và huyện Phù Cát.") == ["Tran Van Mot (override)", "Phu Cat district"]


@pytest.mark.parametrize("path", sorted(DATA.iterdir()), ids=lambda p: p.name)
def test_data_files_are_clean(path):
    text = path.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text) and text.endswith("\n") and "\r" not in text
    if path.suffix == ".md":
        return
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines and all(line == line.strip(" ") and "  " not in line for line in lines), path.name
    if path.suffix == ".tsv":
        widths = {len(line.split("\t")) for line in lines}
        assert len(widths) == 1, f"{path.name}: rows of {widths} columns"
        header = lines[0].split("\t")
        assert all(cell == cell.strip(" ") for line in lines for cell in line.split("\t"))
        assert len(set(line.split("\t")[0] for line in lines[1:])) == len(lines) - 1, f"{path.name}: a duplicate"
        assert header[0] in ("vi", "surname")
    else:
        assert len(set(lines)) == len(lines), f"{path.name}: a duplicate"


# ---------------------------------------------------------------- properties

_PIECES = [
    "Nguyễn", "Văn", "A", "ông", "Ông", "đồng chí", "Đại tá", "huyện", "TP.", "xã", "phường", "Sở", "GD&ĐT", "Trường", "THCS", "Bệnh viện",
    "Đa khoa", "tỉnh", "Nghệ An", "Hà Nội", "Hồ Chí Minh", "T.A.M.", "17/1", "1.250", "2,5", "triệu", "tỷ", "đồng", "%", "km²", "giờ", "phút",
    "quý", "I/2025", "nhiệm kỳ", "2021", "-", "–", " - ", "/", ".", ",", "(", ")", ":", "“", "0238 3844 555", "21-NQ/TW", "@", "https://x.vn/",
    "\u0301", "\u0323", "Đ", "đ", "ư", "Q.1", " ", "  ", "\n", "a", "9", "…",
]


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])  # no .hypothesis/ folder
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=40).map(" ".join), st.one_of(st.none(), st.integers(1900, 2100)))
def test_find_never_fails_and_returns_sorted_disjoint_spans(text, year):
    for variant in (text, unicodedata.normalize("NFD", text)):
        found = Entities.load().find(variant, year=year)
        assert all(0 <= e.start < e.end <= len(variant) and variant[e.start : e.end] == e.vi for e in found)
        assert all(a.end <= b.start for a, b in zip(found, found[1:]))
        assert all(e.kind in KINDS and e.en for e in found)


def test_long_input_completes():
    """20,000 words of news, then of the worst shapes (names, figures, titles): linear, so it ends."""
    words = " ".join(vi for _, vi, _ in CASES).split()
    news = " ".join((words * (20_000 // len(words) + 1))[:20_000])
    started = time.perf_counter()
    assert len(Entities.load().find(news)) > 1000
    for worst in ("Nguyễn " * 20_000, "ông " * 20_000, "1.000" * 5_000, "Sở GD&ĐT tỉnh " * 5_000, "17/1/2024 - " * 5_000, "a-1/" * 10_000):
        Entities.load().find(worst)
    print(f"20,000 words in {time.perf_counter() - started:.2f} s with the worst shapes")


@pytest.mark.parametrize("line, english", [
    ("Theo nghean.gov.vn", "Source: nghean.gov.vn"),
    ("Nguồn: TTXVN", "Source: VNA"),
    ("Tin, ảnh: Minh Châu", "Text and photos: Minh Chau"),
    ("Tin: Ngọc Hân", "Text: Ngoc Han"),
    ("Ảnh: Hồng Nhung", "Photo: Hong Nhung"),
    ("PV", "Reporter"),
    ("Thanh Hương (TTXVN)", "Thanh Huong (VNA)"),
    ("Minh Châu/VOV", "Minh Chau/VOV"),
    ("Theo Báo Nghệ An", "Source: Nghe An Newspaper"),
    ("Bài và ảnh: Lê Hoa - Trần Nam", "Story and photos: Le Hoa - Tran Nam"),
])
def test_source_lines_and_bylines_are_rendered_by_rule(line, english):
    assert Entities.load().credit_line(line) == english


@pytest.mark.parametrize("line", ["Theo kế hoạch", "Theo tin từ Bộ Y tế", "Ảnh minh họa cho bài viết về hội nghị"])
def test_lines_that_hold_more_than_credits_are_left_to_the_model(line):
    assert Entities.load().credit_line(line) is None
