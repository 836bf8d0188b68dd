"""Real Tokyo geography: the 2015 census 町丁目 points, and population-weighted sampling."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

_CSV = Path(__file__).parent / "data" / "tokyo23_chome.csv"
_M_PER_DEG_LAT = 111_195.0


@dataclass(frozen=True)
class Chome:
    """A 町丁目: its ward, name, representative point and 2015 population."""

    ward_code: str
    ward_name: str
    area_name: str
    lat: float
    lon: float
    population: int


@functools.cache
def _all() -> tuple[Chome, ...]:
    with _CSV.open(encoding="utf-8", newline="") as f:
        return tuple(
            Chome(
                ward_code=row["ward_code"],
                ward_name=row["ward_name"],
                area_name=row["area_name"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                population=int(row["population_2015"]),
            )
            for row in csv.DictReader(f)
        )


def load_chome(ward: str | None = None) -> list[Chome]:
    """Return the 町丁目 of one ward (by name, e.g. 世田谷区, or code 13112), or of all 23."""
    chomes = _all()
    if ward is None:
        return list(chomes)
    return [c for c in chomes if ward in (c.ward_name, c.ward_code)]


def sample_points(
    chomes: list[Chome], n: int, rng: np.random.Generator, jitter_m: float = 80.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[int]]:
    """Draw n points at 町丁目 chosen by population, each moved by a little Gaussian jitter."""
    population = np.array([c.population for c in chomes], dtype=np.float64)
    idx = rng.choice(len(chomes), size=n, p=population / population.sum())
    lat0 = np.array([c.lat for c in chomes])[idx]
    lon0 = np.array([c.lon for c in chomes])[idx]
    lats = lat0 + rng.normal(0.0, jitter_m / _M_PER_DEG_LAT, n)
    lons = lon0 + rng.normal(0.0, jitter_m / (_M_PER_DEG_LAT * np.cos(np.radians(lat0))), n)
    return lats, lons, [int(i) for i in idx]
