"""HLA allele strings and the ``mhc predict`` CSV: only GenomicsError escapes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from immunotwin.genomics.hla import AlleleSet, normalise_allele, normalise_alleles
from immunotwin.genomics.mhc_io import predict_csv

from ._mutate import NASTY_SCALARS, mutated_text
from ._support import fuzz_settings, run_parser

REAL_ALLELES = [
    "HLA-A*02:01",
    "A*02:01",
    "A0201",
    "HLA-A0201",
    "HLA-Cw*0702",
    "B*44:02",
    "HLA-A*02:01:01:02L",
    "HLA-A*24:09N",
    "HLA-DRB1*01:01",
    "H2-Kb",
    "A*02",
    "HLA-B*07:02",
    "C*07:02",
    "HLA-E*01:01",
]
ALLELE_TEXT = st.one_of(
    st.sampled_from(REAL_ALLELES),
    st.sampled_from(REAL_ALLELES).flatmap(lambda a: mutated_text(a, 2)),
    st.text(max_size=24),
    st.text(alphabet="HLA-ABCDEFGKQRSTWXYZwqNLSQ*:0123456789 ", max_size=20),
)
_TMP = Path(tempfile.mkdtemp(prefix="immunotwin-fuzz-mhc-"))


@fuzz_settings(100)
@given(ALLELE_TEXT)
def test_one_allele(text):
    out = run_parser("HLA allele", lambda: normalise_allele(text), needs_source=False)
    if isinstance(out, str):
        assert out.startswith(("HLA-", "H2-")) or "*" in out or ":" in out


@fuzz_settings(60)
@given(st.lists(ALLELE_TEXT, max_size=6), st.booleans())
def test_allele_lists(names, as_text):
    arg = ",".join(names) if as_text else names
    out = run_parser("HLA allele list", lambda: normalise_alleles(arg), needs_source=False)
    assert isinstance(out, AlleleSet)


PEPTIDES = ["SIINFEKL", "GILGFVFTL", "NLVPMVATV", "LLFGYPVYV", "KVAELVHFL"]


@st.composite
def mhc_csv(draw) -> str:
    rows = [[p, a] for p, a in zip(PEPTIDES, ["HLA-A*02:01"] * 5, strict=True)]
    header = ["peptide", "allele"]
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(("cell", "header", "row", "text")))
        if op == "cell" and rows:
            r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, 1))
            rows[r][c] = "" if (v := draw(NASTY_SCALARS)) is None else str(v)
        elif op == "header":
            header[draw(st.integers(0, 1))] = draw(
                st.sampled_from(["Peptide", "", "hla", "allele ", "peptide"])
            )
        elif op == "row" and rows:
            del rows[draw(st.integers(0, len(rows) - 1))]
    frame = pd.DataFrame(rows, columns=header)
    text = frame.to_csv(index=False)
    if draw(st.booleans()):
        text = draw(mutated_text(text, 2))
    return text


@fuzz_settings(40)
@given(mhc_csv())
def test_mhc_predict_csv(text):
    src = _TMP / "in.csv"
    src.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = run_parser("mhc predict CSV", lambda: predict_csv(src, _TMP / "out.csv"))
    if isinstance(out, int):
        result = pd.read_csv(_TMP / "out.csv")
        assert len(result) == out and (result["ic50_nm"] > 0).all()
    else:
        assert out.source == str(src)
