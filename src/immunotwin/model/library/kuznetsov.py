"""Kuznetsov et al. 1994 effector-tumour model (Bull Math Biol 56:295; BioModels
BIOMD0000000762): BCL1 lymphoma in mice, cells and days.

dE/dt = s + p*E*T/(g + T) - m*E*T - d*E ;  dT/dt = a*T*(1 - b*T) - n*E*T
Parameter values from the model brief §6 (read from the BioModels SBML).
"""

from __future__ import annotations

from immunotwin.model.spec import Model, Parameter, Process, Source, State

_SRC = Source(
    citation="Kuznetsov 1994 Bull Math Biol 56:295; BIOMD0000000762", confidence="curated"
)


def _par(name: str, value: float, unit: str, description: str) -> Parameter:
    return Parameter(name=name, value=value, unit=unit, description=description, source=_SRC)


def kuznetsov_1994() -> Model:
    """The two-state effector (E) / tumour (T) model with the published parameters."""
    return Model(
        name="kuznetsov_1994",
        description="Kuznetsov 1994 effector-tumour model (dormancy and escape bistability).",
        states=(
            State(
                name="effector_cells",
                unit="cell",
                description="effector cells E",
                initial=3.2e5,
                abs_tol=1e-3,
            ),
            State(
                name="tumor_cells",
                unit="cell",
                description="tumour cells T",
                initial=5e6,
                abs_tol=1e-3,
            ),
        ),
        parameters=(
            _par("s_influx", 1.3e4, "cell/day", "normal effector influx s"),
            _par("p_stim", 0.1245, "1/day", "maximal tumour-stimulated effector proliferation p"),
            _par("g_half", 2.019e7, "cell", "tumour size for half-maximal stimulation g"),
            _par("m_inact", 3.422e-10, "1/(cell*day)", "effector inactivation by tumour m"),
            _par("d_death", 0.0412, "1/day", "effector death d"),
            _par("a_growth", 0.18, "1/day", "maximal tumour growth a"),
            _par("b_inv_capacity", 2e-9, "1/cell", "inverse carrying capacity b"),
            _par("n_kill", 1.101e-7, "1/(cell*day)", "tumour kill by effectors n"),
        ),
        processes=(
            Process(
                name="effector_influx",
                rate="s_influx",
                unit="cell/day",
                stoichiometry={"effector_cells": 1},
                description="constant influx",
            ),
            Process(
                name="effector_stimulation",
                rate="p_stim*effector_cells*tumor_cells/(g_half + tumor_cells)",
                unit="cell/day",
                stoichiometry={"effector_cells": 1},
                description="tumour-stimulated proliferation",
            ),
            Process(
                name="effector_inactivation",
                rate="m_inact*effector_cells*tumor_cells",
                unit="cell/day",
                stoichiometry={"effector_cells": -1},
                description="inactivation in tumour contact",
            ),
            Process(
                name="effector_death",
                rate="d_death*effector_cells",
                unit="cell/day",
                stoichiometry={"effector_cells": -1},
                description="natural death",
            ),
            Process(
                name="tumor_growth",
                rate="a_growth*tumor_cells*(1 - b_inv_capacity*tumor_cells)",
                unit="cell/day",
                stoichiometry={"tumor_cells": 1},
                description="logistic growth",
            ),
            Process(
                name="tumor_kill",
                rate="n_kill*effector_cells*tumor_cells",
                unit="cell/day",
                stoichiometry={"tumor_cells": -1},
                description="kill by effectors",
            ),
        ),
    )
