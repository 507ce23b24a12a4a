"""A 15-state anti-PD-1 reference model for solver benchmarks (``bench/engine.py``).

Deliberately mid-sized and stiff, shaped like the benchmark model in shared/BENCH_ANCHORS.md:
two-compartment pembrolizumab-like PK (Ahamadi 2017 typical values); antibody binding to PD-1
in the tumour interstitium (kon 20 /nM/day makes kon*antibody about 1e3 /day, the stiff part);
viable and dead tumour cells with logistic growth; antigen presentation; effector, exhausted,
memory and regulatory T cells; off-tumour autoreactivity, healthy-tissue integrity and
cumulative injury. It is a *benchmark* model with order-of-magnitude constants, not the
calibrated immunotwin model (:func:`immunotwin.model.immune.build.immunotwin_model`).
"""

from __future__ import annotations

from immunotwin.model.library.pk import add_two_compartment_pk
from immunotwin.model.spec import Distribution, Model, Parameter, Process, Quantity, Source, State

_PK = Source(citation="Ahamadi 2017 CPT:PSP 6:49 (pembrolizumab popPK)", confidence="curated")
_BENCH = Source(
    citation="order-of-magnitude benchmark constant (shared/BENCH_ANCHORS.md model shape)",
    confidence="assumption",
)


def _p(
    name: str,
    value: float,
    unit: str,
    description: str,
    sigma: float | None = None,
    source: Source = _BENCH,
) -> Parameter:
    dist = Distribution(kind="lognormal", sigma=sigma) if sigma else Distribution()
    return Parameter(
        name=name, value=value, unit=unit, description=description, source=source, distribution=dist
    )


def _proc(name: str, rate: str, unit: str, stoich: dict[str, float], description: str) -> Process:
    return Process(name=name, rate=rate, unit=unit, stoichiometry=stoich, description=description)


