"""Notebook 08's course helpers: the SciPy docstring corpus and the spherical-step check."""

import json
import os
import re
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from clustering_course import text_lessons as tl
from clustering_course.cosine_lessons import SCIPY_SUBMODULES, WORD_PATTERN, scipy_docstrings
from clustering_course.exercises import ExerciseFailed

# --- the SciPy docstring corpus -------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    return scipy_docstrings()


def test_docstrings_are_labelled_and_unique(corpus):
    documents, labels, names = corpus
    assert len(documents) == len(labels) == len(names)
    assert len(set(documents)) == len(documents)
    assert len(set(names)) == len(names)
    assert set(labels.tolist()) == set(SCIPY_SUBMODULES)
    for submodule in SCIPY_SUBMODULES:
        assert np.sum(labels == submodule) >= 50, submodule
    assert all(name.split(".")[0] == label for name, label in zip(names, labels, strict=True))
    assert min(len(re.findall(WORD_PATTERN, document)) for document in documents) >= 20


def test_docstrings_leave_out_distribution_objects(corpus):
    _, _, names = corpus
    assert "stats.norm" not in names and "stats.gamma" not in names
    assert "stats.ttest_ind" in names and "linalg.svd" in names


def test_docstrings_are_repeatable(corpus):
    again = scipy_docstrings()
    assert again[0] == corpus[0] and again[2] == corpus[2]
    assert np.array_equal(again[1], corpus[1])


def test_docstrings_of_one_submodule():
    documents, labels, _ = scipy_docstrings(submodules=("linalg",), min_words=100)
    assert set(labels.tolist()) == {"linalg"}
    assert min(len(re.findall(WORD_PATTERN, document)) for document in documents) >= 100


_WORD_COUNTS = """
import json, re, sys
from collections import Counter
from clustering_course.cosine_lessons import WORD_PATTERN, scipy_docstrings
documents, labels, names = scipy_docstrings()
json.dump([names, [sorted(Counter(re.findall(WORD_PATTERN, d.lower())).items())
                   for d in documents]], sys.stdout)
"""


def test_word_counts_are_the_same_in_every_process(corpus):
    # some docstrings print random samples and sets: their words must not change
    documents, _, names = corpus
    here = [names, [sorted(Counter(re.findall(WORD_PATTERN, d.lower())).items())
                    for d in documents]]
    here = json.loads(json.dumps(here))
    environment = {**os.environ, "PYTHONHASHSEED": "1"}  # another set order, other samples
    output = subprocess.run([sys.executable, "-c", _WORD_COUNTS], env=environment,
                            capture_output=True, text=True, check=True).stdout
    assert json.loads(output) == here


# --- check_spherical_step: the long-row case --------------------------------------------------

def _spherical(X, centers, raw=False):
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    labels = np.argmax(unit @ centers.T, axis=1)
    new = centers.copy()
    for j in range(len(centers)):
        if np.any(labels == j):
            total = (X if raw else unit)[labels == j].sum(axis=0)
            new[j] = total / np.linalg.norm(total)
    return labels, new


def test_long_row_case_catches_raw_averaging():
    # averages the raw rows only when some row is long: only the long-row case and the word
    # counts can catch it, and the long-row case comes first
    def raw_when_long(X, centers):
        return _spherical(X, centers, raw=bool(np.linalg.norm(X, axis=1).max() > 40))

    with pytest.raises(ExerciseFailed) as info:
        tl.check_spherical_step(raw_when_long)
    message = str(info.value)
    assert "rows of very different lengths" in message and "averages the raw rows" in message


def test_long_row_shares_its_cluster_with_short_rows():
    seen = []

    def spy(X, centers):
        seen.append((X.copy(), centers.copy()))
        return _spherical(X, centers)

    tl.check_spherical_step(spy)
    X, centers = next((X, c) for X, c in seen if len(X) == 4 and X.shape[1] == 3)
    labels, _ = _spherical(X, centers)
    long_row = int(np.argmax(np.linalg.norm(X, axis=1)))
    assert np.sum(labels == labels[long_row]) >= 3
    raw_centers = _spherical(X, centers, raw=True)[1]
    assert np.abs(raw_centers - _spherical(X, centers)[1]).max() > 0.1
    similarities = (X / np.linalg.norm(X, axis=1, keepdims=True)) @ centers.T
    assert np.all(np.abs(similarities[:, 0] - similarities[:, 1]) > 0.1)


def test_no_case_hangs_on_a_tie():
    # an implementation that breaks ties towards the last centre passes as well
    def last_of_ties(X, centers):
        unit = X / np.linalg.norm(X, axis=1, keepdims=True)
        similarities = unit @ centers.T
        labels = len(centers) - 1 - np.argmax(similarities[:, ::-1], axis=1)
        new = centers.copy()
        for j in range(len(centers)):
            if np.any(labels == j):
                total = unit[labels == j].sum(axis=0)
                new[j] = total / np.linalg.norm(total)
        return labels, new

    tl.check_spherical_step(last_of_ties)
