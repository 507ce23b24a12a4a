"""immunotwin: in silico cancer immunotherapy.

A mechanistic, literature-parameterised model of the cancer-immunity cycle and its therapies,
batched over virtual patients, with virtual trials, genomics and response prediction.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("immunotwin")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
