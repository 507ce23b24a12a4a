"""VEP-annotated VCF: structure-aware mutations of real records (pVACseq HCC1395 test VCF)
are read or rejected with a GenomicsError naming the file, the line/field and the fix."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immunotwin.genomics.vcf import EFFECT_COLUMNS, VcfReadResult, read_vep_vcf

from ._mutate import NASTY_SCALARS, mutated_text
from ._support import fuzz_settings, run_parser, shared_data

N_RECORDS = 12
_TMP = Path(tempfile.mkdtemp(prefix="immunotwin-fuzz-vcf-"))


@pytest.fixture(scope="module")
def seed_vcf() -> tuple[list[str], list[str]]:
    """Header lines and the first records of the HCC1395 VEP-annotated test VCF."""
    path = shared_data("vcf", "pvacseq_test_hcc1395_grch37", "input.vcf")
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    records = [ln for ln in lines if ln and not ln.startswith("#")]
    return header, records[:N_RECORDS]


def _text_value(value) -> str:
    return "" if value is None else str(value)


@st.composite
def mutated_vcf(draw, header: list[str], records: list[str]) -> list[str]:
    header, records = list(header), list(records)
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(("column", "csq", "sample", "header", "line")))
        if target == "header" and header:
            i = draw(st.integers(0, len(header) - 1))
            op = draw(st.sampled_from(("delete", "mutate", "duplicate_sample")))
            if op == "delete":
                del header[i]
            elif op == "mutate":
                header[i] = draw(mutated_text(header[i], 2))
            else:
                header[-1] = header[-1] + "\t" + header[-1].split("\t")[-1]
            continue
        if not records:
            continue
        r = draw(st.integers(0, len(records) - 1))
        cols = records[r].split("\t")
        if target == "column":
            c = draw(st.integers(0, len(cols) - 1))
            op = draw(st.sampled_from(("replace", "delete", "insert")))
            if op == "replace":
                cols[c] = _text_value(draw(NASTY_SCALARS)).replace("\t", " ").replace("\n", " ")
            elif op == "delete":
                del cols[c]
            else:
                cols.insert(c, ".")
        elif target == "csq" and len(cols) > 7:
            entries = cols[7].split(",")
            e = draw(st.integers(0, len(entries) - 1))
            fields = entries[e].split("|")
            f = draw(st.integers(0, len(fields) - 1))
            op = draw(st.sampled_from(("replace", "delete", "add")))
            if op == "replace":
                fields[f] = draw(
                    st.one_of(
                        st.text(alphabet="ACDEFGHIKLMNPQRSTVWY*X/-&_0123456789", max_size=12),
                        NASTY_SCALARS.map(_text_value),
                    )
                )
                fields[f] = fields[f].translate(str.maketrans("", "", "\t\n\r|,;"))
            elif op == "delete":
                del fields[f]
            else:
                fields.insert(f, "")
            entries[e] = "|".join(fields)
            cols[7] = ",".join(entries)
        elif target == "sample" and len(cols) > 9:
            values = cols[9].split(":")
            v = draw(st.integers(0, len(values) - 1))
            values[v] = draw(
                st.sampled_from(
                    [
                        "",
                        ".",
                        "./.",
                        "0/0",
                        "1/1",
                        "0|1",
                        "2/3",
                        "-1",
                        "nan",
                        "1e999",
                        "a,b",
                        "5,",
                        ",",
                        "0,0",
                        "abc",
                        "1/1/1",
                        "4294967296",
                    ]
                )
            )
            cols[9] = ":".join(values)
        elif target == "line":
            op = draw(st.sampled_from(("delete", "duplicate", "truncate", "swap")))
            if op == "delete":
                del records[r]
                continue
            if op == "duplicate":
                records.insert(r, records[r])
                continue
            if op == "truncate":
                text = records[r]
                records[r] = text[: draw(st.integers(0, len(text)))]
                continue
            j = draw(st.integers(0, len(records) - 1))
            records[r], records[j] = records[j], records[r]
            continue
        records[r] = "\t".join(cols)
    return header + records


def _read(lines_or_bytes, name="in.vcf", **kw):
    path = _TMP / name
    if isinstance(lines_or_bytes, bytes):
        path.write_bytes(lines_or_bytes)
    else:
        path.write_text("\n".join(lines_or_bytes) + "\n", encoding="utf-8", errors="surrogatepass")
    out = run_parser("VEP VCF", lambda: read_vep_vcf(path, **kw))
    if isinstance(out, VcfReadResult):
        assert list(out.effects.columns) == list(EFFECT_COLUMNS)
        assert out.n_records >= len(out.effects["variant_key"].unique()) or out.effects.empty
    else:
        assert out.source == str(path)
    return out


def test_seed_vcf_reads(seed_vcf):
    header, records = seed_vcf
    out = _read(header + records)
    assert isinstance(out, VcfReadResult) and len(out.effects) > 0


@fuzz_settings(120)
@given(st.data())
def test_mutated_records(seed_vcf, data):
    header, records = seed_vcf
    _read(data.draw(mutated_vcf(header, records)), pass_only=data.draw(st.booleans()))


@fuzz_settings(40)
@given(st.data())
def test_mutated_text_and_bytes(seed_vcf, data):
    header, records = seed_vcf
    text = "\n".join(header + records[:3]) + "\n"
    raw = data.draw(mutated_text(text, 4)).encode("utf-8", errors="surrogatepass")
    if data.draw(st.booleans()):
        raw = gzip.compress(raw)
        if data.draw(st.booleans()):  # a truncated gzip stream
            raw = raw[: data.draw(st.integers(0, len(raw)))]
    _read(raw, name="in.vcf.gz" if raw[:2] == b"\x1f\x8b" else "in.vcf")
