"""Therapies: the drug catalogue (PK, covariates, label regimens, prices, sources).

Names are imported lazily so that ``python -m immunotwin.therapies.catalog`` runs cleanly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Drug", "DrugCatalog", "load_drug_catalog"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from immunotwin.therapies import catalog

        return getattr(catalog, name)
    raise AttributeError(f"module 'immunotwin.therapies' has no attribute {name!r}")
