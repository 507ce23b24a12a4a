"""Preventive vaccination in a cohort layer (HPV: incidence of HPV-driven lesions; brief §2.4)."""

from immunotwin.prevention.incidence import (
    cases_per_100k,
    prevented_fraction,
    run_prevention,
)
from immunotwin.prevention.spec import PreventionSpec

__all__ = ["PreventionSpec", "cases_per_100k", "prevented_fraction", "run_prevention"]
