"""What the two fast engines (first come first served, the min-cost flow) share: the key that puts slots of the same
kind together, and great-circle distances for many pairs at once with NumPy — the formula of `territory.geo`, whose
scalar version the rules use (on a border, the rules decide)."""

from __future__ import annotations

import numpy as np

from territory.geo import EARTH_RADIUS_KM


def exam_key(channel: str, exam_type: str) -> str:
    """The exam type counts only for imaging: an exam type left on another care does not split its slots."""
    return exam_type if channel == "imaging" else ""


def km_matrix(lat: np.ndarray, lon: np.ndarray, class_lat: np.ndarray, class_lon: np.ndarray) -> np.ndarray:
    """Great-circle km from each request (rows, radians) to each class of slots (columns, radians)."""
    half_dlat = (class_lat[None, :] - lat[:, None]) / 2
    half_dlon = (class_lon[None, :] - lon[:, None]) / 2
    a = np.sin(half_dlat) ** 2 + np.cos(lat[:, None]) * np.cos(class_lat[None, :]) * np.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
