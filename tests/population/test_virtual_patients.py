"""Virtual-patient sampling: filters, determinism, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.errors import SpecError
from immunotwin.population.catalog import load_tumor_catalog
from immunotwin.population.virtual_patients import sample_patients
from immunotwin.trials.spec import RangeFilter


@pytest.fixture(scope="module")
def nsclc():
    return load_tumor_catalog().get("nsclc")


def test_filters_are_applied(nsclc):
    p = sample_patients(nsclc, 400, seed=1, filters={"pdl1_tps": RangeFilter(min=0.5), "line": 1})
    assert len(p) == 400
    assert (p["pdl1_tps"] >= 0.5).all()
    assert (p["line"] == 1).all()
    assert list(p["patient_id"]) == list(range(400))


def test_same_seed_same_patients(nsclc):
    a = sample_patients(nsclc, 100, seed=5)
    b = sample_patients(nsclc, 100, seed=5)
    c = sample_patients(nsclc, 100, seed=6)
    assert a.equals(b)
    assert not a.equals(c)


def test_fewer_patients_are_a_prefix(nsclc):
    """Blocks are drawn in a fixed size, so n=50 is the first 50 of n=200 with the same seed."""
    small = sample_patients(nsclc, 50, seed=3)
    large = sample_patients(nsclc, 200, seed=3)
    assert small.equals(large.iloc[:50])


def test_body_size_is_consistent(nsclc):
    p = sample_patients(nsclc, 200, seed=2)
    np.testing.assert_allclose(p["bsa_m2"], 0.1173 * p["weight_kg"] ** 0.6466)


def test_filter_on_unavailable_biomarker_is_a_clear_error():
    hnscc = load_tumor_catalog().get("hnscc")  # PD-L1 scored as CPS, not TPS
    with pytest.raises(SpecError, match="population filter 'pdl1_tps' cannot be applied"):
        sample_patients(hnscc, 10, seed=0, filters={"pdl1_tps": RangeFilter(min=0.5)})


def test_impossible_filter_fails_instead_of_looping(nsclc):
    with pytest.raises(SpecError, match="keep only"):
        sample_patients(nsclc, 10, seed=0, filters={"age": RangeFilter(min=200)})
