"""Static trial figures (matplotlib, Agg): Kaplan-Meier, waterfall, spider, swimmer, toxicity.

Each function takes tables and returns PNG bytes; nothing here computes an endpoint.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

BOR_COLOURS = {"CR": "#1a9850", "PR": "#91cf60", "SD": "#fee08b", "PD": "#d73027", "NE": "#999999"}


def _figure(width: float = 7.5, height: float = 4.2, rows: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(rows, 1, figsize=(width, height), squeeze=rows == 1)
    return plt, fig, ax


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def kaplan_meier_png(curves: dict[str, pd.DataFrame], title: str, ylabel: str) -> bytes:
    """Step curves; each DataFrame has columns ``time_months`` and ``survival``."""
    plt, fig, ax = _figure()
    for arm, curve in curves.items():
        ax.step(curve["time_months"], curve["survival"], where="post", label=arm, lw=1.6)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("months")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return _png(plt, fig)


def waterfall_png(patients: pd.DataFrame) -> bytes:
    """Best percent change of the sum of diameters per patient, one panel per arm."""
    arms = list(dict.fromkeys(patients["arm"]))
    plt, fig, axes = _figure(7.5, 2.4 * len(arms), rows=len(arms))
    axes = np.atleast_1d(axes).ravel()
    for ax, arm in zip(axes, arms, strict=True):
        rows = patients[patients["arm"] == arm].sort_values("best_pct_change", ascending=False)
        colours = [BOR_COLOURS.get(b, "#999999") for b in rows["best_overall_response"]]
        ax.bar(
            np.arange(len(rows)), rows["best_pct_change"].clip(upper=100), color=colours, width=1.0
        )
        ax.axhline(20, color="k", lw=0.6, ls="--")
        ax.axhline(-30, color="k", lw=0.6, ls="--")
        ax.set_ylabel("best change (%)")
        ax.set_title(arm, fontsize=10)
        ax.set_xticks([])
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in BOR_COLOURS.values()]
    axes[0].legend(
        handles,
        list(BOR_COLOURS),
        ncol=5,
        frameon=False,
        fontsize=8,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.08),
    )
    return _png(plt, fig)


def spider_png(visits: pd.DataFrame, n_per_arm: int = 40, seed: int = 0) -> bytes:
    """Percent change from baseline over time for a random sample of patients per arm."""
    plt, fig, ax = _figure()
    rng = np.random.default_rng(seed)
    for k, (arm, rows) in enumerate(visits.groupby("arm", sort=False)):
        ids = rows["patient_id"].unique()
        chosen = rng.choice(ids, size=min(n_per_arm, ids.size), replace=False)
        for j, pid in enumerate(chosen):
            one = rows[rows["patient_id"] == pid].sort_values("day")
            ax.plot(
                one["day"] / 30.4375,
                one["pct_change"],
                color=f"C{k}",
                alpha=0.35,
                lw=0.8,
                label=arm if j == 0 else None,
            )
    ax.axhline(20, color="k", lw=0.6, ls="--")
    ax.axhline(-30, color="k", lw=0.6, ls="--")
    ax.set_ylim(-105, 150)
    ax.set_xlabel("months")
    ax.set_ylabel("change in sum of diameters (%)")
    ax.legend(frameon=False)
    return _png(plt, fig)


def swimmer_png(patients: pd.DataFrame, n_max: int = 40) -> bytes:
    """Responders: time on study to progression/death or censoring, response onset marked."""
    responders = patients[patients["best_overall_response"].isin(["CR", "PR"])]
    responders = responders.sort_values("pfs_months")
    if len(responders) > n_max:  # evenly spaced over the sorted responders, shortest to longest
        responders = responders.iloc[np.linspace(0, len(responders) - 1, n_max).astype(int)]
    plt, fig, ax = _figure(7.5, max(2.5, 0.18 * len(responders) + 1))
    arms = list(dict.fromkeys(patients["arm"]))
    for y, (_, row) in enumerate(responders.iterrows()):
        colour = f"C{arms.index(row['arm'])}"
        ax.barh(y, row["pfs_months"], color=colour, height=0.7)
        ax.plot(row["response_day"] / 30.4375, y, marker="v", color="k", ms=4)
        if not row["pfs_event"]:
            ax.plot(row["pfs_months"], y, marker=">", color="k", ms=4)
    ax.set_yticks([])
    ax.set_xlabel("months (bar: progression-free time; v response; > ongoing)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=f"C{k}") for k in range(len(arms))]
    ax.legend(handles, arms, frameon=False, fontsize=8)
    return _png(plt, fig)


def toxicity_png(rates: pd.DataFrame) -> bytes:
    """Grouped bars: rows = adverse-event types, columns = arms, values = patient fractions."""
    plt, fig, ax = _figure()
    x = np.arange(len(rates.index))
    width = 0.8 / max(1, len(rates.columns))
    for k, arm in enumerate(rates.columns):
        ax.bar(x + k * width, 100 * rates[arm], width=width, label=arm)
    ax.set_xticks(x + width * (len(rates.columns) - 1) / 2, rates.index, rotation=20, ha="right")
    ax.set_ylabel("patients with grade >= 3 (%)")
    ax.legend(frameon=False)
    return _png(plt, fig)
