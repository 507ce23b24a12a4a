"""Throughput of the neoantigen pipeline: peptides scored per second, end to end.

Synthesises a 1,000-variant VCF by repeating the protein-altering records of the shared
pVACseq test VCF at shifted positions (same annotations), then times `run_neoantigens` with six
HLA alleles (VCF parsing, peptide generation, MT+WT binding, ranking, vaccine, writing).

    PYTHONPATH=src python bench/genomics.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ALLELES = "HLA-A*02:01,HLA-A*01:01,HLA-B*07:02,HLA-B*08:01,HLA-C*07:02,HLA-C*04:01"
PROTEIN_ALTERING = (
    "missense_variant",
    "inframe_insertion",
    "inframe_deletion",
    "frameshift_variant",
)


def synthesise_vcf(src: Path, dst: Path, n_variants: int = 1000) -> int:
    header, records = [], []
    for line in src.read_text().splitlines():
        if line.startswith("#"):
            header.append(line)
        elif any(term in line.split("\t")[7] for term in PROTEIN_ALTERING):
            records.append(line.split("\t"))
    out = []
    for i in range(n_variants):
        cols = list(records[i % len(records)])
        cols[1] = str(int(cols[1]) + 1000 * (i // len(records)))
        out.append("\t".join(cols))
    dst.write_text("\n".join(header + out) + "\n")
    return len(out)


def main() -> None:
    from immunotwin.genomics.pipeline import run_neoantigens

    parser = argparse.ArgumentParser(description=__doc__)
    repo = Path(__file__).resolve().parents[1]
    default = repo.parent / "shared" / "data"
    if not default.exists():
        default = repo.parent.parent / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    src = args.data / "vcf" / "pvacseq_test_hcc1395_grch37" / "input.vcf"
    with tempfile.TemporaryDirectory() as tmp:
        vcf = Path(tmp) / "bench_1000.vcf"
        n = synthesise_vcf(src, vcf)
        t0 = time.perf_counter()
        summary = run_neoantigens(vcf, ALLELES, Path(tmp) / "out")
        wall = time.perf_counter() - t0
    import numpy as np

    from immunotwin.genomics.mhc import ImmunotwinMhcI

    model = ImmunotwinMhcI()
    rng = np.random.default_rng(0)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    peps = ["".join(rng.choice(aa, size=9)) for _ in range(100_000)]
    alle = [ALLELES.split(",")[i % 6] for i in range(len(peps))]
    t1 = time.perf_counter()
    model.predict(peps, alle)
    raw = len(peps) / (time.perf_counter() - t1)
    rows = summary["n_epitope_rows"]
    print(f"variants: {n}, alleles: 6, epitope rows (MT peptide x allele): {rows}")
    print(f"wall: {wall:.2f} s, epitope rows per second end to end: {rows / wall:,.0f}")
    print(f"predictor alone, 100,000 distinct random 9-mer/allele pairs: {raw:,.0f} pairs/s")


if __name__ == "__main__":
    main()
