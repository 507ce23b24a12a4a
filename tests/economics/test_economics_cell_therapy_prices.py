"""Prices of the cell therapies, blinatumomab and T-VEC: sourced, and in the engine's units.

The list prices are the ones quoted in the pages named in ``data/economics/prices.csv``
(README there); these tests check the arithmetic of the derived units and that each price
unit matches how the trial engine writes dose rows for that drug (label regimens of
``drugs.toml`` expanded with ``immunotwin.therapies.schedule.administrations``).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from immunotwin.economics import EconomicsSettings, MissingPriceWarning
from immunotwin.economics.costs import INFUSION_DAYS_COLUMN, resource_use
from immunotwin.economics.settings import packaged_drug_prices
from immunotwin.therapies.catalog import load_drug_catalog
from immunotwin.therapies.schedule import administrations
from immunotwin.trials.spec import RegimenItem

ENGINEERED_T_CELL_CLASSES = ("car_t", "tcr_t", "t_cell_engager")
HORIZON_DAYS = 5 * 365.25

#: launch list prices (USD) as quoted in the pages cited in prices.csv
QUOTED = {
    "lisocabtagene_maraleucel": 410_300,
    "idecabtagene_vicleucel": 419_500,
    "ciltacabtagene_autoleucel": 465_000,
    "afamitresgene_autoleucel": 727_000,
}


def _dose_rows(drug: str, *, with_infusion_days: bool = True) -> pd.DataFrame:
    """Dose rows of one patient (80 kg, 1.9 m2) for the first label regimen that uses drug,
    one row per administration as the trial engine writes them."""
    regimen = load_drug_catalog().get(drug).label_regimens[0]
    frames = []
    for raw in regimen.items:
        if raw["drug"] != drug:
            continue
        admin = administrations(
            RegimenItem.model_validate(raw),
            HORIZON_DAYS,
            weight_kg=np.array([80.0]),
            bsa_m2=np.array([1.9]),
            gfr_ml_per_min=np.array([90.0]),
        )
        frame = pd.DataFrame(
            {
                "patient_id": 1,
                "arm": "a",
                "drug": drug,
                "day": admin.days,
                "amount": admin.amount[0],
                "amount_unit": admin.amount_unit,
            }
        )
        if with_infusion_days and admin.infusion_days is not None:
            frame[INFUSION_DAYS_COLUMN] = admin.infusion_days
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _patients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [1],
            "arm": ["a"],
            "pfs_months": [6.0],
            "pfs_event": [1],
            "os_months": [12.0],
            "os_event": [1],
            "best_overall_response": ["PR"],
        }
    )


def _undiscounted_cost(drug: str, doses: pd.DataFrame) -> float:
    use = resource_use(_patients(), doses, EconomicsSettings())
    j = use.drugs.index(drug)
    price = packaged_drug_prices()[drug].price_usd
    return float(use.drug_units_undiscounted[0, j] * price)


def test_every_engineered_t_cell_drug_has_a_sourced_price():
    catalog = load_drug_catalog()
    prices = packaged_drug_prices()
    drugs = [d.key for c in ENGINEERED_T_CELL_CLASSES for d in catalog.by_class(c)]
    assert len(drugs) >= 7  # 5 CAR-T, afami-cel, blinatumomab
    for key in drugs:
        price = prices.get(key)
        assert price is not None, f"{key} is not in prices.csv"
        assert price.price_usd is not None and price.price_usd > 0, key
        assert price.source and price.source.strip(), key
        assert price.confidence in ("verified", "derived", "recall"), key
        if "costs.csv" not in price.source:  # added from a retrieved page: the page is named
            assert re.search(r"https?://", price.source), key


def test_quoted_launch_prices_are_per_infusion_and_match_the_catalogue():
    prices = packaged_drug_prices()
    catalog = load_drug_catalog()
    for key, usd in QUOTED.items():
        price = prices[key]
        assert price.price_usd == usd, key
        assert price.price_unit == "per_administration", key
        assert price.confidence == "verified", key
        assert f"{usd:,}".replace(",", "") in price.source.replace(",", "").replace(" ", "")
        entry = catalog.get(key).price
        assert entry is not None and entry.value_usd == usd and entry.unit == "per infusion"


@pytest.mark.parametrize("drug", sorted(QUOTED))
def test_one_time_products_are_charged_once_per_label_regimen(drug):
    doses = _dose_rows(drug)
    assert len(doses) == 1  # the engine writes one dose row for the single infusion
    assert _undiscounted_cost(drug, doses) == pytest.approx(QUOTED[drug])


def test_blinatumomab_costs_89000_per_four_week_cycle():
    price = packaged_drug_prices()["blinatumomab"]
    assert price.price_unit == "per_infusion_day"
    assert price.price_usd * 28 == pytest.approx(89_000, abs=0.01)
    assert "89,000" in price.source
    doses = _dose_rows("blinatumomab")
    # label regimen: cycle 1 = 7 days at 9 ug/day + 21 days at 28 ug/day, then 4 x 28 days
    assert doses[INFUSION_DAYS_COLUMN].tolist() == [7.0, 21.0, 28.0, 28.0, 28.0, 28.0]
    assert _undiscounted_cost("blinatumomab", doses) == pytest.approx(5 * 89_000, abs=0.1)
    # the catalogue's course price (two cycles) is the same launch price
    assert load_drug_catalog().get("blinatumomab").price.value_usd == 2 * 89_000


def test_blinatumomab_without_infusion_days_is_reported_unpriced_not_costed_per_row():
    doses = _dose_rows("blinatumomab", with_infusion_days=False)
    with pytest.warns(MissingPriceWarning, match="blinatumomab"):
        use = resource_use(_patients(), doses, EconomicsSettings())
    assert "blinatumomab" not in use.drugs
    assert "infusion_days" in use.unpriced_drugs["blinatumomab"]


def test_talimogene_laherparepvec_is_priced_per_pfu_from_both_vial_prices():
    price = packaged_drug_prices()["talimogene_laherparepvec"]
    assert price.price_unit == "per_pfu"
    assert price.price_usd * 1e8 == pytest.approx(4_400)  # 1e8 PFU/mL vial
    assert price.price_usd * 1e6 == pytest.approx(44)  # 1e6 PFU/mL vial
    doses = _dose_rows("talimogene_laherparepvec").iloc[:2]  # 4e6 PFU, then one 4e8 PFU dose
    assert doses["amount_unit"].tolist() == ["PFU", "PFU"]
    assert _undiscounted_cost("talimogene_laherparepvec", doses) == pytest.approx(
        4 * 44 + 4 * 4_400
    )


def test_durvalumab_price_reproduces_the_quoted_monthly_wac():
    price = packaged_drug_prices()["durvalumab"]
    assert price.price_unit == "per_mg" and price.confidence == "derived"
    doses_per_month = 30.4375 / 14
    assert price.price_usd * doses_per_month * 10 * 80 == pytest.approx(15_000, abs=0.1)


def test_no_price_is_costed_for_a_wrong_dose_unit():
    doses = _dose_rows("lisocabtagene_maraleucel")
    doses = pd.concat([doses, _dose_rows("talimogene_laherparepvec").iloc[:1]])
    doses.loc[doses["drug"] == "talimogene_laherparepvec", "amount_unit"] = "mg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingPriceWarning)
        use = resource_use(_patients(), doses, EconomicsSettings())
    assert "talimogene_laherparepvec" in use.unpriced_drugs
    assert "per_pfu" in use.unpriced_drugs["talimogene_laherparepvec"]
