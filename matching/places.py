"""Where a place is: addresses and 町丁目 names to points and zones (町名), in one list.

The 2024 list (``matching.addresses``, 「太子堂四丁目」) is the one the screens offer and the one
whose 町名 are the zones. The 2015 census list (``matching.geography``, 「太子堂4丁目」, with
population) still places the demo's and the benchmarks' people; each of its 町丁目 is mapped
once onto its 2024 町丁目 (:func:`area_of`), so that a zone is the same word whichever list a
row came from, and a 町丁目 named either way (太子堂4丁目 or 太子堂四丁目) is accepted.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from db import InvalidInput
from matching.addresses import AddressNotFound, Area, areas, locate
from matching.geography import Chome, load_chome

_CHOME_SUFFIX = re.compile(r"[0-9０-９一二三四五六七八九十]+丁目\Z")
_M_PER_DEG = 111_195.0

#: A point farther than this from every 町丁目 point is not in the 23 wards.
SERVICE_AREA_M = 2000.0
#: A point picked on the map may move a resident this far from their 町丁目's point.
NEIGHBOURHOOD_M = 1500.0


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance between two points (equirectangular: exact enough within a ward)."""
    cos_lat = math.cos(math.radians((lat1 + lat2) / 2))
    return _M_PER_DEG * math.hypot(lat1 - lat2, (lon1 - lon2) * cos_lat)


def _nearest(candidates: tuple[Area, ...] | list[Area], lat: float, lon: float) -> Area:
    return min(candidates, key=lambda a: metres(a.lat, a.lon, lat, lon))


@functools.cache
def _census_map() -> dict[tuple[str, str], Area]:
    """(ward code, census 町丁目 name) -> its 2024 町丁目.

    By name where the 2024 list has it (4丁目 = 四丁目, 西ヶ原 = 西ケ原); where the name changed
    or the census area has no 2024 namesake (松涛 -> 松濤, 三崎町 -> 神田三崎町, a river bank), the
    2024 町丁目 of the same ward nearest to the census point, among the candidates if any.
    """
    mapped: dict[tuple[str, str], Area] = {}
    for chome in load_chome():
        try:
            area = locate(f"{chome.ward_name}{chome.area_name}").area
        except AddressNotFound as failed:
            pool = failed.candidates or areas(chome.ward_code)
            area = _nearest(pool, chome.lat, chome.lon)
        mapped[chome.ward_code, chome.area_name] = area
    return mapped


def area_of(chome: Chome) -> Area:
    """Return the 2024 町丁目 of a census 町丁目 (太子堂4丁目 -> 太子堂四丁目)."""
    return _census_map()[chome.ward_code, chome.area_name]


def zone_of(chome: Chome) -> str:
    """Return the zone (the 2024 list's 町名) of a census 町丁目."""
    return area_of(chome).town


def zone_of_area(area_name: str, ward: str | None = None) -> str:
    """Return the 町名 of a 町丁目 named in either list (太子堂4丁目 or 太子堂四丁目 -> 太子堂):
    sasaeai's default zone, spelled as the 2024 list spells it."""
    try:
        return find_area(area_name, ward=ward).town
    except InvalidInput:
        return _CHOME_SUFFIX.sub("", area_name) or area_name


def _compact(text: str) -> str:
    import jaconv

    return jaconv.z2h(text.strip(), kana=False, digit=True, ascii=True).replace(" ", "")


def find_area(name: str, *, ward: str | None = None, field: str = "chome") -> Area:
    """Find a 町丁目 named in either list, with or without its ward (世田谷区太子堂4丁目,
    太子堂四丁目); ``ward`` is used when the name has none. Refuse with the field's error."""
    wanted = _compact(name)
    census = [
        c
        for c in load_chome()
        if wanted in (c.area_name, f"{c.ward_name}{c.area_name}")
        and (ward is None or ward in (c.ward_name, c.ward_code) or wanted != c.area_name)
    ]
    found = {area_of(c) for c in census}
    if len(found) == 1:
        return found.pop()
    if not found:
        try:
            match = locate(wanted, ward=ward)
        except AddressNotFound as failed:
            raise _refusal(failed, field, example="太子堂4丁目") from failed
        if not match.rest:
            return match.area
        raise InvalidInput(
            f"Not a 町丁目: {name!r}.",
            {field: [f"町丁目だけを入力してください（番地は要りません）: {match.rest}"]},
        )
    wards = "・".join(sorted({a.ward_name for a in found}))
    raise InvalidInput(
        f"{name!r} is in several wards.", {field: [f"区を指定してください: {wards}"]}
    )


def _refusal(failed: AddressNotFound, field: str, example: str | None = None) -> InvalidInput:
    """An address that found no single 町丁目, as the API's field errors: the Japanese message
    naming the part, the part's code, and the candidates a person could pick from."""
    errors: dict[str, list[str]] = {field: [failed.message], f"{field}_part": [failed.part]}
    if failed.candidates:
        errors[f"{field}_candidates"] = [a.label for a in failed.candidates]
    if example and not failed.candidates:
        errors[field].append(f"例: {example}")
    return InvalidInput(f"{field}: {failed.message}", errors)


def nearest_area(lat: float, lon: float) -> Area:
    """Return the 町丁目 whose point is nearest; refuse a point outside the 23 wards."""
    area = _nearest(areas(), lat, lon)
    if metres(area.lat, area.lon, lat, lon) > SERVICE_AREA_M:
        raise InvalidInput(
            "This place is outside the service area.",
            {"lat": ["The place must be in one of Tokyo's 23 wards."]},
        )
    return area


@dataclass(frozen=True)
class Place:
    """Where a person lives, as the services store it: a point and a zone, and the 町丁目 found."""

    lat: float
    lon: float
    zone: str
    area: Area | None
    #: True when a point given with the address was used instead of the 町丁目's.
    point_kept: bool = False


def place_of(
    *,
    address: str | None = None,
    ward: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    zone: str | None = None,
    area: str | None = None,
    keep_point_within_m: float | None = None,
    area_field: str = "area",
) -> Place:
    """Find where a person lives from what an SC or a program gave.

    - ``lat`` and ``lon`` without ``keep_point_within_m``: that point, as given (the zone, if
      not given, is the 町名 of the nearest 町丁目);
    - else the 町丁目 named by ``area`` (a pick from a list) or found in ``address`` by
      :func:`matching.addresses.locate` (``ward`` when the address names none), and its point;
      a ``lat``/``lon`` within ``keep_point_within_m`` of it (picked on a map) is kept instead.

    The zone defaults to the 町丁目's 町名. An address that finds no single 町丁目 is refused
    with InvalidInput whose ``address`` error names the part that failed, in Japanese.
    """
    if lat is not None and lon is not None and keep_point_within_m is None:
        return Place(lat, lon, zone or nearest_area(lat, lon).town, None, point_kept=True)
    if area:
        found = find_area(area, ward=ward, field=area_field)
    else:
        if not address or not address.strip():
            missing = AddressNotFound("address", "", "住所が入力されていません")
            raise _refusal(missing, "address")
        try:
            found = locate(address, ward=ward).area
        except AddressNotFound as failed:
            raise _refusal(failed, "address") from failed
    zone = zone or found.town
    if (
        lat is not None
        and lon is not None
        and keep_point_within_m is not None
        and metres(found.lat, found.lon, lat, lon) <= keep_point_within_m
    ):
        return Place(lat, lon, zone, found, point_kept=True)
    return Place(found.lat, found.lon, zone, found)
