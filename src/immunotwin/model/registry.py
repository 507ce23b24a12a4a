"""Named models that the CLI can export or simulate."""

from __future__ import annotations

from collections.abc import Callable

from immunotwin.errors import CatalogError
from immunotwin.model.immune.build import immunotwin_model
from immunotwin.model.library.kuznetsov import kuznetsov_1994
from immunotwin.model.spec import Model

MODELS: dict[str, tuple[Callable[[], Model], str]] = {
    "kuznetsov_1994": (kuznetsov_1994, "Kuznetsov 1994 effector-tumour model (2 states)"),
    "immunotwin": (
        immunotwin_model,
        "cancer-immunity model: tumour, priming, memory, TME, checkpoints, chemo, toxicity",
    ),
}


def get_model(name: str) -> Model:
    """Build the named model; CatalogError lists the available names."""
    try:
        builder, _ = MODELS[name]
    except KeyError:
        raise CatalogError(
            f"unknown model '{name}'",
            source="model registry",
            fix=f"choose one of: {', '.join(MODELS)}",
        ) from None
    return builder()
