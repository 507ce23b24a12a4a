"""Rank neoepitopes and assign readable tiers (pure functions over DataFrames).

Score (higher is better), each term in [0, 1], weighted by a :class:`RankingPolicy`:

* binding: ``1 - log10(IC50 nM) / log10(50,000)`` (clipped);
* agretopicity: ``log10(WT IC50 / MT IC50) / 2`` (clipped; 1 when the WT peptide is absent,
  e.g. frameshift-novel sequence), after Duan et al., J Exp Med 211:2231 (2014);
* clonality: tumour DNA VAF (policy default when unknown);
* expression: ``log1p(TPM) / log1p(100)`` (policy default when unknown);
* self-similarity (subtracted): 1 when the MT peptide occurs in a supplied self proteome,
  0.5 when it differs from the matched WT peptide only at a non-anchor position (P1, P3..PΩ-1
  of a T-cell-facing residue set is not modelled; anchors are P2 and PΩ).

Tiers follow pVACseq's names (Hundal et al. 2020): ``Pass``, ``Anchor``, ``Subclonal``,
``LowExpr``, ``NoExpr``, ``Poor``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from immunotwin.errors import GenomicsError


class RankingPolicy(BaseModel):
    """Weights and thresholds for ranking; load from YAML with :func:`load_policy`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight_binding: float = 1.0
    weight_agretopicity: float = 0.5
    weight_vaf: float = 0.5
    weight_expression: float = 0.3
    weight_self_similarity: float = 0.5
    binding_ic50_nm_max: float = Field(500.0, gt=0)
    binding_percentile_max: float = Field(2.0, gt=0)
    min_vaf_clonal: float = Field(0.25, ge=0, le=1)
    min_expression_tpm: float = Field(1.0, ge=0)
    default_vaf: float = Field(0.5, ge=0, le=1)
    default_expression_term: float = Field(0.5, ge=0, le=1)


def load_policy(path: str | Path | None) -> RankingPolicy:
    """Read a YAML ranking policy (keys of :class:`RankingPolicy`); None gives the default."""
    if path is None:
        return RankingPolicy()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise GenomicsError(
            "policy file not found", source=str(path), fix="check the --policy path"
        ) from None
    except yaml.YAMLError as exc:
        raise GenomicsError(
            f"policy is not valid YAML: {exc}", source=str(path), fix="fix the YAML syntax"
        ) from None
    try:
        return RankingPolicy(**data)
    except (ValidationError, TypeError) as exc:
        raise GenomicsError(
            f"invalid ranking policy: {exc}",
            source=str(path),
            fix=f"allowed keys: {', '.join(RankingPolicy.model_fields)}",
        ) from None


def _term_binding(ic50: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - np.log10(np.clip(ic50, 1.0, None)) / math.log10(50_000.0), 0.0, 1.0)


def score_epitopes(epitopes: pd.DataFrame, policy: RankingPolicy | None = None) -> pd.DataFrame:
    """Add ``Agretopicity``, score terms, ``immunotwin_score`` and ``Tier`` columns.

    Expects columns ``Best MT IC50 Score``, ``Corresponding WT IC50 Score``,
    ``Best MT Percentile``, ``Tumor DNA VAF``, ``Gene Expression``, ``self_match`` (bool),
    ``Mutation Position``.
    """
    policy = policy or RankingPolicy()
    df = epitopes.copy()
    mt = df["Best MT IC50 Score"].to_numpy(float)
    wt = pd.to_numeric(df["Corresponding WT IC50 Score"], errors="coerce").to_numpy(float)
    fold = wt / mt
    df["Corresponding Fold Change"] = fold
    agreto = np.where(
        np.isnan(fold), 1.0, np.clip(np.log10(np.where(fold > 0, fold, 1.0)) / 2, 0.0, 1.0)
    )
    vaf = df["Tumor DNA VAF"].to_numpy(float)
    vaf_term = np.where(np.isnan(vaf), policy.default_vaf, np.clip(vaf, 0, 1))
    expr = df["Gene Expression"].to_numpy(float)
    expr_term = np.where(
        np.isnan(expr),
        policy.default_expression_term,
        np.clip(np.log1p(np.clip(expr, 0, None)) / math.log1p(100.0), 0, 1),
    )
    length = df["Peptide Length"].to_numpy(int)
    anchors_only = []
    for pos_text, k in zip(df["Mutation Position"].astype(str), length, strict=True):
        positions = [int(p) for p in pos_text.split(",") if p.strip().isdigit()]
        anchors_only.append(bool(positions) and all(p in (2, k) for p in positions))
    anchors_only = np.array(anchors_only, dtype=bool)
    self_term = np.where(df["self_match"].to_numpy(bool), 1.0, 0.0)
    df["binding_term"] = _term_binding(mt)
    df["agretopicity_term"] = agreto
    df["clonality_term"] = vaf_term
    df["expression_term"] = expr_term
    df["self_similarity_term"] = self_term
    df["immunotwin_score"] = (
        policy.weight_binding * df["binding_term"]
        + policy.weight_agretopicity * agreto
        + policy.weight_vaf * vaf_term
        + policy.weight_expression * expr_term
        - policy.weight_self_similarity * self_term
    )
    binds = (mt <= policy.binding_ic50_nm_max) | (
        df["Best MT Percentile"].to_numpy(float) <= policy.binding_percentile_max
    )
    wt_binds = ~np.isnan(wt) & (wt <= policy.binding_ic50_nm_max)
    tiers = np.full(len(df), "Poor", dtype=object)
    no_expr = ~np.isnan(expr) & (expr == 0)
    low_expr = ~np.isnan(expr) & (expr < policy.min_expression_tpm)
    subclonal = ~np.isnan(vaf) & (vaf < policy.min_vaf_clonal)
    tiers[binds] = "Pass"
    tiers[binds & anchors_only & wt_binds] = "Anchor"
    tiers[binds & subclonal] = "Subclonal"
    tiers[binds & low_expr] = "LowExpr"
    tiers[binds & no_expr] = "NoExpr"
    tiers[df["self_match"].to_numpy(bool)] = "Poor"
    df["Tier"] = tiers
    order = {"Pass": 0, "Anchor": 1, "Subclonal": 2, "LowExpr": 3, "NoExpr": 4, "Poor": 5}
    df["_tier_order"] = df["Tier"].map(order)
    df = df.sort_values(
        ["_tier_order", "immunotwin_score"], ascending=[True, False], kind="stable"
    ).drop(columns="_tier_order")
    df.insert(len(df.columns), "Rank", np.arange(1, len(df) + 1))
    return df.reset_index(drop=True)
