"""Train the default class I model (``immunotwin-mhci-v2``).

Two kinds of per-allele linear models over the 184 one-hot features of :mod:`.encoding`:

* **affinity** (every allele with >= 50 usable measurements in the Kim 2014 BD2009 set, the
  IEDB snapshot that SMMPMBEC/NetMHCpan were trained on for the BLIND benchmark; see
  :mod:`.bd2009`): a ridge regression of ``1 - log(IC50 nM)/log(50,000)``. Before fitting,
  every BLIND (allele, peptide) pair and, by default, every BLIND peptide (for any allele) is
  removed, so Kim 2014 BLIND is a test set disjoint from training. An allele left with fewer
  rows is fitted on its own rows plus those of the best-measured allele of its group (same gene
  and first field, e.g. HLA-A*26:01 for HLA-A*26:03).
* **ms_motif** (alleles of the MHCflurry multi-allelic mass-spec benchmark with no BD2009
  model, e.g. HLA-C): the v1 method, immunotwin's own implementation:

  1. Samples are split by a CRC32 hash of ``sample_id`` (1 in 4 held out for the PPV
     benchmark); BLIND peptides are removed.
  2. EM deconvolution: each eluted ligand is assigned softly to one of the sample's alleles
     or to a flat "contaminant" component, with per-allele position weight matrices over
     P1-P4 and the last four residues (MixMHCp-style; Bassani-Sternberg et al., PLoS Comput
     Biol 13:e1005725, 2017), initialised from residue enrichment in carrier samples.
  3. The converged log-odds matrices (motif / decoy background) are the model; alleles whose
     carrier samples equal another allele's, or with < ``min_ligands`` ligands, are left out.

Percentile ranks: scores of 10,000 random peptides per length 8-11, drawn (seeded) from the
decoys' amino-acid frequencies.

Everything is deterministic for a given data file and seed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from immunotwin.errors import GenomicsError
from immunotwin.genomics.hla import normalise_allele
from immunotwin.genomics.mhc.bd2009 import load_bd2009
from immunotwin.genomics.mhc.encoding import (
    AMINO_ACIDS,
    LENGTHS,
    MOTIF_POSITIONS,
    N_POSITIONS,
    one_hot,
    residue_indices,
    valid_peptide,
)
from immunotwin.genomics.mhc.model import (
    KIND_AFFINITY,
    KIND_MS_MOTIF,
    MODEL_NAME,
    default_artifact_path,
    default_bd2009_path,
)

logger = logging.getLogger(__name__)

MS_BENCHMARK = Path("mhc") / "mhcflurry_ms_benchmark" / "multiallelic.benchmark.small.csv.bz2"
KIM_BLIND = Path("mhc") / "kim2014_blind" / "bdata.2013.mhci.public.blind.1.txt"
PERCENTILE_LEVELS = np.concatenate([np.geomspace(0.01, 1.0, 41)[:-1], np.linspace(1.0, 100.0, 100)])


def is_heldout_sample(sample_id: str, fold: int = 4) -> bool:
    """True for the samples reserved for the PPV benchmark (CRC32 hash, 1 in ``fold``)."""
    return zlib.crc32(sample_id.encode()) % fold == 0


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_ms_benchmark(path: Path) -> pd.DataFrame:
    """Read the benchmark CSV (``sample_id, peptide, n_flank, c_flank, hit, hla``)."""
    if not path.exists():
        raise GenomicsError(
            "mass-spec benchmark not found",
            source=str(path),
            fix="point --data at the shared data folder (../shared/data)",
        )
    df = pd.read_csv(path, usecols=["sample_id", "peptide", "hit", "hla"])
    df = df[df["peptide"].map(valid_peptide)].reset_index(drop=True)
    return df


def _em_deconvolution(
    x_idx: np.ndarray,
    sample_of_hit: np.ndarray,
    sample_alleles: list[np.ndarray],
    n_alleles: int,
    background: np.ndarray,
    n_iter: int,
    pseudocount: float,
    trash_logprior: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Soft assignment of hits to sample alleles. Returns (responsibilities (n, A), W (A,8,20))."""
    n, n_positions = x_idx.shape
    pos = np.arange(n_positions)
    log_bg = np.log(background)
    # initial log-odds from enrichment in samples with vs without the allele
    onehot = np.zeros((n, n_positions, 20))
    onehot[np.arange(n)[:, None], pos[None, :], x_idx] = 1.0
    carries = np.zeros((n, n_alleles), dtype=bool)
    for s, alle in enumerate(sample_alleles):
        carries[np.ix_(sample_of_hit == s, alle)] = True
    w = np.zeros((n_alleles, n_positions, 20))
    for a in range(n_alleles):
        with_a = onehot[carries[:, a]].sum(0) + pseudocount * background
        without = onehot[~carries[:, a]].sum(0) + pseudocount * background
        w[a] = np.log(with_a / with_a.sum(1, keepdims=True)) - np.log(
            without / without.sum(1, keepdims=True)
        )
    resp = np.zeros((n, n_alleles))
    groups = [(np.flatnonzero(sample_of_hit == s), alle) for s, alle in enumerate(sample_alleles)]
    for it in range(n_iter):
        resp[:] = 0.0
        for rows, alle in groups:
            if len(rows) == 0:
                continue
            sc = w[alle][:, pos[None, :], x_idx[rows]].sum(-1).T  # (n_rows, m)
            sc = np.concatenate([sc, np.full((len(rows), 1), trash_logprior)], axis=1)
            sc -= sc.max(1, keepdims=True)
            p = np.exp(sc)
            p /= p.sum(1, keepdims=True)
            resp[np.ix_(rows, alle)] = p[:, :-1]
        counts = np.einsum("na,npk->apk", resp, onehot) + pseudocount * background
        freq = counts / counts.sum(-1, keepdims=True)
        w = np.log(freq) - log_bg
        logger.debug("EM iteration %d done", it)
    return resp, w


