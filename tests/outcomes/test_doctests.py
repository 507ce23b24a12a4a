import doctest

import pytest

from immunotwin.outcomes import recist, survival, visits


@pytest.mark.parametrize("module", [visits, recist, survival])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
