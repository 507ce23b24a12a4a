import numpy as np
import pytest

from immunotwin.errors import InputError
from immunotwin.twin.regimens import (
    default_regimens,
    packaged_regimens,
    read_regimens,
    standard_of_care,
)


def test_packaged_table_has_sources_and_a_soc_per_example_setting():
    table = packaged_regimens()
    assert all(r.source for r in table)
    for tumour, line in [
        ("nsclc", 1),
        ("melanoma", 2),
        ("crc_msi_h", 1),
        ("dlbcl", 3),
        ("her2_breast", 2),
    ]:
        offered = default_regimens(tumour, line, table)
        assert standard_of_care(offered) is not None, (tumour, line)


def test_line_99_means_any_later_line():
    keys = [r.key for r in default_regimens("nsclc", 5)]
    assert "docetaxel" in keys and "nsclc_platinum_pemetrexed" not in keys


def test_user_file_unknown_drug(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("- key: x\n  name: x\n  items: [{drug: unobtainium, dose: 1 mg}]\n")
    with pytest.raises(InputError, match="unobtainium"):
        read_regimens(f)


def test_simulable_split_keeps_car_t(examples_dir):
    from immunotwin.population.calibration import ParameterSet
    from immunotwin.trials.engine import _model_and_kernel
    from immunotwin.twin.build import split_simulable
    from immunotwin.twin.ensemble import prior_ensemble
    from immunotwin.twin.patient import read_patient

    model, _ = _model_and_kernel()
    p = read_patient(examples_dir / "dlbcl_after_two_lines.json")
    e = prior_ensemble(p, model, 4, seed=0, calibration=ParameterSet.identity())
    ok, skipped = split_simulable(default_regimens("dlbcl", 3), e, model)
    keys = [r.key for r in ok]
    assert "dlbcl_r_gemox" in keys and "axicabtagene_ciloleucel" in keys
    assert all("not simulated" in s["reason"] for s in skipped)
    assert np.isfinite(e.parameters(model)).all()