def _train_ms_motifs(
    data_dir: Path, blind_peptides: set[str], n_iter: int, min_ligands: float
) -> tuple[list[str], np.ndarray, np.ndarray, dict]:
    """EM motifs from the MS benchmark. Returns (alleles, coef (A, 184), background, info)."""
    ms_path = data_dir / MS_BENCHMARK
    df = load_ms_benchmark(ms_path)
    df = df[~df["sample_id"].map(is_heldout_sample)]
    df = df[~df["peptide"].isin(blind_peptides)].reset_index(drop=True)
    samples = sorted(df["sample_id"].unique())
    genotype = df.groupby("sample_id")["hla"].first()
    alleles = sorted({a for s in samples for a in genotype[s].split()})
    a_index = {a: i for i, a in enumerate(alleles)}
    sample_alleles = [np.array(sorted({a_index[a] for a in genotype[s].split()})) for s in samples]
    s_index = {s: i for i, s in enumerate(samples)}
    motif = list(MOTIF_POSITIONS)

    decoys = df[df["hit"] == 0]
    hits = df[df["hit"] == 1].reset_index(drop=True)
    d_idx, _ = residue_indices(decoys["peptide"].tolist())
    d_idx = d_idx[:, motif]
    background = np.bincount(d_idx.ravel(), minlength=20).astype(float)
    background /= background.sum()
    h_idx, _ = residue_indices(hits["peptide"].tolist())
    sample_of_hit = hits["sample_id"].map(s_index).to_numpy()
    resp, pssm = _em_deconvolution(
        h_idx[:, motif],
        sample_of_hit,
        sample_alleles,
        len(alleles),
        background,
        n_iter=n_iter,
        pseudocount=20.0,
        trash_logprior=-2.0,
    )
    # alleles whose set of carrier samples equals another allele's cannot be told apart
    carriers = [
        frozenset(i for i, alle in enumerate(sample_alleles) if a in alle)
        for a in range(len(alleles))
    ]
    kept_idx, kept, n_lig, unresolved = [], [], [], []
    for a, name in enumerate(alleles):
        if sum(c == carriers[a] for c in carriers) > 1:
            unresolved.append(name)
            continue
        if resp[:, a].sum() < min_ligands:
            logger.info("skip %s: %.1f assigned ligands", name, resp[:, a].sum())
            continue
        kept_idx.append(a)
        kept.append(name)
        n_lig.append(round(float(resp[:, a].sum()), 3))
    coef = np.zeros((len(kept), N_POSITIONS, 20))
    coef[:, motif, :] = pssm[kept_idx]
    coef = np.concatenate([coef.reshape(len(kept), -1), np.zeros((len(kept), len(LENGTHS)))], 1)
    info = {
        "ms_benchmark": {"path": str(MS_BENCHMARK), "sha256": sha256_of(ms_path)},
        "heldout_rule": "zlib.crc32(sample_id) % 4 == 0",
        "n_training_samples": len(samples),
        "n_hits": int(len(hits)),
        "n_decoys": int(len(decoys)),
        "assigned_ligands": dict(zip(kept, n_lig, strict=True)),
        "unresolved_alleles": unresolved,
    }
    return kept, coef, background, info


