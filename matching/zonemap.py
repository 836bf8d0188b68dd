"""The geometry of the screens' maps: ward outlines, a zone's 町丁目 points, and a flat frame.

Pure (the standard library and `matching.geography`): the web layer draws SVG from what this
returns. A map is a :class:`Frame` over a box of latitude and longitude, projected
equirectangularly with the box's middle latitude (x grows east by ``cos(lat)`` per degree of
longitude, y grows south), scaled so that the longer side is :data:`SIZE` units: north is up and
a metre is as long across as up and down, which is exact enough for a ward.

- :func:`ward_outline` is the ward's polygon rings (国土数値情報 N03, simplified to 1%).
- :func:`zone_chome` is a zone's 町丁目: those whose 町名 is the zone (太子堂 -> 太子堂1〜5丁目).
- :func:`fit` makes the frame around some points with a margin, never smaller than
  :data:`MIN_SPAN_M` and never much taller or wider than a screen.
- :func:`around` is the frame of a neighbourhood (about 1.5 km across) around one point.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matching.addresses import Area, areas

_GEOJSON = Path(__file__).parent / "data" / "tokyo23_wards_N03_2021_s1pct.geojson"
M_PER_DEG_LAT = 111_195.0
#: the longer side of every frame, in SVG user units
SIZE = 1000.0
#: a frame covers at least this much ground across and up and down (a one-町丁目 zone is not a
#: close-up of a single dot)
MIN_SPAN_M = 900.0
#: the margin around the fitted points, as a share of their span (and at least MARGIN_M)
MARGIN = 0.08
MARGIN_M = 120.0
#: the frame's height over its width stays between these (a phone is taller than wide, a
#: desktop wider: neither gets a sliver)
MIN_ASPECT = 0.6
MAX_ASPECT = 1.3
#: how far the point picker's neighbourhood reaches from its point, each way
NEIGHBOURHOOD_M = 750.0

Ring = tuple[tuple[float, float], ...]  # (lon, lat) pairs, closed


@functools.cache
def _wards() -> tuple[tuple[str, str, tuple[Ring, ...]], ...]:
    """(code, name, rings of all its polygons) of each ward, in code order."""
    with _GEOJSON.open(encoding="utf-8") as f:
        collection = json.load(f)
    wards = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]]
            if geometry["type"] == "Polygon"
            else list(geometry["coordinates"])
        )
        rings = tuple(
            tuple((float(lon), float(lat)) for lon, lat in ring)
            for polygon in polygons
            for ring in polygon
        )
        properties = feature["properties"]
        wards.append((str(properties["ward_code"]), str(properties["ward_name"]), rings))
    return tuple(sorted(wards))


def ward_names() -> list[str]:
    """The 23 wards' names in code order (千代田区 … 江戸川区)."""
    return [name for _, name, _ in _wards()]


def ward_outline(ward: str) -> tuple[Ring, ...]:
    """The rings (outer boundaries and islands) of a ward, by name (世田谷区) or code (13112)."""
    for code, name, rings in _wards():
        if ward in (code, name):
            return rings
    raise ValueError(f"{ward!r} is not one of Tokyo's 23 wards")


def zone_chome(ward: str, zone: str | None) -> list[Area]:
    """A zone's 町丁目 in the 2024 list, whose 町名 are the zones (every one of the ward's when
    zone is None). A zone that is not a 町名 of the ward (a 日常生活圏域 named otherwise) has
    none."""
    chome = list(areas(ward))
    if zone is None:
        return chome
    return [c for c in chome if c.town == zone]


def ward_zones(ward: str) -> list[str]:
    """The ward's 町名 in the 2024 list's order, each once."""
    return list(dict.fromkeys(c.town for c in areas(ward)))


