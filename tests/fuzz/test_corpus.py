"""Replay the regression corpus: every nasty input found by fuzzing is rejected cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from immunotwin.errors import ImmunotwinError
from immunotwin.genomics.hla import normalise_allele
from immunotwin.genomics.vcf import read_vep_vcf
from immunotwin.response.io import read_cohort, read_patient_json
from immunotwin.therapies.dose import parse_dose_text, parse_duration_days, parse_start_day
from immunotwin.trials.load import load_trial_spec

from ._support import check_error

CORPUS = Path(__file__).parent / "corpus"
STRINGS = json.loads((CORPUS / "strings.json").read_text(encoding="utf-8"))
PARSERS = {
    "dose": parse_dose_text,
    "duration": parse_duration_days,
    "start": parse_start_day,
    "hla": normalise_allele,
}


@pytest.mark.parametrize("path", sorted((CORPUS / "spec").iterdir()), ids=lambda p: p.name)
def test_spec_corpus(path):
    with pytest.raises(ImmunotwinError) as info:
        load_trial_spec(path)
    check_error(info.value, parser="trial spec")
    assert info.value.source == str(path)


@pytest.mark.parametrize("path", sorted((CORPUS / "vcf").iterdir()), ids=lambda p: p.name)
def test_vcf_corpus(path):
    with pytest.raises(ImmunotwinError) as info:
        read_vep_vcf(path)
    check_error(info.value, parser="VEP VCF")
    assert info.value.source == str(path)


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, texts in STRINGS.items() for t in texts])
def test_string_corpus(kind, text):
    with pytest.raises(ImmunotwinError) as info:
        PARSERS[kind](text)
    check_error(info.value, parser=kind, needs_source=False, needs_location=kind == "hla")


@pytest.mark.parametrize("path", sorted((CORPUS / "cohort").iterdir()), ids=lambda p: p.name)
def test_cohort_corpus(path):
    reader = read_patient_json if path.suffix == ".json" else read_cohort
    with pytest.raises(ImmunotwinError) as info:
        reader(path)
    check_error(info.value, parser="cohort")
    assert info.value.source == str(path)
