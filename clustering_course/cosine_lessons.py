"""Course helpers for notebook 08 (spherical k-means on text): a small real corpus.

- :func:`scipy_docstrings`: the docstrings of the public functions and classes of a few SciPy
  submodules, labelled by submodule. Real English with real stop words and a wide spread of
  lengths, available offline wherever SciPy is installed; the pinned SciPy version fixes the
  text.
- :data:`WORD_PATTERN`: a ``token_pattern`` for scikit-learn's vectorisers that keeps words of
  two or more letters. A few docstrings change from run to run: the examples of the new
  distribution classes of ``scipy.stats`` print random samples, and some deprecation notes
  list argument names in set order. With numbers left out, the word counts do not change.
"""

from __future__ import annotations

import importlib
import inspect
import re

import numpy as np

__all__ = ["SCIPY_SUBMODULES", "WORD_PATTERN", "scipy_docstrings"]

SCIPY_SUBMODULES = ("linalg", "optimize", "signal", "stats")
WORD_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"  # two or more letters, no digits


def _words(text: str) -> list[str]:
    return re.findall(WORD_PATTERN, text)


def scipy_docstrings(
    submodules: tuple[str, ...] = SCIPY_SUBMODULES, min_words: int = 20
) -> tuple[list[str], np.ndarray, list[str]]:
    """Docstrings of the public functions and classes of ``scipy.<submodule>``.

    For every name in a submodule's ``__all__`` that is a Python function or class with a
    docstring of at least ``min_words`` words (of two or more letters, see
    :data:`WORD_PATTERN`), the docstring becomes one document and the submodule its label.
    Objects exported by more than one of the submodules are dropped (their label would be
    ambiguous), and so is every docstring whose words occur in another one in the same numbers
    (aliases, shared templates), so no document is repeated. Instances such as the
    distribution objects of ``scipy.stats`` (``norm``, ``gamma``...) are not functions or
    classes and are left out: their docstrings are generated from one template.

    A few docstrings differ from run to run in their numbers and word order (see
    :data:`WORD_PATTERN`); their words, and so the documents kept, do not.

    Returns
    -------
    documents : list of str
    labels : ndarray of str, shape (n_documents,)
        The submodule of each document.
    names : list of str
        ``"submodule.name"`` of each document.
    """
    found: dict[int, list[tuple[str, str, str]]] = {}
    for submodule in submodules:
        module = importlib.import_module(f"scipy.{submodule}")
        for name in sorted(module.__all__):
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            doc = obj.__doc__
            if doc and len(_words(doc)) >= min_words:
                found.setdefault(id(obj), []).append((submodule, name, doc))
    # key on the sorted words, so that random numbers and set orders do not tell copies apart
    by_words: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
    for places in found.values():
        if len({submodule for submodule, _, _ in places}) == 1:
            by_words.setdefault(tuple(sorted(_words(places[0][2]))), []).append(places[0])
    kept = sorted(copies[0] for copies in by_words.values() if len(copies) == 1)
    documents = [doc for _, _, doc in kept]
    labels = np.array([submodule for submodule, _, _ in kept])
    names = [f"{submodule}.{name}" for submodule, name, _ in kept]
    return documents, labels, names
