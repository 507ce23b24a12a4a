import numpy as np
import pytest

from immunotwin.errors import InputError
from immunotwin.outcomes.toxicity import (
    AstctCrs2019,
    AstctIcans2019,
    CtcaeV5,
    ManagementRules,
    onset_day,
    worst_grade,
    worst_grade_per_patient,
    worst_grades_table,
)

CTCAE = CtcaeV5()


def test_injury_index_thresholds_are_strict():
    d = np.array([0.0, 0.1, 0.1001, 0.25, 0.26, 0.5, 0.51, 0.8, 0.81, 1.0])
    assert CTCAE.grade("colitis", d).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    # maculo-papular rash has no grade 4 in CTCAE v5
    assert CTCAE.grade("rash", d).max() == 3


def test_alt_fold_and_ctcae_alt_cutoffs():
    # invert ALT/ULN = 0.5 + 6 D/(1-D) at the CTCAE cut-offs 1, 3, 5, 20 x ULN
    cut = np.array([1.0, 3.0, 5.0, 20.0])
    x = (cut - 0.5) / 6.0
    d_at_cut = x / (1 + x)
    np.testing.assert_allclose(CTCAE.alt_fold_uln(d_at_cut), cut)
    eps = 1e-6
    assert CTCAE.grade("hepatitis", d_at_cut - eps).tolist() == [0, 1, 2, 3]
    assert CTCAE.grade("hepatitis", d_at_cut + eps).tolist() == [1, 2, 3, 4]
    # the brief's form (baseline 1.0 x ULN) makes any injury grade 1
    brief = CtcaeV5(alt_baseline_fold_uln=1.0)
    assert brief.grade("hepatitis", np.array([0.0, 1e-6])).tolist() == [0, 1]
    assert CTCAE.grade("hepatitis", np.array([1.0]))[0] == 4


def test_capillary_leak_has_no_grade_1():
    e = np.array([0.1, 0.3, 0.6, 0.9])
    assert CTCAE.grade_capillary_leak(e).tolist() == [0, 2, 3, 4]


def test_out_of_range_index_and_unknown_organ():
    with pytest.raises(InputError, match=r"\[0.0, 1.0\]"):
        CTCAE.grade("pneumonitis", np.array([0.2, 1.2]))
    with pytest.raises(InputError, match="unknown organ"):
        CTCAE.grade("kidney", np.array([0.2]))


def test_crs_requires_fever_then_grades_by_endothelial_index():
    crs = AstctCrs2019()
    il6 = np.array([[5, 50, 50, 10, 10, 10], [5, 5, 5, 5, 5, 5]], float)
    e = np.array([[0.0, 0.1, 0.3, 0.6, 0.9, 0.1], [0.9, 0.9, 0.9, 0.9, 0.9, 0.9]])
    g = crs.grade(il6, e)
    # fever only -> G1; + E tier 2; fever masked (IL-6 low after tocilizumab) -> E still grades
    assert g[0].tolist() == [0, 1, 2, 3, 4, 0]
    # no fever ever -> no CRS whatever E does (that is capillary leak, graded by CTCAE)
    assert g[1].tolist() == [0] * 6


def test_icans_from_ice_score():
    icans = AstctIcans2019()
    nn = np.array([0.0, 0.04, 0.06, 0.3, 0.34, 0.36, 0.7, 0.74, 0.76, 0.96, 0.99])
    assert icans.ice_score(nn).tolist() == [10, 10, 9, 7, 7, 6, 3, 3, 2, 0, 0]
    assert icans.grade(nn).tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4]
    assert icans.ice_score(np.array([0.25]))[0] == 8  # 7.5 rounds up


def test_worst_grades_and_onset():
    days = np.array([0.0, 7.0, 14.0, 21.0])
    colitis = np.array([[0, 1, 3, 2], [0, 0, 0, 0]])
    rash = np.array([[1, 1, 0, 0], [0, 2, 2, 1]])
    assert worst_grade(colitis).tolist() == [3, 0]
    assert worst_grade_per_patient({"colitis": colitis, "rash": rash}).tolist() == [3, 2]
    np.testing.assert_array_equal(onset_day(colitis, days, 3), [14.0, np.inf])
    table = worst_grades_table({"colitis": colitis, "rash": rash}, days)
    assert table["grade3plus"].tolist() == [True, False]
    assert table["rash_onset_day"].tolist() == [0.0, 7.0]


def test_management_rules_action_table():
    rules = ManagementRules()
    days = np.array([42.0, 84.0, 126.0])
    grades = {
        "colitis": np.array([[1, 2, 3], [0, 3, 0]]),
        "hepatitis": np.array([[0, 0, 0], [0, 0, 4]]),
        "crs": np.array([[0, 2, 0], [0, 0, 0]]),
    }
    acts = rules.actions(grades, days, anti_ctla4=np.array([True, False]))
    got = set(map(tuple, acts[["patient", "day", "organ", "action"]].to_numpy().tolist()))
    assert (0, 84.0, "colitis", "hold_ici") in got
    assert (0, 84.0, "colitis", "steroids") in got
    assert (0, 126.0, "colitis", "discontinue_ici") in got  # G3 colitis on anti-CTLA-4
    assert (0, 126.0, "colitis", "hold_ici") not in got
    assert (1, 84.0, "colitis", "hold_ici") in got  # G3 on anti-PD-1 only: hold
    assert (1, 84.0, "colitis", "discontinue_ici") not in got
    assert (1, 126.0, "hepatitis", "discontinue_ici") in got  # any grade 4
    assert (0, 84.0, "crs", "tocilizumab") in got
    assert not any(a[0] == 0 and a[1] == 42.0 for a in got)  # grade 1: no action
    np.testing.assert_array_equal(rules.discontinuation_day(acts, 2), [126.0, 126.0])
    with pytest.raises(InputError, match="no management rule"):
        rules.actions({"kidney": np.zeros((1, 3))}, days)
