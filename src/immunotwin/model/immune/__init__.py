"""The immunotwin cancer-immunity model as composable declarative modules (brief §2)."""

from immunotwin.model.immune.build import immunotwin_model

__all__ = ["immunotwin_model"]
