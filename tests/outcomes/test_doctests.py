import doctest

import pytest

from immunotwin.outcomes import measurement, recist, survival, toxicity, visits


@pytest.mark.parametrize("module", [visits, measurement, recist, survival, toxicity])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