def checkpoint_reference_model() -> Model:
    """The 15-state benchmark model; 11 parameters carry log-normal variability."""
    base = Model(
        name="checkpoint_reference",
        description="15-state anti-PD-1 benchmark model (solver comparisons)",
    )
    model = add_two_compartment_pk(
        base, "antipd1", cl_l_per_day=0.2, v1_l=3.5, q_l_per_day=0.8, v2_l=3.0, source=_PK
    )
    states = [
        State(
            name="ab_tumor", unit="nM", description="antibody in tumour interstitium", abs_tol=1e-9
        ),
        State(
            name="pd1_free",
            unit="nM",
            description="free PD-1 (tumour T cells)",
            initial=1.0,
            abs_tol=1e-9,
        ),
        State(name="pd1_bound", unit="nM", description="antibody:PD-1 complex", abs_tol=1e-9),
        State(
            name="tumor_viable",
            unit="cell",
            description="viable tumour cells",
            initial=5e9,
            abs_tol=1e-3,
        ),
        State(
            name="tumor_dead",
            unit="cell",
            description="dead tumour cells",
            initial=1e8,
            abs_tol=1e-3,
        ),
        State(
            name="antigen",
            unit="1",
            description="antigen presentation index",
            initial=0.5,
            abs_tol=1e-9,
        ),
        State(
            name="effector",
            unit="cell",
            description="effector CD8 T cells in tumour",
            initial=2e7,
            abs_tol=1e-3,
        ),
        State(
            name="exhausted",
            unit="cell",
            description="exhausted CD8 T cells",
            initial=5e7,
            abs_tol=1e-3,
        ),
        State(
            name="memory",
            unit="cell",
            description="tumour-specific memory T cells",
            initial=1e6,
            abs_tol=1e-3,
        ),
        State(
            name="treg",
            unit="cell",
            description="regulatory T cells in tumour",
            initial=1e7,
            abs_tol=1e-3,
        ),
        State(
            name="autoreactive",
            unit="1",
            description="off-tumour autoreactive activity",
            abs_tol=1e-9,
        ),
        State(
            name="tissue_integrity",
            unit="1",
            description="healthy-tissue integrity",
            initial=1.0,
            abs_tol=1e-9,
        ),
        State(name="injury_days", unit="day", description="cumulative tissue injury", abs_tol=1e-9),
    ]
    parameters = [
        Parameter(
            name="antipd1_mw",
            value=149_000.0,
            unit="g/mol",
            model_unit="mg/nmol",
            description="antibody molecular weight",
            source=_PK,
        ),
        _p("tumor_partition", 0.15, "1", "tumour interstitial/plasma antibody", sigma=0.3),
        _p("tumor_exchange", 1.0, "1/day", "plasma-tumour antibody exchange rate"),
        _p("kon", 20.0, "1/(nM*day)", "antibody:PD-1 association (stiff)"),
        _p("koff", 0.5, "1/day", "antibody:PD-1 dissociation"),
        _p("pd1_synthesis", 0.2, "nM/day", "PD-1 synthesis"),
        _p("pd1_turnover", 0.2, "1/day", "PD-1 turnover"),
        _p("complex_internalisation", 0.3, "1/day", "complex internalisation"),
        _p("growth_rate", 0.012, "1/day", "tumour proliferation rate", sigma=0.4),
        _p("capacity", 1e11, "cell", "logistic capacity"),
        _p("kill_rate", 0.25, "1/day", "maximal kill rate by effectors", sigma=0.5),
        _p("kill_ratio", 0.3, "1", "effector:tumour ratio for half-maximal kill", sigma=0.4),
        _p("pd1_brake", 0.95, "1", "maximal PD-1 inhibition of killing"),
        _p("treg_suppression", 5.0, "1", "Treg:effector ratio scale of suppression", sigma=0.4),
        _p("dead_clearance", 0.2, "1/day", "dead-cell clearance"),
        _p("antigen_turnover", 0.5, "1/day", "antigen presentation turnover"),
        _p("antigen_dead_half", 1e8, "cell", "dead cells for half-maximal antigen"),
        _p("priming_rate", 5e5, "cell/day", "maximal effector priming flux", sigma=0.6),
        _p("expansion_rate", 0.1, "1/day", "antigen-driven effector expansion", sigma=0.5),
        _p("expansion_ratio", 10.0, "1", "effector:tumour ratio that stops expansion"),
        _p("effector_death", 0.05, "1/day", "effector death"),
        _p("exhaustion_rate", 0.1, "1/day", "exhaustion under PD-1 engagement", sigma=0.5),
        _p("exhausted_clearance", 0.05, "1/day", "exhausted-cell clearance"),
        _p("reinvigoration", 0.03, "1/day", "reinvigoration when PD-1 is blocked", sigma=0.4),
        _p("memory_formation", 0.005, "1/day", "effector to memory conversion"),
        _p("memory_recall", 0.05, "1/day", "memory recall with antigen"),
        _p("memory_loss", 0.001, "1/day", "memory loss"),
        _p("treg_influx", 2e5, "cell/day", "Treg recruitment", sigma=0.3),
        _p("treg_death", 0.02, "1/day", "Treg death"),
        _p("one_cell", 1.0, "cell", "one cell (keeps ratios finite)"),
        _p("autoreactive_rate", 0.1, "1/day", "autoreactivity kinetics"),
        _p("autoimmune_propensity", 0.3, "1", "patient autoimmune propensity", sigma=0.6),
        _p("injury_rate", 0.05, "1/day", "tissue injury rate"),
        _p("repair_rate", 0.1, "1/day", "tissue repair rate"),
    ]
    quantities = [
        Quantity(
            name="antibody_plasma_nm",
            formula="antipd1_conc/antipd1_mw",
            unit="nM",
            description="plasma antibody concentration",
        ),
        Quantity(
            name="pd1_occupancy",
            formula="pd1_bound/(pd1_bound + pd1_free)",
            unit="1",
            description="fraction of PD-1 bound by antibody",
        ),
        Quantity(
            name="tumor_total",
            formula="tumor_viable + tumor_dead",
            unit="cell",
            description="all tumour cells",
        ),
        Quantity(
            name="pd1_inhibition",
            formula="pd1_brake*(1 - pd1_occupancy)**2",
            unit="1",
            description="PD-1 brake on killing (steep in occupancy)",
        ),
        Quantity(
            name="treg_factor",
            formula="effector/(effector + treg_suppression*treg + one_cell)",
            unit="1",
            description="Treg suppression of killing",
        ),
        Quantity(
            name="kill_flux",
            formula="kill_rate*tumor_viable*effector/(kill_ratio*tumor_viable + effector"
            " + one_cell)*(1 - pd1_inhibition)*treg_factor",
            unit="cell/day",
            description="effector killing of tumour cells",
        ),
    ]
    processes = [
        _proc(
            "antibody_into_tumor",
            "tumor_exchange*(tumor_partition*antibody_plasma_nm - ab_tumor)",
            "nM/day",
            {"ab_tumor": 1},
            "equilibration with plasma",
        ),
        _proc(
            "binding",
            "kon*ab_tumor*pd1_free - koff*pd1_bound",
            "nM/day",
            {"ab_tumor": -1, "pd1_free": -1, "pd1_bound": 1},
            "antibody:PD-1 binding",
        ),
        _proc("pd1_synthesis_flux", "pd1_synthesis", "nM/day", {"pd1_free": 1}, "synthesis"),
        _proc("pd1_turnover_flux", "pd1_turnover*pd1_free", "nM/day", {"pd1_free": -1}, "turnover"),
        _proc(
            "internalisation",
            "complex_internalisation*pd1_bound",
            "nM/day",
            {"pd1_bound": -1},
            "complex internalisation",
        ),
        _proc(
            "tumor_growth",
            "growth_rate*tumor_viable*(1 - tumor_total/capacity)",
            "cell/day",
            {"tumor_viable": 1},
            "logistic growth",
        ),
        _proc(
            "tumor_kill", "kill_flux", "cell/day", {"tumor_viable": -1, "tumor_dead": 1}, "killing"
        ),
        _proc(
            "dead_clearing",
            "dead_clearance*tumor_dead",
            "cell/day",
            {"tumor_dead": -1},
            "clearance",
        ),
        _proc(
            "antigen_kinetics",
            "antigen_turnover*(tumor_dead/(tumor_dead + antigen_dead_half) - antigen)",
            "1/day",
            {"antigen": 1},
            "presentation follows dead-cell antigen",
        ),
        _proc("priming", "priming_rate*antigen", "cell/day", {"effector": 1}, "priming"),
        _proc(
            "expansion",
            "expansion_rate*antigen*effector*(1 - pd1_inhibition)*tumor_viable/"
            "(tumor_viable + expansion_ratio*effector + one_cell)",
            "cell/day",
            {"effector": 1},
            "antigen-driven clonal expansion",
        ),
        _proc("effector_loss", "effector_death*effector", "cell/day", {"effector": -1}, "death"),
        _proc(
            "exhaustion",
            "exhaustion_rate*pd1_inhibition*effector",
            "cell/day",
            {"effector": -1, "exhausted": 1},
            "exhaustion",
        ),
        _proc(
            "reinvigoration_flux",
            "reinvigoration*pd1_occupancy*exhausted",
            "cell/day",
            {"exhausted": -1, "effector": 1},
            "reinvigoration",
        ),
        _proc(
            "exhausted_loss",
            "exhausted_clearance*exhausted",
            "cell/day",
            {"exhausted": -1},
            "clearance",
        ),
        _proc(
            "memory_formation_flux",
            "memory_formation*effector",
            "cell/day",
            {"memory": 1},
            "memory formation",
        ),
        _proc(
            "recall",
            "memory_recall*antigen*memory",
            "cell/day",
            {"memory": -1, "effector": 1},
            "recall",
        ),
        _proc("memory_decay", "memory_loss*memory", "cell/day", {"memory": -1}, "loss"),
        _proc("treg_recruitment", "treg_influx", "cell/day", {"treg": 1}, "recruitment"),
        _proc("treg_loss", "treg_death*treg", "cell/day", {"treg": -1}, "death"),
        _proc(
            "autoreactivity",
            "autoreactive_rate*(autoimmune_propensity*pd1_occupancy - autoreactive)",
            "1/day",
            {"autoreactive": 1},
            "checkpoint-release autoreactivity",
        ),
        _proc(
            "tissue_injury",
            "injury_rate*autoreactive*tissue_integrity",
            "1/day",
            {"tissue_integrity": -1},
            "injury",
        ),
        _proc(
            "tissue_repair",
            "repair_rate*(1 - tissue_integrity)",
            "1/day",
            {"tissue_integrity": 1},
            "repair",
        ),
        _proc("injury_tally", "1 - tissue_integrity", "1", {"injury_days": 1}, "cumulative injury"),
    ]
    return model.extend(
        states=states, parameters=parameters, quantities=quantities, processes=processes
    )