def canonical_mhc(name: str) -> str | None:
    """Canonical allele name for a Kim 2014 ``mhc`` key (``HLA-A-0201``, ``Mamu-B-17``)."""
    for cand in (name, "*".join(name.rsplit("-", 1))):
        try:
            return normalise_allele(cand)
        except GenomicsError:
            continue
    return None


def affinity_target(log10_ic50_nm: np.ndarray) -> np.ndarray:
    """Regression target ``1 - log(IC50)/log(50,000)`` clipped to [0, 1] (MHCflurry's scale)."""
    return np.clip(1.0 - np.asarray(log10_ic50_nm) * np.log(10.0) / np.log(50_000.0), 0.0, 1.0)


def _train_affinity(
    bd: pd.DataFrame,
    blind: pd.DataFrame,
    exclude: str,
    alpha: float,
    min_measurements: int,
    group_fallback: bool = True,
) -> tuple[list[str], np.ndarray, np.ndarray, dict]:
    """Per-allele ridge regressions on BD2009. Returns (alleles, coef (A, 184), intercept, info)."""
    from sklearn.linear_model import Ridge

    bd = bd[bd["peptide"].map(valid_peptide)].copy()
    bd["allele"] = bd["mhc"].map({m: canonical_mhc(m) for m in bd["mhc"].unique()})
    n_read = len(bd)
    bd = bd[bd["allele"].notna()]
    blind_pairs = set(zip(blind["allele"], blind["sequence"], strict=True))
    in_pairs = [(a, p) in blind_pairs for a, p in zip(bd["allele"], bd["peptide"], strict=True)]
    bd = bd[~np.asarray(in_pairs, dtype=bool)]
    n_after_pairs = len(bd)
    if exclude == "peptides":
        bd = bd[~bd["peptide"].isin(set(blind["sequence"]))]
    bd = bd.sort_values(["allele", "peptide_length", "peptide"], kind="stable")
    groups = {a: g for a, g in bd.groupby("allele", sort=True)}
    counts = {a: len(g) for a, g in groups.items() if len(g) >= min_measurements}
    # an allele with too few measurements of its own borrows those of the best-measured allele
    # of its allele group (same gene and first field, e.g. HLA-A*26:01 for HLA-A*26:03)
    donors: dict[str, str] = {}
    if group_fallback:
        for allele in sorted(set(groups) - set(counts)):
            same_group = [a for a in counts if a.split(":")[0] == allele.split(":")[0] and ":" in a]
            if same_group:
                donors[allele] = max(same_group, key=lambda a: (counts[a], a))
    alleles, coefs, intercepts = [], [], []
    for allele in sorted(set(counts) | set(donors)):
        grp = groups[allele]
        if allele in donors:
            grp = pd.concat([grp, groups[donors[allele]]], ignore_index=True)
        x = one_hot(grp["peptide"].tolist()).astype(np.float64)
        y = affinity_target(grp["log10_ic50_nm"].to_numpy())
        fit = Ridge(alpha=alpha, solver="cholesky").fit(x, y)
        alleles.append(allele)
        coefs.append(fit.coef_)
        intercepts.append(float(fit.intercept_))
    info = {
        "rows_read": int(n_read),
        "rows_after_removing_blind_pairs": int(n_after_pairs),
        "rows_used": int(sum(counts.values()) + sum(len(groups[a]) for a in donors)),
        "blind_exclusion": exclude,
        "measurements_per_allele": {**counts, **{a: len(groups[a]) for a in donors}},
        "group_donor": donors,
    }
    return alleles, np.array(coefs), np.array(intercepts), info