@dataclass(frozen=True)
class Frame:
    """A box of the earth drawn flat: `project` gives SVG user units (x east, y south)."""

    west: float
    south: float
    east: float
    north: float

    @property
    def cos_lat(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        """Units per degree of latitude (a degree of longitude is this times cos_lat)."""
        across = (self.east - self.west) * self.cos_lat
        up = self.north - self.south
        return SIZE / max(across, up)

    @property
    def width(self) -> float:
        return (self.east - self.west) * self.cos_lat * self.scale

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.scale

    @property
    def metres_per_unit(self) -> float:
        return M_PER_DEG_LAT / self.scale

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        return (
            (lon - self.west) * self.cos_lat * self.scale,
            (self.north - lat) * self.scale,
        )

    def unproject(self, x: float, y: float) -> tuple[float, float]:
        """The (lat, lon) at a point of the drawing."""
        return self.north - y / self.scale, self.west + x / (self.cos_lat * self.scale)

    def view_box(self) -> str:
        return f"0 0 {self.width:.1f} {self.height:.1f}"


def _box(points: Iterable[tuple[float, float]]) -> tuple[float, float, float, float]:
    lats, lons = zip(*points, strict=True)
    return min(lons), min(lats), max(lons), max(lats)


def fit(points: Sequence[tuple[float, float]]) -> Frame:
    """The frame around (lat, lon) points: their box, a margin, at least MIN_SPAN_M each way,
    with its height over width between MIN_ASPECT and MAX_ASPECT (widened, never cropped)."""
    if not points:
        raise ValueError("a map needs at least one point to fit")
    west, south, east, north = _box(points)
    mid_lat = (south + north) / 2
    cos_lat = math.cos(math.radians(mid_lat))
    # work in metres east and north of the box's south-west corner
    across = (east - west) * cos_lat * M_PER_DEG_LAT
    up = (north - south) * M_PER_DEG_LAT
    pad = max(MARGIN * max(across, up), MARGIN_M)
    across, up = max(across + 2 * pad, MIN_SPAN_M), max(up + 2 * pad, MIN_SPAN_M)
    across = max(across, up / MAX_ASPECT)
    up = max(up, across * MIN_ASPECT)
    centre_lat, centre_lon = mid_lat, (west + east) / 2
    half_lat = up / 2 / M_PER_DEG_LAT
    half_lon = across / 2 / (M_PER_DEG_LAT * cos_lat)
    return Frame(
        west=centre_lon - half_lon,
        south=centre_lat - half_lat,
        east=centre_lon + half_lon,
        north=centre_lat + half_lat,
    )


def ward_points(ward: str) -> list[tuple[float, float]]:
    """Every (lat, lon) vertex of the ward's outline."""
    return [(lat, lon) for ring in ward_outline(ward) for lon, lat in ring]


def around(lat: float, lon: float, reach_m: float = NEIGHBOURHOOD_M) -> Frame:
    """The square frame of reach_m each way around a point (the point picker's neighbourhood)."""
    half_lat = reach_m / M_PER_DEG_LAT
    half_lon = reach_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return Frame(
        west=lon - half_lon, south=lat - half_lat, east=lon + half_lon, north=lat + half_lat
    )


def inside(frame: Frame, lat: float, lon: float) -> bool:
    return frame.south <= lat <= frame.north and frame.west <= lon <= frame.east


def chome_in(frame: Frame, ward: str | None = None) -> list[Area]:
    """The 町丁目 whose point lies in the frame (of one ward, or of all 23: a neighbourhood by
    a ward's border shows its neighbours' too)."""
    return [c for c in areas(ward) if inside(frame, c.lat, c.lon)]


def path_data(frame: Frame, rings: Iterable[Ring]) -> str:
    """An SVG path's `d` for rings (each a closed subpath), in the frame's units."""
    parts = []
    for ring in rings:
        xy = [frame.project(lat, lon) for lon, lat in ring]
        if len(xy) < 3:
            continue
        head, *rest = xy
        parts.append(
            f"M{head[0]:.1f} {head[1]:.1f}" + "".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + "Z"
        )
    return "".join(parts)
