"""Money kernel: exact arithmetic, half-up rounding to the fen, largest-remainder splits.

Every county rule computes with exact fractions and turns them into money only here, so that
rounding happens once per figure and in one way (POLICIES.md §1).
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Iterable, Sequence, Union

Exact = Union[Fraction, Decimal, int, str]

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


class ConservationError(ValueError):
    """A settlement's lines do not add up to the pool they were paid from."""


def exact(x: Exact) -> Fraction:
    """The exact value of a Decimal, int, decimal string or Fraction (never a float)."""
    kind = type(x)
    if kind is Fraction:
        return x
    if kind is Decimal:
        return Fraction(*x.as_integer_ratio())  # Fraction(Decimal) takes a slower path to the same
    if isinstance(x, float):
        raise TypeError(f"float {x!r} is not an exact value; pass a Decimal or a string")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, str):
        return Fraction(Decimal(x))
    return Fraction(x)


def ratio(x: Exact) -> tuple[int, int]:
    """(numerator, denominator > 0) of an exact value: integer arithmetic is many times faster
    than Fraction's and just as exact."""
    kind = type(x)
    if kind is Fraction:
        return x.numerator, x.denominator
    if kind is Decimal:
        return x.as_integer_ratio()
    if kind is int:
        return x, 1
    return exact(x).as_integer_ratio()


def _decimal(n: int, places: int) -> Decimal:
    """n × 10^-places as a Decimal with exactly `places` decimals (the string form is exact
    whatever the context's precision)."""
    return Decimal(f"{n}E-{places}")


def round_half_up(x: Exact, places: int = 2) -> Decimal:
    """Round an exact value half-up (away from zero on a tie, 四舍五入) to `places` decimals."""
    n, d = ratio(x)
    q = abs(n) * 10**places
    m = (2 * q + d) // (2 * d)
    return _decimal(-m if n < 0 else m, places)


def fen(x: Exact) -> Decimal:
    """Money: the exact value rounded half-up to the fen."""
    return round_half_up(x, 2)


def to_fen(amount: Exact) -> int:
    """An amount that is already whole fen, as an integer count of fen."""
    n, d = ratio(amount)
    q, r = divmod(n * 100, d)
    if r:
        raise ValueError(f"{amount} is not a whole number of fen")
    return q


def from_fen(n: int) -> Decimal:
    return _decimal(n, 2)


def split(total: Exact, weights: Sequence[Exact]) -> list[Decimal]:
    """Split a money total into parts proportional to `weights` that add back exactly.

    Largest remainder: every part gets the floor in fen, the leftover fen go one each to the
    largest fractional remainders, equal remainders to the part listed first. Zero weights get
    nothing; all weights zero is an error unless the total is zero.
    """
    t = to_fen(total)
    if t < 0:
        raise ValueError(f"cannot split a negative amount {total}")
    ratios = [ratio(w) for w in weights]  # a float is refused here
    if any(n < 0 for n, _ in ratios):
        raise ValueError(f"negative weight in {list(weights)}")
    common = lcm(*(d for _, d in ratios)) if ratios else 1
    ws = [n * (common // d) for n, d in ratios]  # the weights over one common denominator
    s = sum(ws)
    if s == 0:
        if t == 0:
            return [ZERO for _ in ws]
        raise ValueError(f"cannot split {total} over weights that add up to zero")
    parts = [divmod(t * w, s) for w in ws]  # (fen, remainder / s) of each exact share
    floors = [q for q, _ in parts]
    left = t - sum(floors)
    if left:
        for i in sorted(range(len(ws)), key=lambda i: (-parts[i][1], i))[:left]:
            floors[i] += 1
    return [from_fen(n) for n in floors]


def split_equal(total: Exact, n: int) -> list[Decimal]:
    """`total` in `n` equal parts by largest remainder, the extra fen to the earlier parts."""
    return split(total, [1] * n) if n else []


def check_balance(name: str, total: Exact, parts: Iterable[Exact]) -> None:
    """Raise ConservationError unless `parts` add up to `total` exactly."""
    got, fens = Fraction(0), 0
    for p in parts:  # money parts are whole fen: add them as integers
        n, d = ratio(p)
        if 100 % d == 0:
            fens += n * (100 // d)
        else:
            got += Fraction(n, d)
    got += Fraction(fens, 100)
    if got != exact(total):
        raise ConservationError(
            f"pool {name!r} does not balance: parts add up to {fen(got)}, pool is {fen(total)}"
        )


def part(amount: Exact, ratio: Exact) -> tuple[Decimal, Decimal]:
    """`amount × ratio` half-up, and the rest of `amount`: (part, amount − part)."""
    p = fen(exact(amount) * exact(ratio))
    return p, fen(exact(amount) - exact(p))


def show(x: Exact, places: int = 6) -> str:
    """An exact value as a decimal string for a trace (rounded half-up to `places`)."""
    d = round_half_up(x, places)
    return str(d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize())
