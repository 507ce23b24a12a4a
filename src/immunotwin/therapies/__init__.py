"""Therapies: the drug catalogue (PK, covariates, label regimens, prices, sources)."""

from immunotwin.therapies.catalog import (
    Drug as Drug,
)
from immunotwin.therapies.catalog import (
    DrugCatalog as DrugCatalog,
)
from immunotwin.therapies.catalog import (
    load_drug_catalog as load_drug_catalog,
)

__all__ = ["Drug", "DrugCatalog", "load_drug_catalog"]
