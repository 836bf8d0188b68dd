"""Distances and availability, on plain arrays."""

import math

import numpy as np
import pytest

from matching.cost import chord_for, haversine_m, slot_overlap_min, unit_vectors
from tests.matching.reference import distance_m


def test_tokyo_station_to_shinjuku_station():
    # 東京駅 (35.6812, 139.7671) to 新宿駅 (35.6896, 139.7006): about 6.1 km
    d = haversine_m(
        np.array([35.6812]), np.array([139.7671]), np.array([35.6896]), np.array([139.7006])
    )
    assert d[0] == pytest.approx(distance_m(35.6812, 139.7671, 35.6896, 139.7006), rel=1e-12)
    assert 6000 < d[0] < 6200


def test_a_meridian_degree_is_r_times_pi_over_180():
    d = haversine_m(np.array([35.0]), np.array([139.0]), np.array([36.0]), np.array([139.0]))
    assert d[0] == pytest.approx(6_371_008.8 * math.pi / 180, rel=1e-12)


def test_chords_order_like_arcs():
    xyz = unit_vectors(np.array([35.0, 35.01]), np.array([139.0, 139.0]))
    chord = float(np.linalg.norm(xyz[0] - xyz[1]))
    assert chord == pytest.approx(
        chord_for(
            haversine_m(np.array([35.0]), np.array([139.0]), np.array([35.01]), np.array([139.0]))[
                0
            ]
        ),
        rel=1e-9,
    )


def test_overlap_is_the_best_single_slot_and_wraps_the_week():
    # window Sunday 23:00 for 3 hours; slots: Sunday 22:00-23:30 and Monday 00:00-01:30
    window_start = np.array([6 * 1440 + 23 * 60.0])
    window_len = np.array([180.0])
    slots_start = np.array([[6 * 1440 + 22 * 60.0, 0.0]])
    slots_end = np.array([[6 * 1440 + 23 * 60 + 30.0, 90.0]])
    assert slot_overlap_min(window_start, window_len, slots_start, slots_end)[0] == 90.0


def test_padding_slots_never_overlap():
    assert (
        slot_overlap_min(np.array([100.0]), np.array([60.0]), np.zeros((1, 3)), np.zeros((1, 3)))[0]
        == 0.0
    )
