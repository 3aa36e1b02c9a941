from hypothesis import strategies as st

from countypay import conformance

ITEMS = ["outpatient_visit"]
money = st.integers(0, 10**9).map(lambda n: f"{n // 100}.{n % 100:02d}")
ratio = st.integers(0, 100).map(lambda n: f"{n / 100:.2f}")
month = st.builds(lambda m, c, r, q: {"month": f"2024-{m:02d}", "counts": {"outpatient_visit": c},
                                      "noncompliant_ratio": r, "quality": q},
                  st.integers(1, 12), st.integers(0, 10**5), ratio, ratio)
inst = st.builds(lambda i, perf, prev, ms: {"code": f"I{i:03d}", "performance": perf,
                                            "previous_payment": prev, "months": ms},
                 st.integers(0, 999), st.integers(0, 100), money,
                 st.lists(month, max_size=4, unique_by=lambda m: m["month"]))
inputs = st.builds(lambda f, xs: {"fund": f, "institutions": xs}, money,
                   st.lists(inst, min_size=1, max_size=6, unique_by=lambda i: i["code"]))
OVERRIDES = {"floor_rate": "0.9", "cap_rate": "1.2"}


def test_work_equivalent_conforms():
    conformance.check_component("haiyan", "work_equivalent", "2024", inputs, OVERRIDES)


def test_work_equivalent_rejects_malformed_input():
    one = {"fund": "1000.00", "institutions": [{"code": "A", "performance": 90, "previous_payment": "10.00",
           "months": [{"month": "2024-01", "counts": {"outpatient_visit": 3}, "quality": "0.9"}]}]}
    assert conformance.check_rejects_malformed("haiyan", "work_equivalent", "2024", one, OVERRIDES) == 7
