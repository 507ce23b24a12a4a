"""Regimen items -> administration days and amounts (label arithmetic checked by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.therapies.schedule import (
    administration_days,
    amounts_per_administration,
    bsa_m2_from_weight,
    calvert_dose_mg,
)
from immunotwin.trials.spec import RegimenItem

TWO_YEARS = 730.0


def test_q3w_with_max_cycles():
    item = RegimenItem(drug="pembrolizumab", dose="200 mg", every="3 weeks", max_cycles=35)
    days = administration_days(item, TWO_YEARS)
    assert days.size == 35 and days[0] == 0 and days[-1] == 34 * 21


def test_horizon_truncates_open_ended_schedule():
    item = RegimenItem(drug="nivolumab", dose="240 mg", every="2 weeks")
    days = administration_days(item, 100.0)
    np.testing.assert_array_equal(days, np.arange(0, 100, 14.0))


def test_cycle_days_and_start():
    item = RegimenItem(
        drug="nab_paclitaxel",
        dose="100 mg/m2",
        every="21 days",
        cycle_days=(1, 8, 15),
        cycles=2,
        start="week 1",
    )
    np.testing.assert_array_equal(administration_days(item, TWO_YEARS), [7, 14, 21, 28, 35, 42])


def test_radiotherapy_fractions_on_weekdays():
    item = RegimenItem(drug="radiotherapy", dose="60 Gy", fractions=30)
    days = administration_days(item, TWO_YEARS)
    assert days.size == 30
    assert set(days % 7) == {0, 1, 2, 3, 4}
    assert days[-1] == 7 * 5 + 4  # six weeks, Monday to Friday
    amount, unit = amounts_per_administration(
        item, weight_kg=np.array([70.0]), bsa_m2=np.array([1.8]), gfr_ml_per_min=np.array([90])
    )
    assert unit == "Gy" and amount[0] == pytest.approx(2.0)


def test_several_doses_per_day_on_consecutive_days():
    item = RegimenItem(drug="aldesleukin", dose="600000 IU/kg", doses_per_day=3, consecutive_days=5)
    days = administration_days(item, TWO_YEARS)
    assert days.size == 15
    np.testing.assert_allclose(np.diff(days), 1 / 3)


def test_max_duration_months():
    item = RegimenItem(drug="durvalumab", dose="10 mg/kg", every="2 weeks", max_duration_months=12)
    days = administration_days(item, TWO_YEARS)
    assert days[-1] < 12 * 30.4375 <= days[-1] + 14


def test_body_size_dosing():
    weight = np.array([50.0, 80.0])
    bsa = bsa_m2_from_weight(weight)
    gfr = np.array([60.0, 150.0])
    mg, unit = amounts_per_administration(
        RegimenItem(drug="x", dose="2 mg/kg"), weight_kg=weight, bsa_m2=bsa, gfr_ml_per_min=gfr
    )
    np.testing.assert_allclose(mg, [100, 160])
    auc, _ = amounts_per_administration(
        RegimenItem(drug="carboplatin", dose="AUC 5"),
        weight_kg=weight,
        bsa_m2=bsa,
        gfr_ml_per_min=gfr,
    )
    np.testing.assert_allclose(auc, [5 * 85, 5 * 150])  # second patient's GFR capped at 125
    iu, unit = amounts_per_administration(
        RegimenItem(drug="x", dose="20 MIU/m2"), weight_kg=weight, bsa_m2=bsa, gfr_ml_per_min=gfr
    )
    assert unit == "IU"
    np.testing.assert_allclose(iu, 20e6 * bsa)


def test_bsa_formula_typical_adult():
    # 70 kg gives about 1.83 m2 (Livingston & Lee 2001, weight-only formula)
    assert bsa_m2_from_weight(np.array([70.0]))[0] == pytest.approx(1.83, abs=0.02)


def test_calvert_formula():
    assert calvert_dose_mg(6, np.array([100.0]))[0] == 750.0
