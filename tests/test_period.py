from datetime import date

import pytest

from countypay.period import Period


@pytest.mark.parametrize("text,start,end,months", [
    ("2024", date(2024, 1, 1), date(2024, 12, 31), 12),
    ("2024H2", date(2024, 7, 1), date(2024, 12, 31), 6),
    ("2024Q1", date(2024, 1, 1), date(2024, 3, 31), 3),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), 1),
])
def test_periods(text, start, end, months):
    p = Period.parse(text)
    assert (p.start, p.end, len(p.months()), str(p)) == (start, end, months, text)


def test_quarters_of_a_half_and_containment():
    assert [str(q) for q in Period.parse("2024H2").quarters()] == ["2024Q3", "2024Q4"]
    assert Period.parse("2024").contains(Period.parse("2024-12"))
    assert not Period.parse("2024H1").contains(Period.parse("2024-07"))


@pytest.mark.parametrize("bad", ["24", "2024Q5", "2024-13", "2024H3", "2024-7", "twenty"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(ValueError, match="not a year"):
        Period.parse(bad)
