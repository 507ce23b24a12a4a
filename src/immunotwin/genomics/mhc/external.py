"""Adapters for optional external predictors (used only when the user has installed them).

None of these ships with immunotwin. Each adapter imports or locates its tool lazily and raises
:class:`~immunotwin.errors.GenomicsError` with install instructions when it is absent. Licences
differ: MHCflurry is Apache-2.0 (its downloadable weights have their own terms); NetMHCpan is
free for academic use only (DTU licence); mhcnuggets' weights carry a JHU academic,
non-commercial licence.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from immunotwin.errors import GenomicsError
from immunotwin.genomics.hla import normalise_allele

INSTALL_HINTS = {
    "mhcflurry": "pip install mhcflurry && mhcflurry-downloads fetch models_class1_presentation",
    "netmhcpan": "download NetMHCpan 4.1 from https://services.healthtech.dtu.dk (academic "
    "licence), install it and put `netMHCpan` on PATH",
    "mhcnuggets": "pip install mhcnuggets (weights: JHU academic non-commercial licence)",
}


def _missing(name: str, detail: str) -> GenomicsError:
    return GenomicsError(
        f"optional predictor {name!r} is not available: {detail}",
        fix=f"install it: {INSTALL_HINTS[name]}; or use the default "
        "predictor (--predictor immunotwin)",
    )


class MhcflurryPredictor:
    """MHCflurry 2.x affinity predictor (O'Donnell et al., Cell Syst 11:42, 2020)."""

    name = "mhcflurry"
    lengths = (8, 9, 10, 11, 12, 13, 14, 15)

    def __init__(self) -> None:
        try:
            from mhcflurry import Class1AffinityPredictor
        except ImportError as exc:
            raise _missing("mhcflurry", "the package is not installed") from exc
        try:
            self._predictor = Class1AffinityPredictor.load()
        except Exception as exc:  # noqa: BLE001 - models not downloaded
            raise _missing("mhcflurry", f"models could not be loaded ({exc})") from exc
        self.alleles = tuple(
            normalise_allele(a) for a in self._predictor.supported_alleles if a.startswith("HLA-")
        )

    def predict(self, peptides: Sequence[str], alleles: Sequence[str]) -> pd.DataFrame:
        canon = [normalise_allele(a) for a in alleles]
        df = self._predictor.predict_to_dataframe(peptides=list(peptides), alleles=canon)
        return pd.DataFrame(
            {
                "peptide": list(peptides),
                "allele": canon,
                "ic50_nm": df["prediction"].to_numpy(),
                "percentile_rank": df.get(
                    "prediction_percentile", pd.Series(np.nan, index=df.index)
                ).to_numpy(),
            }
        )


class NetMhcPanPredictor:
    """NetMHCpan 4.x via its command line (Reynisson et al., NAR 48:W449, 2020)."""

    name = "netmhcpan"
    lengths = (8, 9, 10, 11, 12, 13, 14)

    def __init__(self, executable: str = "netMHCpan") -> None:
        path = shutil.which(executable)
        if path is None:
            raise _missing("netmhcpan", f"{executable!r} not found on PATH")
        self._exe = path
        self.alleles: tuple[str, ...] = ()  # NetMHCpan is pan-allele

    def predict(self, peptides: Sequence[str], alleles: Sequence[str]) -> pd.DataFrame:
        frames = []
        canon = [normalise_allele(a) for a in alleles]
        pairs = pd.DataFrame({"peptide": list(peptides), "allele": canon})
        for allele, grp in pairs.groupby("allele", sort=False):
            with tempfile.TemporaryDirectory() as tmp:
                pep_file = Path(tmp) / "peptides.txt"
                xls = Path(tmp) / "out.xls"
                pep_file.write_text("\n".join(grp["peptide"]) + "\n")
                cmd = [
                    self._exe,
                    "-BA",
                    "-p",
                    str(pep_file),
                    "-xls",
                    "-xlsfile",
                    str(xls),
                    "-a",
                    allele.replace("*", ""),
                ]
                run = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if run.returncode != 0 or not xls.exists():
                    raise GenomicsError(
                        f"netMHCpan failed for {allele}: {run.stderr[-500:]}",
                        fix="check the NetMHCpan installation",
                    )
                out = pd.read_csv(xls, sep="\t", skiprows=1)
            frames.append(
                pd.DataFrame(
                    {
                        "peptide": out["Peptide"],
                        "allele": allele,
                        "ic50_nm": out["nM"],
                        "percentile_rank": out["BA_Rank"],
                    }
                )
            )
        merged = pd.concat(frames).drop_duplicates(["peptide", "allele"])
        return pairs.merge(merged, on=["peptide", "allele"], how="left")


class MhcnuggetsPredictor:
    """mhcnuggets 2.x (Shao et al., Cancer Immunol Res 8:396, 2020). Non-commercial weights."""

    name = "mhcnuggets"
    lengths = (8, 9, 10, 11, 12, 13, 14, 15)

    def __init__(self) -> None:
        try:
            from mhcnuggets.src.predict import predict as _predict
        except ImportError as exc:
            raise _missing("mhcnuggets", "the package is not installed") from exc
        self._predict = _predict
        self.alleles: tuple[str, ...] = ()

    def predict(self, peptides: Sequence[str], alleles: Sequence[str]) -> pd.DataFrame:
        canon = [normalise_allele(a) for a in alleles]
        pairs = pd.DataFrame({"peptide": list(peptides), "allele": canon})
        frames = []
        for allele, grp in pairs.groupby("allele", sort=False):
            with tempfile.TemporaryDirectory() as tmp:
                pep_file, out_file = Path(tmp) / "p.txt", Path(tmp) / "o.csv"
                pep_file.write_text("\n".join(grp["peptide"]) + "\n")
                self._predict(
                    class_="I",
                    peptides_path=str(pep_file),
                    mhc=allele.replace("*", ""),
                    output=str(out_file),
                )
                out = pd.read_csv(out_file)
            frames.append(
                pd.DataFrame(
                    {
                        "peptide": out["peptide"],
                        "allele": allele,
                        "ic50_nm": out["ic50"],
                        "percentile_rank": np.nan,
                    }
                )
            )
        merged = pd.concat(frames).drop_duplicates(["peptide", "allele"])
        return pairs.merge(merged, on=["peptide", "allele"], how="left")
