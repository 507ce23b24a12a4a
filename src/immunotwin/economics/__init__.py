"""Health economics of virtual trials: costs, life-years, QALYs, ICERs and uncertainty.

Entry point: :func:`run_economics` (run folder -> ``economics.json``); the pure pieces
(discounting, survival extrapolation, the partitioned-survival / state-transition / within-trial
models, decision rules, PSA and tornado) are importable from their modules.
"""

from immunotwin.economics._warnings import CurveCrossingWarning as CurveCrossingWarning
from immunotwin.economics._warnings import EconomicsWarning as EconomicsWarning
from immunotwin.economics._warnings import ExtrapolationWarning as ExtrapolationWarning
from immunotwin.economics._warnings import MissingPriceWarning as MissingPriceWarning
from immunotwin.economics.analysis import analyse_run as analyse_run
from immunotwin.economics.analysis import run_economics as run_economics
from immunotwin.economics.decision import efficiency_frontier as efficiency_frontier
from immunotwin.economics.decision import icer as icer
from immunotwin.economics.decision import incremental_table as incremental_table
from immunotwin.economics.decision import net_monetary_benefit as net_monetary_benefit
from immunotwin.economics.io import load_settings as load_settings
from immunotwin.economics.models import per_patient_results as per_patient_results
from immunotwin.economics.report import economics_report_section as economics_report_section
from immunotwin.economics.settings import DrugPrice as DrugPrice
from immunotwin.economics.settings import EconomicsSettings as EconomicsSettings
from immunotwin.economics.settings import PsaSettings as PsaSettings
from immunotwin.economics.settings import SubsequentTherapy as SubsequentTherapy

__all__ = [
    "CurveCrossingWarning",
    "DrugPrice",
    "EconomicsSettings",
    "EconomicsWarning",
    "ExtrapolationWarning",
    "MissingPriceWarning",
    "PsaSettings",
    "SubsequentTherapy",
    "analyse_run",
    "economics_report_section",
    "efficiency_frontier",
    "icer",
    "incremental_table",
    "load_settings",
    "net_monetary_benefit",
    "per_patient_results",
    "run_economics",
]
