import unicodedata

from vi2en.text import has_vietnamese_letters, match_key


def test_match_key_equates_tone_placement_nfd_and_case():
    assert match_key("Tỉnh ủy") == match_key("Tỉnh uỷ") == match_key(unicodedata.normalize("NFD", "tỉnh uỷ"))
    assert match_key("khóa XIII") == match_key("khoá XIII")
    assert match_key("hóa") == match_key("hoá")
    assert match_key("hoa") != match_key("hóa")  # a different tone is a different word
    assert match_key("Ban  Bí thư") == match_key("ban bí thư")
    assert match_key("Tỉnh ủy", fold_case=False) != match_key("tỉnh ủy", fold_case=False)


def test_vietnamese_letters():
    assert has_vietnamese_letters("Hà Nội") and has_vietnamese_letters("Đà")
    assert not has_vietnamese_letters("Ha Noi Party Committee")
