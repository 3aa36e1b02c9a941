"""Schematic shapes for the demo's map: a convex county outline cut into towns and each town into
its grids, both by Voronoi cells of seed points (the cells of a convex polygon stay convex, so each
is the outline clipped by one half-plane per other seed). A town's grids are evened out by a few
rounds of Lloyd's relaxation (each seed moved to its cell's centroid). Nothing here is a real
boundary: no boundary data is available offline, and the demo says so.

Points are (x, y) on a plane where a unit is a degree of latitude (longitudes are scaled by the
cosine of the county's latitude, so cells are not stretched); `Plane` converts to and from
[longitude, latitude] in degrees (WGS 84), rounded to 5 decimals (about a metre).
"""
from __future__ import annotations

import math
import random
from typing import Sequence

Point = tuple[float, float]
Polygon = list[Point]


class Plane:
    """Degrees of longitude and latitude ↔ a plane true to distances near `origin`."""

    def __init__(self, origin: Point):
        self.lon0, self.lat0 = float(origin[0]), float(origin[1])
        self.k = math.cos(math.radians(self.lat0))

    def to(self, lon: float, lat: float) -> Point:
        return ((float(lon) - self.lon0) * self.k, float(lat) - self.lat0)

    def back(self, p: Point) -> list[float]:
        return [round(self.lon0 + p[0] / self.k, 5), round(self.lat0 + p[1], 5)]

    def ring(self, polygon: Polygon) -> list[list[float]]:
        """A closed GeoJSON ring, counterclockwise (RFC 7946), repeated positions dropped."""
        if area(polygon) < 0:
            polygon = polygon[::-1]
        out: list[list[float]] = []
        for p in polygon:
            q = self.back(p)
            if not out or q != out[-1]:
                out.append(q)
        if out[0] == out[-1]:
            out.pop()
        return out + [out[0]]


def area(polygon: Polygon) -> float:
    """Signed area (shoelace): positive when counterclockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1])) / 2


def centroid(polygon: Polygon) -> Point:
    a = area(polygon)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        f = x0 * y1 - x1 * y0
        cx += (x0 + x1) * f
        cy += (y0 + y1) * f
    return (cx / (6 * a), cy / (6 * a))


def hull(points: Sequence[Point]) -> Polygon:
    """The convex hull, counterclockwise (Andrew's monotone chain)."""
    pts = sorted(set(points))

    def half(seq):
        out: list[Point] = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out[:-1]
    return half(pts) + half(pts[::-1])


def clip(polygon: Polygon, keep: Point, other: Point) -> Polygon:
    """The part of a convex polygon nearer to `keep` than to `other` (one Sutherland–Hodgman step)."""
    mx, my = (keep[0] + other[0]) / 2, (keep[1] + other[1]) / 2
    dx, dy = other[0] - keep[0], other[1] - keep[1]
    side = [(x - mx) * dx + (y - my) * dy for x, y in polygon]  # ≤ 0: on keep's side
    out: Polygon = []
    for i, p in enumerate(polygon):
        j = (i + 1) % len(polygon)
        if side[i] <= 0:
            out.append(p)
        if (side[i] <= 0) != (side[j] <= 0):
            t = side[i] / (side[i] - side[j])
            q = polygon[j]
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def cells(region: Polygon, seeds: Sequence[Point]) -> list[Polygon]:
    """Each seed's Voronoi cell within a convex region."""
    found = []
    for i, s in enumerate(seeds):
        cell = region
        for j, o in enumerate(seeds):
            if j != i and cell:
                cell = clip(cell, s, o)
        found.append(cell)
    return found


def inside(polygon: Polygon, p: Point) -> bool:
    """Whether p is inside a counterclockwise convex polygon."""
    return all((q[0] - o[0]) * (p[1] - o[1]) - (q[1] - o[1]) * (p[0] - o[0]) > 0
               for o, q in zip(polygon, polygon[1:] + polygon[:1]))


def scatter(region: Polygon, n: int, rng: random.Random, rounds: int = 3) -> tuple[list[Point], list[Polygon]]:
    """n seeds spread evenly over a convex region and their cells: drawn at random inside it,
    then moved to their cells' centroids `rounds` times."""
    xs, ys = [p[0] for p in region], [p[1] for p in region]
    seeds: list[Point] = []
    while len(seeds) < n:
        p = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)))
        if inside(region, p):
            seeds.append(p)
    for _ in range(rounds):
        seeds = [centroid(c) for c in cells(region, seeds)]
    return seeds, cells(region, seeds)


def near(polygon: Polygon, seed: Point, rng: random.Random, reach: float = 0.45) -> Point:
    """A point inside a convex polygon, a random part of the way from its seed towards a corner."""
    corner = rng.choice(polygon)
    t = rng.uniform(0, reach)
    return (seed[0] + t * (corner[0] - seed[0]), seed[1] + t * (corner[1] - seed[1]))
