"""Neoantigen list -> vaccine-slot parameters (monotone, bounded, pVACseq columns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunotwin.errors import InputError
from immunotwin.therapies.vaccines import binding_weight, neoantigen_vaccine_parameters


def _table(ic50s, vafs=None):
    data = {
        "MT Epitope Seq": [f"PEPTIDE{i}" for i in range(len(ic50s))],
        "Best MT IC50 Score": ic50s,
    }
    if vafs is not None:
        data["Tumor DNA VAF"] = vafs
    return pd.DataFrame(data)


def test_binding_weight_endpoints():
    assert binding_weight([1.0, 50_000.0, 1e6]).tolist() == [1.0, 0.0, 0.0]


def test_more_and_stronger_epitopes_never_lower_clones():
    base = neoantigen_vaccine_parameters(_table([50.0, 200.0]))
    more = neoantigen_vaccine_parameters(_table([50.0, 200.0, 400.0]))
    stronger = neoantigen_vaccine_parameters(_table([5.0, 200.0]))
    assert more.vaccine_clones > base.vaccine_clones
    assert stronger.vaccine_clones > base.vaccine_clones
    assert stronger.vaccine_antigen_quality > base.vaccine_antigen_quality
    assert 0.0 < base.vaccine_antigen_quality <= 1.0


def test_cap_non_binders_duplicates_and_empty():
    many = neoantigen_vaccine_parameters(_table([10.0 + i for i in range(50)]), max_epitopes=34)
    assert many.encoded_epitopes == 34
    dup = _table([50.0, 60.0])
    dup.loc[1, "MT Epitope Seq"] = "PEPTIDE0"
    assert neoantigen_vaccine_parameters(dup).encoded_epitopes == 1
    none = neoantigen_vaccine_parameters(_table([5000.0]))
    assert none.vaccine_clones == 0.0 and none.encoded_epitopes == 0


def test_coverage_from_clonal_fraction():
    assert neoantigen_vaccine_parameters(_table([50.0], [0.2])).vaccine_tumor_coverage == (
        pytest.approx(0.4)
    )
    assert neoantigen_vaccine_parameters(_table([50.0])).vaccine_tumor_coverage == 1.0


def test_missing_columns_are_named():
    with pytest.raises(InputError, match="Best MT IC50 Score"):
        neoantigen_vaccine_parameters(pd.DataFrame({"MT Epitope Seq": ["A"]}))


def test_pvacseq_expected_table_maps():
    repo = Path(__file__).resolve().parents[2]
    tail = ("vcf", "pvacseq_test_hcc1395_grch37", "expected", "MHC_Class_I")
    # ../shared beside the repository (CI), or two levels up for a nested worktree
    candidates = [base / "shared" / "data" for base in (repo.parent, repo.parent.parent)]
    path = next(
        (c.joinpath(*tail, "Test.MHC_I.all_epitopes.tsv") for c in candidates if c.is_dir()),
        candidates[0].joinpath(*tail, "Test.MHC_I.all_epitopes.tsv"),
    )
    if not path.is_file():
        pytest.skip(f"shared data not found: {path}")
    table = pd.read_csv(path, sep="\t")
    # the pVACseq test sample scores only HLA-E/G: no peptide binds below 500 nM
    assert neoantigen_vaccine_parameters(table).encoded_epitopes == 0
    slot = neoantigen_vaccine_parameters(table, ic50_max_nm=50_000.0)
    assert slot.encoded_epitopes == 34
    assert 0 < slot.vaccine_clones <= 0.3 * 34 and 0 < slot.vaccine_tumor_coverage <= 1


def test_daily_tki_dosing_becomes_zero_order_input_runs():
    from immunotwin.model.immune import immunotwin_model
    from immunotwin.trials.therapy_map import tki_input_events

    model = immunotwin_model()
    # sunitinib 4 weeks on / 2 off for two cycles: one on/off pair per cycle, 1 dose per day
    days = np.concatenate([np.arange(0, 28), np.arange(42, 70)]).astype(float)
    events = tki_input_events(model, days, np.array([1.0, 0.5]))
    assert [e[0] for e in events] == [0.0, 28.0, 42.0, 70.0]
    assert events[0][4].tolist() == [1.0, 0.5] and events[1][4].tolist() == [0.0, 0.0]
    # twice daily: two reference doses per day
    bid = tki_input_events(model, np.arange(0, 10, 0.5), np.array([1.0]))
    assert bid[0][4].tolist() == [2.0] and bid[1][0] == 10.0
