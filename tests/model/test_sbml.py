"""SBML export: libSBML consistency and a libRoadRunner round trip against our own engine."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.engine import simulate
from immunotwin.model import Source
from immunotwin.model.library.kuznetsov import kuznetsov_1994
from immunotwin.model.library.pk import add_two_compartment_pk
from immunotwin.model.sbml import consistency_errors, to_sbml, write_sbml


def test_export_is_consistent(tmp_path):
    path = write_sbml(kuznetsov_1994(), tmp_path / "k.xml")
    assert consistency_errors(path.read_text()) == []
    assert "<listOfReactions>" in path.read_text()


def test_export_is_deterministic():
    assert to_sbml(kuznetsov_1994()) == to_sbml(kuznetsov_1994())


def test_roundtrip_with_libroadrunner(kuznetsov):
    roadrunner = pytest.importorskip("roadrunner")
    model = add_two_compartment_pk(
        kuznetsov_1994(),
        "pembrolizumab",
        cl_l_per_day=0.22,
        v1_l=3.48,
        q_l_per_day=0.795,
        v2_l=4.06,
        source=Source(citation="Ahamadi 2017 CPT:PSP"),
    )
    from immunotwin.model import compile_model

    cm = compile_model(model)
    rr = roadrunner.RoadRunner(to_sbml(model))
    rr.integrator.relative_tolerance = 1e-11
    rr.integrator.absolute_tolerance = 1e-12
    rr.setValue("pembrolizumab_central", 200.0)
    res = rr.simulate(0, 120, 25)
    y0 = cm.default_initial_state()
    y0[model.state_index("pembrolizumab_central")] = 200.0
    ours = simulate(cm, y0, cm.default_parameters(), np.array(res[:, 0]), rtol=1e-10, atol=1e-12)
    for col, name in enumerate(res.colnames[1:], start=1):
        theirs = np.array(res[:, col])
        mine = ours.state(name.strip("[]"))[0]
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)
