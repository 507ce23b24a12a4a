"""docs/errors.md documents every ImmunotwinError subclass."""

from __future__ import annotations

import immunotwin.errors as errors

from ._support import repo_root


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_class_is_documented():
    text = (repo_root() / "docs" / "errors.md").read_text(encoding="utf-8")
    classes = {errors.ImmunotwinError, *_subclasses(errors.ImmunotwinError)}
    public = {
        c
        for c in classes
        if c.__module__.startswith("immunotwin") and not c.__name__.startswith("_")
    }
    assert len(public) >= 9
    missing = sorted(c.__name__ for c in public if f"`{c.__name__}`" not in text)
    assert not missing, f"docs/errors.md does not document {missing}"
