"""The two real datasets shipped with Assay, for the demo, the docs and the tests.

Both come from the UCI Machine Learning Repository under CC BY 4.0 and are stored in the package
as zstd-compressed Parquet (``assay/data``), converted by ``scripts/build_datasets.py``. Their
columns, types and attribution are described in ``docs/datasets.md``.

- :func:`load_adult`: UCI Adult (Census Income), 32,561 rows. Becker, B. & Kohavi, R. (1996).
- :func:`load_german_credit`: UCI Statlog (German Credit Data), 1,000 rows. Hofmann, H. (1994).

The ``*_path`` functions return the file paths, for commands that take a file.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
import pathlib

import polars as pl

from assay.errors import NotFoundError

__all__ = [
    "ADULT_LABEL",
    "ADULT_POSITIVE_LABEL",
    "ADULT_SENSITIVE",
    "GERMAN_CREDIT_LABEL",
    "GERMAN_CREDIT_POSITIVE_LABEL",
    "GERMAN_CREDIT_SENSITIVE",
    "adult_path",
    "german_credit_path",
    "load_adult",
    "load_german_credit",
]

ADULT_LABEL = "income"
"""The label column of Adult: ``"<=50K"`` or ``">50K"``."""
ADULT_POSITIVE_LABEL = ">50K"
"""The label value of Adult counted as the positive (favourable) outcome."""
ADULT_SENSITIVE = ("sex", "race", "age")
"""The columns of Adult commonly audited as sensitive features."""

GERMAN_CREDIT_LABEL = "credit_risk"
"""The label column of German Credit: ``"good"`` or ``"bad"``."""
GERMAN_CREDIT_POSITIVE_LABEL = "good"
"""The label value of German Credit counted as the positive (favourable) outcome."""
GERMAN_CREDIT_SENSITIVE = ("sex", "age")
"""The columns of German Credit commonly audited as sensitive features."""

_ADULT_FILE = "adult.parquet"
_GERMAN_CREDIT_FILE = "german_credit.parquet"

_MISSING_DATASET_MESSAGE = (
    "The dataset file {name!r} is missing from the installed package (looked in {where}). "
    "Reinstall assay-rai, or in a source checkout rebuild it with "
    "`python scripts/build_datasets.py`."
)

# Files extracted from a zipped install live until the interpreter exits; extract each once.
_extraction = contextlib.ExitStack()
atexit.register(_extraction.close)
_extracted: dict[str, pathlib.Path] = {}


def _dataset_path(name: str) -> pathlib.Path:
    """Return the path of the shipped data file ``name``, or raise NotFoundError."""
    folder = importlib.resources.files("assay") / "data"
    resource = folder / name
    if not resource.is_file():
        raise NotFoundError(_MISSING_DATASET_MESSAGE.format(name=name, where=str(folder)))
    if isinstance(resource, pathlib.Path):
        return resource
    # Installed as a zip: Parquet readers and the CLI need a real file on disk.
    if name not in _extracted:
        _extracted[name] = _extraction.enter_context(importlib.resources.as_file(resource))
    return _extracted[name]


def adult_path() -> pathlib.Path:
    """Return the path of the shipped Adult Parquet file.

    Returns
    -------
    pathlib.Path
        The path of ``adult.parquet`` inside the installed package.

    Raises
    ------
    NotFoundError
        If the file is missing from the installation.

    Examples
    --------
    >>> from assay.datasets import adult_path
    >>> adult_path().name
    'adult.parquet'
    """
    return _dataset_path(_ADULT_FILE)


def german_credit_path() -> pathlib.Path:
    """Return the path of the shipped German Credit Parquet file.

    Returns
    -------
    pathlib.Path
        The path of ``german_credit.parquet`` inside the installed package.

    Raises
    ------
    NotFoundError
        If the file is missing from the installation.

    Examples
    --------
    >>> from assay.datasets import german_credit_path
    >>> german_credit_path().name
    'german_credit.parquet'
    """
    return _dataset_path(_GERMAN_CREDIT_FILE)


def load_adult() -> pl.DataFrame:
    """Load the UCI Adult (Census Income) dataset.

    An extract of the 1994 US census: 32,561 people, 14 attributes and the label ``income``
    (``"<=50K"`` or ``">50K"``). Integer columns are Int64, the others String; the ``?`` of the
    raw file are nulls (in ``workclass``, ``occupation`` and ``native_country``).

    Returns
    -------
    polars.DataFrame
        32,561 rows and the columns ``age``, ``workclass``, ``fnlwgt``, ``education``,
        ``education_num``, ``marital_status``, ``occupation``, ``relationship``, ``race``,
        ``sex``, ``capital_gain``, ``capital_loss``, ``hours_per_week``, ``native_country``,
        ``income``.

    Raises
    ------
    NotFoundError
        If the data file is missing from the installation.

    Notes
    -----
    Becker, B. & Kohavi, R. (1996). Adult [Dataset]. UCI Machine Learning Repository.
    CC BY 4.0.

    Examples
    --------
    >>> from assay.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.shape
    (32561, 15)
    >>> adult["income"].value_counts(sort=True).rows()
    [('<=50K', 24720), ('>50K', 7841)]
    """
    return pl.read_parquet(adult_path())


def load_german_credit() -> pl.DataFrame:
    """Load the UCI Statlog (German Credit Data) dataset.

    1,000 loan applicants, 20 attributes, a decoded ``sex`` column and the label
    ``credit_risk`` (``"good"`` or ``"bad"``). The 13 categorical attributes keep the UCI codes
    (``"A11"`` ... ``"A202"``; see ``docs/datasets.md`` for the codebook); ``sex`` (``"male"`` or
    ``"female"``) is decoded from ``personal_status_sex``. There are no missing values.

    Returns
    -------
    polars.DataFrame
        1,000 rows and 22 columns: the 20 attributes in UCI order, with ``sex`` right after
        ``personal_status_sex``, and ``credit_risk`` last.

    Raises
    ------
    NotFoundError
        If the data file is missing from the installation.

    Notes
    -----
    Hofmann, H. (1994). Statlog (German Credit Data) [Dataset]. UCI Machine Learning
    Repository. CC BY 4.0.

    Examples
    --------
    >>> from assay.datasets import load_german_credit
    >>> credit = load_german_credit()
    >>> credit.shape
    (1000, 22)
    >>> credit["credit_risk"].value_counts(sort=True).rows()
    [('good', 700), ('bad', 300)]
    """
    return pl.read_parquet(german_credit_path())
