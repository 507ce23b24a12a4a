"""The Kim 2014 BD2009 class I binding-affinity training set, rebuilt from public files.

BD2009 (Kim et al., BMC Bioinformatics 15:241, 2014, doi:10.1186/1471-2105-15-241) is the IEDB
snapshot that SMMPMBEC, NetMHC and NetMHCpan were trained on for the BLIND benchmark. The raw
file is not retrievable here, but the authors' 5-fold cross-validation prediction files
(``predictions/cv_rnd/<method>/cv.bd2009.1_public_cv_rnd.<method>.<mhc>-<length>.<id>.xls``,
one per allele and length, each row ``sequence, meas, pred`` with ``meas = log10(IC50 nM)``)
cover every measurement once, because every row is in exactly one test fold. They were committed
to ``openvax/mhcflurry`` (Apache-2.0) under ``experiments/benchmark_mhci_reliability/`` and
deleted on 2016-09-15; they survive in its history (parent of commit ``81697fe0``).

Only the measured column is kept; the third-party predictions are discarded.
"""

from __future__ import annotations

import gzip
import io
import re
import subprocess
from pathlib import Path

import pandas as pd

from immunotwin.errors import GenomicsError

#: commit of openvax/mhcflurry that still holds the files (parent of 81697fe0, 2016-09-15)
SOURCE_COMMIT = "264931b16a1c8e70cf9a10c075f7e3b25f912b5b"
SOURCE_DIR = "experiments/benchmark_mhci_reliability/predictions/cv_rnd/smmpmbec_cpp"
_NAME = re.compile(r"cv\.bd2009\.1_public_cv_rnd\.[a-z_]+\.(?P<mhc>.+)-(?P<length>\d+)\.[\d.]+xls$")


def parse_prediction_file(name: str, text: str) -> pd.DataFrame:
    """Rows ``mhc, peptide_length, peptide, log10_ic50_nm`` of one Kim 2014 prediction file."""
    m = _NAME.search(name)
    if m is None:
        raise GenomicsError(
            "not a Kim 2014 cv_rnd prediction file name",
            source=name,
            fix="use the files under predictions/cv_rnd/<method>/",
        )
    rows = []
    started = False
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[:3] == ["sequence", "meas", "pred"]:
            started = True
            continue
        if started and len(parts) >= 2 and parts[0]:
            rows.append((parts[0].strip(), float(parts[1])))
    df = pd.DataFrame(rows, columns=["peptide", "log10_ic50_nm"])
    df.insert(0, "peptide_length", int(m.group("length")))
    df.insert(0, "mhc", m.group("mhc"))
    return df


def extract_from_git(git_dir: str | Path, out_path: str | Path) -> pd.DataFrame:
    """Rebuild BD2009 from a clone/mirror of ``openvax/mhcflurry`` and write ``out_path``.

    The output is a gzip TSV (``mhc, peptide_length, peptide, log10_ic50_nm``), sorted, with
    a zero gzip timestamp so that it is byte-for-byte reproducible.
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(git_dir), *args], check=True, capture_output=True, text=True
        ).stdout

    names = git("ls-tree", "--name-only", f"{SOURCE_COMMIT}:{SOURCE_DIR}").split()
    frames = [
        parse_prediction_file(n, git("show", f"{SOURCE_COMMIT}:{SOURCE_DIR}/{n}")) for n in names
    ]
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values(["mhc", "peptide_length", "peptide"], kind="stable").reset_index(drop=True)
    write_bd2009(df, out_path)
    return df


def write_bd2009(df: pd.DataFrame, out_path: str | Path) -> None:
    """Write the table as a reproducible gzip TSV (mtime 0)."""
    buf = io.StringIO()
    df.to_csv(buf, sep="\t", index=False, float_format="%.3f")
    with (
        open(out_path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(buf.getvalue().encode())


def load_bd2009(path: str | Path) -> pd.DataFrame:
    """Read the table written by :func:`extract_from_git`."""
    path = Path(path)
    if not path.exists():
        raise GenomicsError(
            "BD2009 training table not found",
            source=str(path),
            fix="rebuild it with `python -m immunotwin.genomics.mhc.train --extract-bd2009 GIT`",
        )
    return pd.read_csv(path, sep="\t")
