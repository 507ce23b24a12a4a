"""Train the default class I model from the MHCflurry multi-allelic mass-spec benchmark.

Method (immunotwin's own implementation):

1. **Split.** Samples are split by a CRC32 hash of ``sample_id`` (1 in 4 held out for the PPV
   benchmark); peptides that occur in the Kim 2014 BLIND set are removed from training so that
   BLIND stays a disjoint test set.
2. **Deconvolution (EM).** Each eluted ligand of a multi-allelic sample is assigned softly to
   one of the sample's alleles or to a flat "contaminant" component, with per-allele position
   weight matrices over P1-P4 and the last four residues (as in MixMHCp-style deconvolution;
   Bassani-Sternberg et al., PLoS Comput Biol 13:e1005725, 2017). Matrices are initialised
   from the enrichment of residues in samples that carry the allele over samples that do not.
3. **Model.** The converged log-odds matrices (motif frequency / decoy background, 8 x 20 per
   allele) are the model. Alleles whose carrier samples are exactly those of another allele
   cannot be separated by deconvolution and are left out (listed in the metadata), as are
   alleles with fewer than ``min_ligands`` assigned ligands. (A discriminative L2 logistic
   regression of ligands vs decoys was tried and did worse on BLIND: pooled AUC 0.75.)
4. **Ranks.** Scores of 10,000 random peptides per length 8-11, drawn (seeded) from the decoys'
   amino-acid frequencies, define percentile ranks.

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
from immunotwin.genomics.mhc.encoding import (
    AMINO_ACIDS,
    LENGTHS,
    N_FEATURES,
    N_POSITIONS,
    one_hot,
    residue_indices,
    valid_peptide,
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
    n = len(x_idx)
    pos = np.arange(N_POSITIONS)
    log_bg = np.log(background)
    # initial log-odds from enrichment in samples with vs without the allele
    onehot = np.zeros((n, N_POSITIONS, 20))
    onehot[np.arange(n)[:, None], pos[None, :], x_idx] = 1.0
    carries = np.zeros((n, n_alleles), dtype=bool)
    for s, alle in enumerate(sample_alleles):
        carries[np.ix_(sample_of_hit == s, alle)] = True
    w = np.zeros((n_alleles, N_POSITIONS, 20))
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


def train_model(
    data_dir: str | Path,
    out_path: str | Path,
    *,
    seed: int = 20240607,
    n_iter: int = 25,
    min_ligands: float = 30.0,
    n_random_per_length: int = 10_000,
) -> dict:
    """Train the default predictor and write the ``.npz`` artifact.

    Parameters
    ----------
    data_dir : the shared data folder holding ``mhc/`` (see its MANIFEST.md).
    out_path : where to write the artifact.
    seed : seed for the random-peptide set (the fit itself is deterministic).
    n_iter : EM iterations.
    min_ligands : minimum summed responsibility for an allele to get a model.
    n_random_per_length : random peptides per length for percentile ranks.

    Returns
    -------
    The metadata dict stored in the artifact (data hashes, counts, settings).
    """
    data_dir = Path(data_dir)
    ms_path = data_dir / MS_BENCHMARK
    blind_path = data_dir / KIM_BLIND
    df = load_ms_benchmark(ms_path)
    blind_peptides: set[str] = set()
    if blind_path.exists():
        blind_peptides = set(pd.read_csv(blind_path, sep="\t")["sequence"])
    df = df[~df["sample_id"].map(is_heldout_sample)]
    df = df[~df["peptide"].isin(blind_peptides)].reset_index(drop=True)
    samples = sorted(df["sample_id"].unique())
    genotype = df.groupby("sample_id")["hla"].first()
    alleles = sorted({a for s in samples for a in genotype[s].split()})
    a_index = {a: i for i, a in enumerate(alleles)}
    sample_alleles = [np.array(sorted({a_index[a] for a in genotype[s].split()})) for s in samples]
    s_index = {s: i for i, s in enumerate(samples)}

    decoys = df[df["hit"] == 0]
    hits = df[df["hit"] == 1].reset_index(drop=True)
    d_idx, _ = residue_indices(decoys["peptide"].tolist())
    background = np.bincount(d_idx.ravel(), minlength=20).astype(float)
    background /= background.sum()
    h_idx, _ = residue_indices(hits["peptide"].tolist())
    sample_of_hit = hits["sample_id"].map(s_index).to_numpy()
    resp, pssm = _em_deconvolution(
        h_idx,
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
    kept_idx, kept, n_pos, unresolved = [], [], [], []
    for a, name in enumerate(alleles):
        if sum(c == carriers[a] for c in carriers) > 1:
            unresolved.append(name)
            continue
        if resp[:, a].sum() < min_ligands:
            logger.info("skip %s: %.1f assigned ligands", name, resp[:, a].sum())
            continue
        kept_idx.append(a)
        kept.append(name)
        n_pos.append(round(float(resp[:, a].sum()), 3))
    coef = np.zeros((len(kept), N_FEATURES))
    coef[:, : N_POSITIONS * 20] = pssm[kept_idx].reshape(len(kept), -1)
    intercept = np.zeros(len(kept))

    rng = np.random.default_rng(seed)
    aa = np.array(list(AMINO_ACIDS))
    random_peptides = [
        "".join(rng.choice(aa, size=k, p=background))
        for k in LENGTHS
        for _ in range(n_random_per_length)
    ]
    x_rand = one_hot(random_peptides)
    rand_scores = x_rand.astype(np.float64) @ coef.T + intercept  # (R, A)
    quantiles = 1.0 - PERCENTILE_LEVELS / 100.0
    thresholds = np.quantile(rand_scores, quantiles, axis=0).T  # (A, L)

    metadata = {
        "model": "immunotwin-mhci-v1",
        "training_data": {
            "ms_benchmark": {"path": str(MS_BENCHMARK), "sha256": sha256_of(ms_path)},
            "excluded_peptides_from": str(KIM_BLIND) if blind_peptides else None,
            "heldout_rule": "zlib.crc32(sample_id) % 4 == 0",
            "n_training_samples": len(samples),
            "n_hits": int(len(hits)),
            "n_decoys": int(len(decoys)),
        },
        "settings": {
            "seed": seed,
            "n_iter": n_iter,
            "min_ligands": min_ligands,
            "n_random_per_length": n_random_per_length,
        },
        "assigned_ligands": dict(zip(kept, n_pos, strict=True)),
        "unresolved_alleles": unresolved,
        "licence": "model weights: CC-BY-4.0 (derived from Apache-2.0 MHCflurry benchmark data)",
    }
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as fh:
        np.savez_compressed(
            fh,
            alleles=np.array(kept),
            coef=coef.astype(np.float32),
            intercept=intercept.astype(np.float32),
            percentile_levels=PERCENTILE_LEVELS.astype(np.float32),
            thresholds=thresholds.astype(np.float32),
            metadata=np.array(json.dumps(metadata, sort_keys=True)),
        )
    logger.info("wrote %s with %d alleles", out_path, len(kept))
    return metadata
