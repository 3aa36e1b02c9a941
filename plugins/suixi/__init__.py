"""Suixi (濉溪), Anhui: health management units paid from pooled insurance and public-health funds.

POLICIES.md §2. Four components, one module each:

- `public_health` (public_health.py): the village-level BPHS capitation, 7:2:1 into process,
  objective and effect evaluation, the effect pool paid by rank of the change in spending.
- `insurance_capitation` (insurance.py): the insurance "big package" per unit and population
  group, surplus shared 1:2:7 / 4:4:2 over the tiers, overspend borne by the medical community;
  its `chronic_group` parameter leaves the chronic group out in the years a county settles the
  chronic-disease fund per township health centre instead (one fund, one level).
- `community_surplus` (community.py): a medical community's surplus shared 6:3:1, 5 % of the
  lead hospital's share to the professional public-health institutions.
- `chronic_package` (chronic.py): the chronic-disease "small package" contracted per head to each
  township health centre, its surplus shared 4:4:2 after the chronic-disease assessment.

Default parameters are in parameters.yaml, each dated and referenced to its seed. The demo
county and the facts of synthetic counties come from demo.py (with demo.yaml).
"""
from __future__ import annotations

from countypay.hookspecs import hookimpl
from countypay.policy import Policy

from . import chronic, community, insurance, public_health
from .demo import countypay_demo, countypay_synth  # noqa: F401  (hook implementations)

POLICY = Policy.declare(
    __file__, components=(public_health.COMPONENT, insurance.COMPONENT, community.COMPONENT, chronic.COMPONENT),
    indicators=public_health.INDICATORS + insurance.INDICATORS + community.INDICATORS + chronic.INDICATORS)


@hookimpl
def countypay_policies():
    return [POLICY]
