from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from countypay.money import ConservationError, check_balance, fen, part, round_half_up, split, split_equal

D = Decimal


def test_half_up_rounds_ties_away_from_zero():
    assert fen(Fraction(1, 200)) == D("0.01")
    assert fen(D("2.345")) == D("2.35")
    assert fen(D("-2.345")) == D("-2.35")
    assert fen(D("2.3449999")) == D("2.34")
    assert round_half_up(Fraction(41751, 10**4) + Fraction(1, 10**9), 4) == D("4.1751")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        fen(0.1)


def test_split_gives_leftover_fen_to_largest_remainders():
    # 100.00 by 1:1:1 → 33.34, 33.33, 33.33: equal remainders, the first listed wins
    assert split(D("100.00"), [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]
    # 0.10 by 7:2:1 exact
    assert split(D("0.10"), [D("0.7"), D("0.2"), D("0.1")]) == [D("0.07"), D("0.02"), D("0.01")]
    # the larger remainder (.8) wins over the earlier place (.2)
    assert split(D("0.04"), [4, 1]) == [D("0.03"), D("0.01")]
    # equal remainders (.5 / .5): the earlier place wins
    assert split(D("0.05"), [3, 7]) == [D("0.02"), D("0.03")]


def test_split_with_zero_weights():
    assert split(D("10.00"), [0, 1, 0]) == [D("0.00"), D("10.00"), D("0.00")]
    assert split(D("0.00"), [0, 0]) == [D("0.00"), D("0.00")]
    with pytest.raises(ValueError):
        split(D("1.00"), [0, 0])
    with pytest.raises(ValueError):
        split(D("1.005"), [1])


def test_split_equal_tie_order():
    assert split_equal(D("0.05"), 3) == [D("0.02"), D("0.02"), D("0.01")]
    assert split_equal(D("1.00"), 0) == []


def test_part_and_rest_add_back():
    assert part(D("52320544.55"), Fraction(7, 10) + Fraction(3, 10) * Fraction(825, 1000)) == (
        D("49573715.96"), D("2746828.59"))


def test_check_balance():
    check_balance("p", D("1.00"), [D("0.50"), D("0.50")])
    with pytest.raises(ConservationError, match="does not balance"):
        check_balance("p", D("1.00"), [D("0.50"), D("0.49")])


fens = st.integers(min_value=0, max_value=10**12).map(lambda n: (Decimal(n) / 100).quantize(D("0.01")))
weights = st.lists(st.fractions(min_value=0, max_value=1000), min_size=1, max_size=12)


@given(fens, weights)
def test_split_always_adds_back_and_stays_within_a_fen(total, ws):
    if sum(ws) == 0:
        return
    parts = split(total, ws)
    assert sum(parts) == total
    s = sum(ws)
    for p, w in zip(parts, ws):
        assert abs(Fraction(p) - Fraction(total) * w / s) < Fraction(1, 100)
        assert p >= 0


def reference_split(total, ws):
    """The rule as written, in Fractions: floors, then the leftover fen to the largest remainders."""
    t = Fraction(total) * 100
    shares = [t * w / sum(ws) for w in ws]
    floors = [s.numerator // s.denominator for s in shares]
    for i in sorted(range(len(ws)), key=lambda i: (-(shares[i] - floors[i]), i))[:int(t) - sum(floors)]:
        floors[i] += 1
    return [D(n) / 100 for n in floors]


@given(fens, st.lists(st.one_of(st.fractions(min_value=0, max_value=1000),
                                 st.decimals(min_value=0, max_value=10**6, places=4),
                                 st.integers(min_value=0, max_value=10**6)), min_size=1, max_size=12))
def test_split_matches_the_rule_in_fractions(total, ws):
    if sum(Fraction(w) for w in ws) == 0:
        return
    assert split(total, ws) == reference_split(total, [Fraction(w) for w in ws])


@given(st.fractions(min_value=-10**9, max_value=10**9), st.integers(min_value=0, max_value=10))
def test_half_up_is_floor_of_magnitude_plus_a_half(x, places):
    scaled = abs(x) * 10**places
    expected = (scaled + Fraction(1, 2)).__floor__() * (1 if x >= 0 else -1)
    got = round_half_up(x, places)
    assert Fraction(got) * 10**places == expected
    assert got.as_tuple().exponent == -places
    assert got.is_signed() == (expected < 0)  # no negative zero
