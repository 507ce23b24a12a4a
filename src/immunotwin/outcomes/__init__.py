"""Clinical endpoints: visit schedule, measurement, RECIST/iRECIST/Lugano, survival, toxicity."""

from immunotwin.outcomes.visits import visit_days as visit_days

__all__ = ["visit_days"]
