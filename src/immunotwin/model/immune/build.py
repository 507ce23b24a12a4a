"""The composed cancer-immunity model ``immunotwin`` (brief §2)."""

from __future__ import annotations

from immunotwin.model.immune.antibodies import add_antibodies
from immunotwin.model.immune.cell_therapy import add_cell_therapy
from immunotwin.model.immune.checkpoints import add_checkpoints
from immunotwin.model.immune.chemotherapy import add_chemotherapy
from immunotwin.model.immune.cytokines import add_cytokines
from immunotwin.model.immune.effectors import add_effectors
from immunotwin.model.immune.host import add_host
from immunotwin.model.immune.microenvironment import add_microenvironment
from immunotwin.model.immune.priming import add_priming
from immunotwin.model.immune.radiotherapy import add_radiotherapy
from immunotwin.model.immune.targeted import add_targeted
from immunotwin.model.immune.toxicity import add_toxicity
from immunotwin.model.immune.tumor import add_tumor
from immunotwin.model.immune.vaccines import add_vaccines
from immunotwin.model.spec import Model

DESCRIPTION = (
    "Cancer-immunity model of the immunotwin brief §2: tumour with escape clone, priming, "
    "effectors with memory, suppressive TME, PD-1/PD-L1/CTLA-4 pharmacology, tumour-targeting "
    "antibodies (ADCC/ADCP/CDC, signalling), chemotherapy "
    "exposure slots (four agents), therapeutic vaccines (depot, DC product) and oncolytic virus, "
    "VEGFR-TKI and anti-VEGF effects, radiotherapy (fractions are events), IL-2/IFN-alpha "
    "effects, CAR-T/TIL/TCR-T cell kinetics and CD3 engagers, normal B cells, host lymphocytes "
    "and organ toxicity. Time in days."
)


def immunotwin_model() -> Model:
    """Compose every mechanism module (order: each module's processes act on states that exist)."""
    model = Model(name="immunotwin", description=DESCRIPTION)
    for add in (
        add_tumor,
        add_host,
        add_microenvironment,
        add_effectors,
        add_priming,
        add_checkpoints,
        add_antibodies,
        add_chemotherapy,
        add_toxicity,
        add_radiotherapy,
        add_cytokines,
        add_vaccines,
        add_targeted,
        add_cell_therapy,
    ):
        model = add(model)
    return model