def train_model(
    data_dir: str | Path,
    out_path: str | Path,
    *,
    bd2009_path: str | Path | None = None,
    seed: int = 20240607,
    n_iter: int = 25,
    min_ligands: float = 30.0,
    ridge_alpha: float = 2.0,
    min_measurements: int = 50,
    exclude_blind: str = "peptides",
    n_random_per_length: int = 10_000,
) -> dict:
    """Train the default predictor and write the ``.npz`` artifact.

    Alleles with at least ``min_measurements`` BD2009 affinities (or a group donor, see the
    module docstring) get a ridge regression of ``1 - log(IC50)/log(50,000)`` on the 184
    one-hot features (kind ``affinity``); the other alleles of the MS benchmark keep the EM
    motif of v1 (kind ``ms_motif``).

    Parameters
    ----------
    data_dir : the shared data folder holding ``mhc/`` (see its MANIFEST.md).
    out_path : where to write the artifact.
    bd2009_path : the BD2009 table (default: the packaged ``kim2014_bd2009.tsv.gz``).
    seed : seed for the random-peptide set (the fits themselves are deterministic).
    n_iter : EM iterations for the MS motifs.
    min_ligands : minimum summed responsibility for an MS-motif allele.
    ridge_alpha : L2 penalty of the per-allele ridge regressions.
    min_measurements : minimum BD2009 rows for an affinity model.
    exclude_blind : ``"peptides"`` drops every BLIND peptide from training (any allele);
        ``"pairs"`` drops only BLIND (allele, peptide) pairs.
    n_random_per_length : random peptides per length for percentile ranks.

    Returns
    -------
    The metadata dict stored in the artifact (data hashes, counts, settings).
    """
    if exclude_blind not in ("peptides", "pairs"):
        raise GenomicsError(
            f"exclude_blind must be 'peptides' or 'pairs', not {exclude_blind!r}",
            location="--exclude-blind",
            fix="use peptides (default) or pairs",
        )
    data_dir = Path(data_dir)
    bd_path = Path(bd2009_path) if bd2009_path is not None else default_bd2009_path()
    blind_path = data_dir / KIM_BLIND
    if not blind_path.exists():
        raise GenomicsError(
            "the Kim 2014 BLIND file is needed to keep the test set out of training",
            source=str(blind_path),
            fix="point --data at the shared data folder (../shared/data)",
        )
    blind = pd.read_csv(blind_path, sep="\t")
    blind["allele"] = blind["mhc"].map({m: canonical_mhc(m) for m in blind["mhc"].unique()})
    ms_alleles, ms_coef, background, ms_info = _train_ms_motifs(
        data_dir, set(blind["sequence"]), n_iter, min_ligands
    )
    aff_alleles, aff_coef, aff_intercept, aff_info = _train_affinity(
        load_bd2009(bd_path), blind, exclude_blind, ridge_alpha, min_measurements
    )
    motif_only = [a for a in ms_alleles if a not in set(aff_alleles)]
    ms_rows = [ms_alleles.index(a) for a in motif_only]
    alleles = aff_alleles + motif_only
    kind = np.array([KIND_AFFINITY] * len(aff_alleles) + [KIND_MS_MOTIF] * len(motif_only))
    coef = np.concatenate([aff_coef, ms_coef[ms_rows]], axis=0)
    intercept = np.concatenate([aff_intercept, np.zeros(len(motif_only))])
    order = np.argsort(alleles, kind="stable")
    alleles = [alleles[i] for i in order]
    kind, coef, intercept = kind[order], coef[order], intercept[order]

    rng = np.random.default_rng(seed)
    aa = np.array(list(AMINO_ACIDS))
    random_peptides = [
        "".join(rng.choice(aa, size=k, p=background))
        for k in LENGTHS
        for _ in range(n_random_per_length)
    ]
    x_rand = one_hot(random_peptides)
    coef32 = coef.astype(np.float32).astype(np.float64)
    icpt32 = intercept.astype(np.float32).astype(np.float64)
    rand_scores = x_rand.astype(np.float64) @ coef32.T + icpt32  # (R, A)
    quantiles = 1.0 - PERCENTILE_LEVELS / 100.0
    thresholds = np.quantile(rand_scores, quantiles, axis=0).T  # (A, L)

    metadata = {
        "model": MODEL_NAME,
        "training_data": {
            "bd2009": {
                "path": bd_path.name,
                "sha256": sha256_of(bd_path),
                "source": "openvax/mhcflurry@264931b1 experiments/benchmark_mhci_reliability/"
                "predictions/cv_rnd/smmpmbec_cpp (measured column only)",
                **aff_info,
            },
            **ms_info,
            "excluded_peptides_from": str(KIM_BLIND),
        },
        "settings": {
            "seed": seed,
            "n_iter": n_iter,
            "min_ligands": min_ligands,
            "ridge_alpha": ridge_alpha,
            "min_measurements": min_measurements,
            "n_random_per_length": n_random_per_length,
        },
        "kinds": {KIND_AFFINITY: len(aff_alleles), KIND_MS_MOTIF: len(motif_only)},
        "licence": "model weights: CC-BY-4.0 (derived from IEDB/Kim 2014 BD2009 affinities and "
        "Apache-2.0 MHCflurry benchmark data)",
    }
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as fh:
        np.savez_compressed(
            fh,
            alleles=np.array(alleles),
            kind=kind,
            coef=coef.astype(np.float32),
            intercept=intercept.astype(np.float32),
            percentile_levels=PERCENTILE_LEVELS.astype(np.float32),
            thresholds=thresholds.astype(np.float32),
            metadata=np.array(json.dumps(metadata, sort_keys=True)),
        )
    logger.info("wrote %s with %d alleles", out_path, len(alleles))
    return metadata


def main(argv: list[str] | None = None) -> None:
    """``python -m immunotwin.genomics.mhc.train``: rebuild the artifact (or the BD2009 table)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data", help="shared data folder")
    parser.add_argument("--out", default=None, help="artifact path (default: the packaged one)")
    parser.add_argument("--exclude-blind", default="peptides", choices=["peptides", "pairs"])
    parser.add_argument(
        "--extract-bd2009",
        metavar="GIT_DIR",
        default=None,
        help="rebuild the BD2009 table from a clone/mirror of openvax/mhcflurry and exit",
    )
    args = parser.parse_args(argv)
    if args.extract_bd2009:
        from immunotwin.genomics.mhc.bd2009 import extract_from_git

        extract_from_git(args.extract_bd2009, default_bd2009_path())
        return
    out = args.out or default_artifact_path()
    train_model(args.data, out, exclude_blind=args.exclude_blind)


if __name__ == "__main__":
    main()
