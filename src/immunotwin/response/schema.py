"""Column dictionary of the ICB cohort tables (LORIS ``AllData.xlsx`` sheets).

Source: ``../shared/data/icb/MANIFEST.md``; Chang T-G et al., Nat Cancer 5:1158 (2024),
doi:10.1038/s43018-024-00772-7; Chowell D et al., Nat Biotechnol 40:499 (2022),
doi:10.1038/s41587-021-01070-8.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: The 16 cancer types of the LORIS one-hot columns CancerType1..CancerType16, in order.
CANCER_TYPES: tuple[str, ...] = (
    "Bladder",
    "Breast",
    "Colorectal",
    "Endometrial",
    "Esophageal",
    "Gastric",
    "Head & Neck",
    "Hepatobiliary",
    "Melanoma",
    "Mesothelioma",
    "NSCLC",
    "Ovarian",
    "Pancreatic",
    "Renal",
    "Sarcoma",
    "SCLC",
)
#: CancerType17 and CancerType18 (only in MSK2): types without a LORIS calibration term.
EXTRA_CANCER_TYPES: tuple[str, ...] = ("Unknown primary", "CNS")

ID_COLUMN = "SAMPLE_ID"
PDL1_COLUMN = "PDL1_TPS(%)"


class ColumnSpec(BaseModel):
    """One cohort column: its unit, the plausible range of values, and whether it is binary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    unit: str
    low: float
    high: float
    binary: bool = False
    required: bool = False
    #: a hint appended to range errors (the usual unit mistake for this column)
    hint: str = ""


COLUMNS: dict[str, ColumnSpec] = {
    c.name: c
    for c in (
        ColumnSpec(
            name="TMB",
            unit="mutations/Mb",
            low=0,
            high=1000,
            required=True,
            hint="give TMB as mutations per megabase (panel count / panel size in Mb)",
        ),
        ColumnSpec(
            name=PDL1_COLUMN,
            unit="% of tumour cells (0-100)",
            low=0,
            high=100,
            hint="give the PD-L1 tumour proportion score in percent (0-100)",
        ),
        ColumnSpec(name="Systemic_therapy_history", unit="0/1", low=0, high=1, binary=True),
        ColumnSpec(
            name="Albumin",
            unit="g/dL",
            low=1.0,
            high=7.0,
            required=True,
            hint="serum albumin must be in g/dL; divide g/L values by 10",
        ),
        ColumnSpec(name="NLR", unit="ratio", low=0, high=200, required=True),
        ColumnSpec(name="Age", unit="years", low=0, high=120, required=True),
        ColumnSpec(
            name="FCNA",
            unit="fraction of genome (0-1)",
            low=0,
            high=1,
            hint="FCNA is a fraction 0-1, not a percent",
        ),
        ColumnSpec(name="Drug", unit="code 0/1/2", low=0, high=2),
        ColumnSpec(name="Sex", unit="1 = male, 0 = female", low=0, high=1, binary=True),
        ColumnSpec(
            name="Platelets",
            unit="10^3/uL",
            low=1,
            high=2000,
            hint="platelets in 10^3 per microlitre (e.g. 250, not 250000)",
        ),
        ColumnSpec(name="MSI", unit="0/1", low=0, high=1, binary=True),
        ColumnSpec(name="Stage", unit="0/1", low=0, high=1, binary=True),
        ColumnSpec(name="HLA_LOH", unit="0/1", low=0, high=1, binary=True),
        ColumnSpec(name="HED", unit="divergence", low=0, high=100),
        ColumnSpec(
            name="HGB",
            unit="g/dL",
            low=2,
            high=25,
            hint="haemoglobin must be in g/dL; divide g/L values by 10",
        ),
        ColumnSpec(name="BMI", unit="kg/m^2", low=5, high=100),
        ColumnSpec(name="Response", unit="1 = CR/PR, 0 = SD/PD", low=0, high=1, binary=True),
        ColumnSpec(name="OS_Months", unit="months", low=0, high=1000),
        ColumnSpec(name="OS_Event", unit="1 = death, 0 = censored", low=0, high=1, binary=True),
        ColumnSpec(name="PFS_Months", unit="months", low=0, high=1000),
        ColumnSpec(name="PFS_Event", unit="1 = event, 0 = censored", low=0, high=1, binary=True),
    )
}
