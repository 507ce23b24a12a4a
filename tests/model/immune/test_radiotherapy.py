"""Radiotherapy fractions as linear-quadratic events (brief §2.6-§2.7)."""

from __future__ import annotations

import numpy as np

from immunotwin.engine import EventKind, build_events, simulate
from immunotwin.trials.therapy_map import lq_surviving_fraction, radiotherapy_events


def test_lq_surviving_fraction_known_values():
    # alpha 0.3 /Gy, alpha/beta 10 Gy: SF(2 Gy) = exp(-0.6 - 0.12) = 0.4868
    sf = lq_surviving_fraction(np.array([2.0, 8.0]), np.array([0.3, 0.3]), np.array([10.0, 10.0]))
    np.testing.assert_allclose(sf, [np.exp(-0.72), np.exp(-2.4 - 1.92)], rtol=1e-12)


def test_one_fraction_moves_the_lq_fraction_to_doomed(immune_compiled, typical_baseline):
    cm, model = immune_compiled, immune_compiled.model
    p, y0 = typical_baseline
    items = radiotherapy_events(model, np.array([1.0]), np.array([2.0]), p[None, :])
    r = simulate(cm, y0, p, np.array([0.0, 1.0, 1.0 + 1e-7]), build_events(1, items))
    before, after = r.states[0, 1], r.states[0, 2]
    cs, cz = model.state_index("tumor_presenting"), model.state_index("tumor_doomed")
    cr = model.state_index("tumor_escape")
    sf = np.exp(-0.72)  # typical alpha 0.3 /Gy, alpha/beta 10 Gy, whole tumour in field
    np.testing.assert_allclose(after[cs] / before[cs], sf, rtol=1e-4)
    np.testing.assert_allclose(
        after[cz] - before[cz], (1 - sf) * (before[cs] + before[cr]), rtol=1e-4
    )
    # in-field T cells by exp(-0.35*2), circulating lymphocytes by exp(-0.35*0.05*2)
    tt, alc = model.state_index("teff_tumor"), model.state_index("lymphocytes")
    np.testing.assert_allclose(after[tt] / before[tt], np.exp(-0.7), rtol=1e-4)
    np.testing.assert_allclose(after[alc] / before[alc], np.exp(-0.035), rtol=1e-4)


def test_course_shrinks_tumour_and_depletes_lymphocytes(immune_compiled, typical_baseline):
    cm, model = immune_compiled, immune_compiled.model
    p, y0 = typical_baseline
    days = np.array([d for d in range(42) if d % 7 < 5], dtype=float)
    items = radiotherapy_events(model, days, np.full(1, 2.0), p[None, :])
    assert {k for _, k, *_ in items} == {EventKind.TRANSFER, EventKind.SCALE_STATE}
    t = np.array([0.0, 42.0, 90.0])
    q = p.copy()
    q[model.parameter_index("immunogenicity_doomed")] = 3.0
    treated = simulate(cm, y0, q, t, build_events(1, items))
    untreated = simulate(cm, y0, p, t)
    burden = cm.quantities(treated.states[0], q)["tumor_cells_total"]
    control = cm.quantities(untreated.states[0], p)["tumor_cells_total"]
    assert burden[-1] < 0.05 * control[-1]
    alc = model.state_index("lymphocytes")
    assert treated.states[0, 1, alc] < 0.8 * untreated.states[0, 1, alc]
