"""Clinical endpoints: what a clinician reads from a simulated patient.

Pure, versioned functions over numpy arrays (n_patients x n_visits or n_patients x n_times):

- ``visits``: the tumour-assessment schedule.
- ``measurement``: volume -> measured SLD/SPD with reader noise; the new-lesion hazard.
- ``recist``: RECIST 1.1, iRECIST and a Lugano-style variant -> per-visit and best response.
- ``survival``: PFS, OS, DOR; Kaplan-Meier, landmarks, Cox hazard ratios, ORR with exact CI.
- ``toxicity``: CTCAE v5 organ irAEs and capillary leak, ASTCT 2019 CRS and ICANS, and the
  management rules (hold, steroids, discontinue, tocilizumab).

Rules and sources: docs/endpoints.md.
"""

from immunotwin.outcomes.measurement import MeasurementNoise as MeasurementNoise
from immunotwin.outcomes.measurement import measure_sld_mm as measure_sld_mm
from immunotwin.outcomes.measurement import new_lesion_days as new_lesion_days
from immunotwin.outcomes.measurement import true_sld_mm as true_sld_mm
from immunotwin.outcomes.measurement import true_spd_mm2 as true_spd_mm2
from immunotwin.outcomes.recist import IRecist as IRecist
from immunotwin.outcomes.recist import Lugano2014Ct as Lugano2014Ct
from immunotwin.outcomes.recist import Recist11 as Recist11
from immunotwin.outcomes.recist import Response as Response
from immunotwin.outcomes.recist import TumourResponse as TumourResponse
from immunotwin.outcomes.survival import DAYS_PER_MONTH as DAYS_PER_MONTH
from immunotwin.outcomes.survival import HazardRatio as HazardRatio
from immunotwin.outcomes.survival import KaplanMeierSummary as KaplanMeierSummary
from immunotwin.outcomes.survival import ResponseSummary as ResponseSummary
from immunotwin.outcomes.survival import TimeToEvent as TimeToEvent
from immunotwin.outcomes.survival import arm_table as arm_table
from immunotwin.outcomes.survival import clopper_pearson as clopper_pearson
from immunotwin.outcomes.survival import duration_of_response as duration_of_response
from immunotwin.outcomes.survival import hazard_ratio as hazard_ratio
from immunotwin.outcomes.survival import kaplan_meier as kaplan_meier
from immunotwin.outcomes.survival import overall_survival as overall_survival
from immunotwin.outcomes.survival import progression_free_survival as progression_free_survival
from immunotwin.outcomes.survival import response_summary as response_summary
from immunotwin.outcomes.toxicity import IRAE_ORGANS as IRAE_ORGANS
from immunotwin.outcomes.toxicity import AstctCrs2019 as AstctCrs2019
from immunotwin.outcomes.toxicity import AstctIcans2019 as AstctIcans2019
from immunotwin.outcomes.toxicity import CtcaeV5 as CtcaeV5
from immunotwin.outcomes.toxicity import ManagementRules as ManagementRules
from immunotwin.outcomes.toxicity import onset_day as onset_day
from immunotwin.outcomes.toxicity import worst_grade as worst_grade
from immunotwin.outcomes.toxicity import worst_grade_per_patient as worst_grade_per_patient
from immunotwin.outcomes.toxicity import worst_grades_table as worst_grades_table
from immunotwin.outcomes.visits import visit_days as visit_days

__all__ = [
    "DAYS_PER_MONTH",
    "IRAE_ORGANS",
    "AstctCrs2019",
    "AstctIcans2019",
    "CtcaeV5",
    "HazardRatio",
    "IRecist",
    "KaplanMeierSummary",
    "Lugano2014Ct",
    "ManagementRules",
    "MeasurementNoise",
    "Recist11",
    "Response",
    "ResponseSummary",
    "TimeToEvent",
    "TumourResponse",
    "arm_table",
    "clopper_pearson",
    "duration_of_response",
    "hazard_ratio",
    "kaplan_meier",
    "measure_sld_mm",
    "new_lesion_days",
    "onset_day",
    "overall_survival",
    "progression_free_survival",
    "response_summary",
    "true_sld_mm",
    "true_spd_mm2",
    "visit_days",
    "worst_grade",
    "worst_grade_per_patient",
    "worst_grades_table",
]
