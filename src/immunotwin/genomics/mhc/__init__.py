"""MHC class I binding prediction: protocol, default open model, optional adapters."""

from __future__ import annotations

from immunotwin.errors import GenomicsError
from immunotwin.genomics.mhc.base import BindingPredictor as BindingPredictor
from immunotwin.genomics.mhc.base import rank_to_ic50_nm as rank_to_ic50_nm
from immunotwin.genomics.mhc.base import score_to_ic50_nm as score_to_ic50_nm
from immunotwin.genomics.mhc.model import ImmunotwinMhcI as ImmunotwinMhcI

PREDICTORS = ("immunotwin", "mhcflurry", "netmhcpan", "mhcnuggets")


def get_predictor(name: str = "immunotwin") -> BindingPredictor:
    """Predictor by name: the default ``immunotwin`` or an installed external tool."""
    key = name.strip().lower()
    if key in ("immunotwin", "default", "immunotwin-mhci-v2"):
        return ImmunotwinMhcI()
    from immunotwin.genomics.mhc import external

    if key == "mhcflurry":
        return external.MhcflurryPredictor()
    if key == "netmhcpan":
        return external.NetMhcPanPredictor()
    if key == "mhcnuggets":
        return external.MhcnuggetsPredictor()
    raise GenomicsError(
        f"unknown binding predictor {name!r}",
        location="--predictor",
        fix=f"choose one of {', '.join(PREDICTORS)}",
    )
