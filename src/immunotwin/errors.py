"""One exception hierarchy for everything a user can get wrong.

Every error names *what* input was bad (file, line, field or column), *why*, and *how to fix it*,
so that a message alone is enough to repair the input. Library code raises these; the CLI turns
them into a one-paragraph message and exit code 2 instead of a traceback.
"""

from __future__ import annotations


class ImmunotwinError(Exception):
    """Base class of all errors immunotwin raises on purpose.

    Parameters
    ----------
    message : what is wrong.
    source : the file or object the bad input came from (a path, "trial spec", ...).
    location : where inside it: "line 12", "arms[0].regimen[1].dose", "column tmb".
    fix : what the user should do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        location: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.location = location
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.location) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class InputError(ImmunotwinError):
    """A user-supplied file or value is malformed (spec, patient, CSV, VCF, HLA string)."""


class SpecError(InputError):
    """A trial, regimen or patient specification fails validation."""


class DoseError(SpecError, ValueError):
    """A dose or schedule string cannot be parsed or is out of range.

    Also a ValueError, so that pydantic reports it with the field's location in a spec.
    """


class CatalogError(ImmunotwinError):
    """A name is not in a packaged catalogue (drugs, tumour types, parameters)."""


class UnitError(ImmunotwinError):
    """Units of a model quantity, rate law or dose are inconsistent."""


class ModelError(ImmunotwinError):
    """A model definition is inconsistent (unknown symbol, duplicate name, bad stoichiometry)."""


class SolverError(ImmunotwinError):
    """The numerical engine was asked to do something it cannot (bad tolerances, bad grid)."""


class GenomicsError(InputError):
    """A VCF, MAF, peptide or HLA input lacks what the genomics pipeline needs."""
