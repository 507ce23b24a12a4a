"""Warning categories of the economics package (conditions that do not stop an analysis)."""

from __future__ import annotations


class EconomicsWarning(UserWarning):
    """Base class: the analysis ran, but a result needs care."""


class CurveCrossingWarning(EconomicsWarning):
    """PFS lies above OS somewhere: the progressed-state occupancy was truncated at zero."""


class ExtrapolationWarning(EconomicsWarning):
    """A survival tail could not be fitted well (e.g. no events in the tail window)."""


class MissingPriceWarning(EconomicsWarning):
    """A drug or cost component has no sourced value and was costed at zero."""
