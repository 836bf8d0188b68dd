"""Where a place is: 町丁目 names to points, points to zones (町名), from the census data."""

from __future__ import annotations

import math
import re

from db import InvalidInput
from matching.geography import Chome, load_chome

_CHOME_SUFFIX = re.compile(r"[0-9０-９一二三四五六七八九十]+丁目\Z")
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def zone_of_area(area_name: str) -> str:
    """Return the 町名 of a 町丁目 (太子堂4丁目 -> 太子堂): sasaeai's default zone."""
    return _CHOME_SUFFIX.sub("", area_name) or area_name


def find_chome(name: str) -> Chome:
    """Find a 町丁目 by name, with or without its ward (世田谷区太子堂4丁目 or 太子堂4丁目)."""
    wanted = name.strip().translate(_DIGITS).replace(" ", "").replace("　", "")
    matches = [c for c in load_chome() if wanted in (c.area_name, f"{c.ward_name}{c.area_name}")]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InvalidInput(
            f"Unknown 町丁目 {name!r}.",
            {"chome": ["No such 町丁目 in the 23 wards; e.g. 太子堂4丁目."]},
        )
    wards = ", ".join(sorted({c.ward_name for c in matches}))
    raise InvalidInput(
        f"{name!r} is in several wards.", {"chome": [f"Add the ward: one of {wards}."]}
    )


#: A point farther than this from every 町丁目 point is not in the 23 wards.
SERVICE_AREA_M = 2000.0


def nearest_chome(lat: float, lon: float) -> Chome:
    """Return the 町丁目 whose point is nearest; refuse a point outside the 23 wards."""
    cos_lat = math.cos(math.radians(lat))
    chome = min(load_chome(), key=lambda c: (c.lat - lat) ** 2 + ((c.lon - lon) * cos_lat) ** 2)
    # equirectangular is exact enough at these distances
    metres = 111_195.0 * math.hypot(chome.lat - lat, (chome.lon - lon) * cos_lat)
    if metres > SERVICE_AREA_M:
        raise InvalidInput(
            "This place is outside the service area.",
            {"lat": ["The place must be in one of Tokyo's 23 wards."]},
        )
    return chome
