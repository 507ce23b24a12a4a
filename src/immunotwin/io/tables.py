"""Checks shared by every reader of user tables (CSV, Parquet)."""

from __future__ import annotations

import pandas as pd

from immunotwin.errors import InputError


def require_unique_columns(table: pd.DataFrame, source: str) -> None:
    """Refuse a table whose header repeats a column name (pandas would silently mangle it)."""
    dupes = sorted({str(c) for c in table.columns[table.columns.duplicated()]})
    if dupes:
        raise InputError(
            f"column name(s) {dupes} appear more than once",
            source=source,
            location="header",
            fix="give every column a unique name",
        )
