"""Packaged prices (derivations), vial wastage, resource use, AE indicators, settings."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pandas as pd
import pytest
from economics_testdata import shared_data

from immunotwin.economics import EconomicsSettings, MissingPriceWarning, load_settings
from immunotwin.economics.costs import billable_amount_mg, resource_use
from immunotwin.economics.settings import packaged_drug_prices
from immunotwin.errors import InputError

DOSES_PER_YEAR_Q3W = 365.25 / 21


def test_pembrolizumab_price_reproduces_annual_list_price():
    price = packaged_drug_prices()["pembrolizumab"]
    assert price.price_unit == "per_mg"
    assert price.confidence == "derived"
    assert price.price_usd * 200 * DOSES_PER_YEAR_Q3W == pytest.approx(157_213, abs=1.0)


def test_packaged_prices_match_shared_costs_csv():
    path = shared_data() / "calibration" / "costs.csv"
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    def annual(prefix: str) -> float:
        row = next(
            r
            for r in rows
            if r["drug_or_comparison"].startswith(prefix)
            and r["item_type"] == "list_price"
            and r["confidence"] == "verified"
        )
        return float(row["value"])

    prices = packaged_drug_prices()
    assert prices["pembrolizumab"].price_usd * 200 * DOSES_PER_YEAR_Q3W == pytest.approx(
        annual("pembrolizumab 200 mg"), abs=1.0
    )
    assert prices["atezolizumab"].price_usd * 1200 * DOSES_PER_YEAR_Q3W == pytest.approx(
        annual("atezolizumab 1200"), abs=1.0
    )
    assert prices["nivolumab"].price_usd * 240 * 365.25 / 14 == pytest.approx(
        annual("nivolumab"), abs=1.0
    )
    assert prices["axicabtagene_ciloleucel"].price_usd == annual("axicabtagene")
    # every recall row in costs.csv with a price stays flagged recall
    assert prices["ipilimumab"].confidence == "recall"
    # durvalumab is priced from a retrieved page, not costs.csv (see the README)
    assert "not from costs.csv" in prices["durvalumab"].source
    for drug in ("rituximab", "trastuzumab", "carboplatin", "paclitaxel"):
        assert prices[drug].price_usd is None, drug


def test_billable_amount_with_vials():
    assert billable_amount_mg(160, (100.0,)) == 200
    assert billable_amount_mg(200, (100.0,)) == 200
    # nivolumab 3 mg/kg x 70 kg = 210 mg from 40/100/120/240-mg vials -> 220 mg (100 + 120)
    assert billable_amount_mg(210, (40.0, 100.0, 120.0, 240.0)) == 220
    assert billable_amount_mg(210, ()) == 210
    assert billable_amount_mg(0, (100.0,)) == 0


def _tables():
    patients = pd.DataFrame(
        {
            "patient_id": [1, 2, 3],
            "arm": ["x", "x", "y"],
            "pfs_months": [5.0, 6.0, 7.0],
            "pfs_event": [1, 1, 0],
            "os_months": [9.0, 10.0, 12.0],
            "os_event": [1, 0, 0],
            "best_overall_response": ["PR", "SD", "PD"],
            "crs_grade": [3, 4, 1],
            "icans_grade": [3, 0, 0],
        }
    )
    doses = pd.DataFrame(
        {
            "patient_id": [1, 1, 2, 3, 3],
            "arm": ["x", "x", "x", "y", "y"],
            "drug": [
                "pembrolizumab",
                "pembrolizumab",
                "pembrolizumab",
                "carboplatin",
                "ipilimumab",
            ],
            "day": [0.0, 365.25, 0.0, 0.0, 0.0],
            "amount": [160.0, 160.0, 200.0, 500.0, 240.0],
            "amount_unit": ["mg"] * 5,
        }
    )
    return patients, doses


def test_resource_use_discounting_wastage_and_missing_prices():
    patients, doses = _tables()
    s = EconomicsSettings(vial_wastage=True)
    with pytest.warns(MissingPriceWarning, match="carboplatin"):
        use = resource_use(patients, doses, s)
    assert use.drugs == ("ipilimumab", "pembrolizumab")
    j = use.drugs.index("pembrolizumab")
    # 160 mg billed as 200 mg (100-mg vials); second dose one year later discounted by 1/1.03
    assert use.drug_units_discounted[0, j] == pytest.approx(200 + 200 / 1.03)
    assert use.drug_units_undiscounted[0, j] == pytest.approx(400)
    assert use.administrations_discounted[0] == pytest.approx(1 + 1 / 1.03)
    assert "carboplatin" in use.unpriced_drugs
    # recall prices can be switched off
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        use2 = resource_use(patients, doses, EconomicsSettings(use_recall_prices=False))
    assert any("ipilimumab" in str(w.message) and "recall" in str(w.message) for w in caught)
    assert "ipilimumab" not in use2.drugs


def test_crs_and_icans_counted_once_when_joint_cost_known():
    patients, doses = _tables()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        use = resource_use(patients, doses, EconomicsSettings())
    keys = list(use.ae_keys)
    ae = use.ae_events
    assert ae[0, keys.index("crs_and_icans")] == 1
    assert ae[0, keys.index("crs")] == 0 and ae[0, keys.index("icans")] == 0
    assert ae[1, keys.index("crs")] == 1  # grade 4 CRS alone
    assert ae[2].sum() == 0  # grade 1 CRS is not grade >= 3
    # missing AE columns mean grade 0
    assert use.ae_grade3plus[:, 0].sum() == 0


def test_settings_files_and_overrides(tmp_path):
    path = tmp_path / "econ.yaml"
    path.write_text(
        "wtp_per_qaly: 100000\n"
        "drug_prices:\n  carboplatin: {price_usd: 0.05, price_unit: per_mg}\n"
        "subsequent_therapy:\n  chemotherapy: {cost_per_patient_usd: 27989, fraction_treated: 1}\n"
        "psa: {n_draws: 10}\n"
    )
    s = load_settings(path, horizon_years=10)
    assert s.wtp_per_qaly == 100000 and s.horizon_years == 10 and s.psa.n_draws == 10
    assert s.drug_prices["carboplatin"].price_usd == 0.05
    assert s.drug_prices["carboplatin"].confidence == "user"
    assert s.drug_prices["pembrolizumab"].price_usd == pytest.approx(45.1947)  # kept
    assert s.discount_rate_costs_per_year == 0.03
    bad = tmp_path / "bad.yaml"
    bad.write_text("discount_rate: 0.05\n")
    with pytest.raises(InputError, match="discount_rate"):
        load_settings(bad)
    with pytest.raises(InputError, match="ae_costs_usd"):
        load_settings(None, ae_costs_usd={"nausea": 10.0})


def test_with_updates_validates():
    s = EconomicsSettings()
    assert s.with_updates(wtp_per_qaly=50_000).wtp_per_qaly == 50_000
    with pytest.raises(ValueError):
        s.with_updates(discount_rate_costs_per_year=-1)
    assert np.isclose(s.utility_progressed, 0.473)


def test_settings_example_in_docs_loads(tmp_path):
    from economics_testdata import repo_root

    text = (repo_root() / "docs" / "economics.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "kn024.yaml"
    path.write_text(block)
    s = load_settings(path)
    assert s.monitoring_cost_per_week_pf_by_arm == {"chemotherapy": 1158}
    assert s.subsequent_therapy["chemotherapy"].cost_per_patient_usd == 27989
    assert s.drug_prices["pemetrexed"].price_usd is None
