"""Pharmacokinetic building blocks: compose a drug's compartments into any model."""

from __future__ import annotations

from immunotwin.model.spec import Model, Parameter, Process, Quantity, Source, State


def add_two_compartment_pk(
    model: Model,
    drug: str,
    *,
    cl_l_per_day: float,
    v1_l: float,
    q_l_per_day: float,
    v2_l: float,
    source: Source,
) -> Model:
    """Two-compartment linear PK of ``drug`` (amounts in mg, IV bolus into the central pool).

    dXc/dt = -(CL/V1)Xc - (Q/V1)Xc + (Q/V2)Xp ;  dXp/dt = (Q/V1)Xc - (Q/V2)Xp ;  Cp = Xc/V1.
    Adds states ``{drug}_central``, ``{drug}_peripheral`` (mg) and quantity ``{drug}_conc`` (mg/L).
    """

    def par(suffix: str, value: float, unit: str, description: str) -> Parameter:
        return Parameter(
            name=f"{drug}_{suffix}",
            value=value,
            unit=unit,
            description=f"{drug} {description}",
            source=source,
        )

    c, p = f"{drug}_central", f"{drug}_peripheral"
    return model.extend(
        states=[
            State(
                name=c,
                unit="mg",
                description=f"{drug} amount in the central compartment",
                abs_tol=1e-9,
            ),
            State(
                name=p,
                unit="mg",
                description=f"{drug} amount in the peripheral compartment",
                abs_tol=1e-9,
            ),
        ],
        parameters=[
            par("cl", cl_l_per_day, "L/day", "linear clearance"),
            par("v1", v1_l, "L", "central volume"),
            par("q", q_l_per_day, "L/day", "inter-compartmental clearance"),
            par("v2", v2_l, "L", "peripheral volume"),
        ],
        quantities=[
            Quantity(
                name=f"{drug}_conc",
                formula=f"{c}/{drug}_v1",
                unit="mg/L",
                description=f"{drug} plasma concentration",
            ),
        ],
        processes=[
            Process(
                name=f"{drug}_elimination",
                rate=f"{drug}_cl*{drug}_conc",
                unit="mg/day",
                stoichiometry={c: -1},
                description="linear elimination from plasma",
            ),
            Process(
                name=f"{drug}_distribution",
                rate=f"{drug}_q*{drug}_conc - {drug}_q*{p}/{drug}_v2",
                unit="mg/day",
                stoichiometry={c: -1, p: 1},
                description="central-peripheral exchange",
            ),
        ],
    )
