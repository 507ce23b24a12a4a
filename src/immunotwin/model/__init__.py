"""Declarative model layer: states, parameters, quantities, processes; compile; SBML."""

from immunotwin.model.compile import CompiledModel, compile_model
from immunotwin.model.spec import Distribution, Model, Parameter, Process, Quantity, Source, State

__all__ = [
    "CompiledModel",
    "Distribution",
    "Model",
    "Parameter",
    "Process",
    "Quantity",
    "Source",
    "State",
    "compile_model",
]
