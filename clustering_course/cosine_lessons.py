"""Course helpers for notebook 08 (spherical k-means on text): a small real corpus.

- :func:`scipy_docstrings`: the docstrings of the public functions and classes of a few SciPy
  submodules, labelled by submodule. Real English with real stop words and a wide spread of
  lengths, available offline wherever SciPy is installed; the pinned SciPy version fixes the
  text, so the corpus is the same on every machine.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np

__all__ = ["SCIPY_SUBMODULES", "scipy_docstrings"]

SCIPY_SUBMODULES = ("linalg", "optimize", "signal", "stats")


def scipy_docstrings(
    submodules: tuple[str, ...] = SCIPY_SUBMODULES, min_words: int = 20
) -> tuple[list[str], np.ndarray, list[str]]:
    """Docstrings of the public functions and classes of ``scipy.<submodule>``.

    For every name in a submodule's ``__all__`` that is a Python function or class with a
    docstring of at least ``min_words`` words, the docstring becomes one document and the
    submodule its label. Objects exported by more than one of the submodules are dropped (their
    label would be ambiguous), and so is every docstring that occurs more than once (aliases,
    shared templates), so no document is repeated. Instances such as the distribution objects
    of ``scipy.stats`` (``norm``, ``gamma``...) are not functions or classes and are left out:
    their docstrings are generated from one template.

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
            if doc and len(doc.split()) >= min_words:
                found.setdefault(id(obj), []).append((submodule, name, doc))
    by_text: dict[str, list[tuple[str, str]]] = {}
    for places in found.values():
        if len({submodule for submodule, _, _ in places}) == 1:
            submodule, name, doc = places[0]
            by_text.setdefault(doc, []).append((submodule, name))
    kept = sorted((places[0], doc) for doc, places in by_text.items() if len(places) == 1)
    documents = [doc for _, doc in kept]
    labels = np.array([submodule for (submodule, _), _ in kept])
    names = [f"{submodule}.{name}" for (submodule, name), _ in kept]
    return documents, labels, names
