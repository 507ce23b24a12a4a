"""Populations: the tumour-type catalogue and its biomarker/covariate distributions.

Names are imported lazily so that ``python -m immunotwin.population.catalog`` runs cleanly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TumorCatalog", "TumorType", "load_tumor_catalog"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from immunotwin.population import catalog

        return getattr(catalog, name)
    raise AttributeError(f"module 'immunotwin.population' has no attribute {name!r}")
