"""Populations: the tumour-type catalogue and its biomarker/covariate distributions."""

from immunotwin.population.catalog import (
    TumorCatalog as TumorCatalog,
)
from immunotwin.population.catalog import (
    TumorType as TumorType,
)
from immunotwin.population.catalog import (
    load_tumor_catalog as load_tumor_catalog,
)

__all__ = ["TumorCatalog", "TumorType", "load_tumor_catalog"]
