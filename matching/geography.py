"""TEMPORARY minimal loader (helper-1 replaces this file with the full module)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CSV = Path(__file__).parent / "data" / "tokyo23_chome.csv"


@dataclass(frozen=True)
class Chome:
    ward_code: str
    ward_name: str
    area_name: str
    lat: float
    lon: float
    population: int


def load_chome(ward: str | None = None) -> list[Chome]:
    with _CSV.open(encoding="utf-8") as f:
        rows = [
            Chome(
                r["ward_code"],
                r["ward_name"],
                r["area_name"],
                float(r["lat"]),
                float(r["lon"]),
                int(r["population_2015"]),
            )
            for r in csv.DictReader(f)
        ]
    if ward is not None:
        rows = [c for c in rows if ward in (c.ward_name, c.ward_code)]
    return rows


def sample_points(chomes, n, rng, jitter_m=80.0):  # type: ignore[no-untyped-def]
    pop = np.array([c.population for c in chomes], dtype=float)
    idx = rng.choice(len(chomes), size=n, p=pop / pop.sum())
    lats = np.array([chomes[i].lat for i in idx]) + rng.normal(0, jitter_m / 111195, n)
    lons = np.array([chomes[i].lon for i in idx]) + rng.normal(0, jitter_m / 90000, n)
    return lats, lons, [int(i) for i in idx]
