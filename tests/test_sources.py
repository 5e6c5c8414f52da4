"""The one factory that turns every input into a source (``core/sources.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import tensorflow as tf

import clustering_lib as cl
from clustering_lib.core._passes import DataPasses
from clustering_lib.core._sources import (
    ArraySource,
    DatasetSource,
    MemmapSource,
    SparseSource,
    as_points,
    as_source,
    lloyd_passes,
    rows_as_array,
)
from clustering_lib.core._sparse import SparsePasses, SparseRows, as_sparse_rows
from clustering_lib.core._streaming import ArrayRows, DatasetRows

X = np.arange(24, dtype=np.float64).reshape(12, 2) % 7


@pytest.fixture
def memmap(tmp_path):
    values = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32,
                                       shape=X.shape)
    values[:] = X
    values.flush()
    return np.load(tmp_path / "x.npy", mmap_mode="r")


@pytest.fixture(scope="module")
def strategy():
    return tf.distribute.OneDeviceStrategy("/cpu:0")


def _dataset(values=X, batch=5):
    return tf.data.Dataset.from_tensor_slices(values).batch(batch)


# --------------------------------------------------------------------------- #
# Each kind of input -> its source
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("make", [
    lambda: X, lambda: X.tolist(), lambda: tf.constant(X), lambda: tf.Variable(X),
], ids=["ndarray", "list", "tensor", "variable"])
def test_dense_input_is_an_array_source(make):
    source = as_source(make())
    assert type(source) is ArraySource and source.kind == "dense"
    assert source.in_memory and source.random_access and source.centered
    assert not source.streamed
    assert isinstance(source.rows(), ArrayRows)


@pytest.mark.parametrize("make", [
    lambda: scipy.sparse.csr_matrix(X), lambda: scipy.sparse.csc_matrix(X),
    lambda: scipy.sparse.csr_array(X), lambda: tf.sparse.from_dense(X),
    lambda: as_sparse_rows(scipy.sparse.csr_matrix(X)),
], ids=["csr", "csc", "csr_array", "SparseTensor", "SparseRows"])
def test_sparse_input_is_a_sparse_source(make):
    source = as_source(make())
    assert type(source) is SparseSource and source.kind == "sparse"
    assert source.in_memory and source.random_access and not source.centered
    assert not source.streamed


def test_a_memory_map_is_read_in_passes(memmap):
    source = as_source(memmap, np.ones(len(X)))
    assert type(source) is MemmapSource and source.kind == "memmap"
    assert source.streamed and not source.in_memory and source.random_access
    rows = source.rows()
    assert isinstance(rows, ArrayRows) and rows.weights is not None
    # A slice of a memory map is a memory map too; a copy is in memory.
    assert type(as_source(memmap[:5])) is MemmapSource
    assert type(as_source(np.array(memmap))) is ArraySource


def test_a_dataset_is_read_batch_after_batch():
    source = as_source(_dataset())
    assert type(source) is DatasetSource and source.kind == "dataset"
    assert source.streamed and not source.in_memory and not source.random_access
    assert isinstance(source.rows(), DatasetRows)
    batches = list(source.batches(2, np.float32))
    assert all(batch.dtype == np.float32 for batch in batches)
    np.testing.assert_array_equal(np.concatenate(batches), X.astype(np.float32))


def test_a_strategy_makes_any_dense_source_streamed(strategy, memmap):
    for data in (X, tf.constant(X), memmap, _dataset()):
        source = as_source(data, strategy=strategy)
        assert source.streamed and source.strategy is strategy
    assert as_source(X, strategy=strategy).in_memory


# --------------------------------------------------------------------------- #
# Bad input: an error that names the argument
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("value", [None, "abc", b"abc", {"a": 1}, {1, 2}, 3.0, 7],
                         ids=["None", "str", "bytes", "dict", "set", "float", "int"])
def test_what_is_not_data_is_a_type_error_naming_the_argument(value):
    with pytest.raises(TypeError, match=r"^X must be an array-like"):
        as_source(value)
    with pytest.raises(TypeError, match=r"^points must be an array-like"):
        as_source(value, name="points")


def test_a_strategy_must_be_a_strategy():
    with pytest.raises(TypeError, match=r"^strategy must be a tf.distribute.Strategy or None, "
                                        "got str"):
        as_source(X, strategy="mirrored")


def test_a_dataset_takes_no_sample_weight():
    with pytest.raises(ValueError, match=r"^sample_weight is not supported when X is a "
                                         r"tf.data.Dataset"):
        as_source(_dataset(), np.ones(len(X)))


def test_sparse_data_takes_no_strategy(strategy):
    with pytest.raises(ValueError, match=r"^strategy is not supported for sparse X"):
        as_source(scipy.sparse.csr_matrix(X), strategy=strategy)


def test_batches_of_another_width_are_refused():
    with pytest.raises(ValueError, match="X has 2 features, but KMeans is expecting 3"):
        list(as_source(_dataset()).batches(3, np.float64, expected_by="KMeans"))


def test_host_data_is_what_scikit_learn_validates():
    assert type(as_source(tf.constant(X)).host_data()) is np.ndarray
    assert as_source(X).host_data() is X
    csr = as_source(tf.sparse.from_dense(X)).host_data()
    assert scipy.sparse.issparse(csr) and csr.format == "csr"
    np.testing.assert_array_equal(csr.toarray(), X)
    with pytest.raises(TypeError, match=r"^X must be held in memory here"):
        as_source(_dataset()).host_data()


@pytest.mark.parametrize("make", [lambda: cl.KMedoids(2), lambda: cl.NMF(2)],
                         ids=["KMedoids", "NMF"])
def test_every_estimator_reads_through_the_factory(make):
    with pytest.raises(TypeError, match=r"^X must be held in memory here"):
        make().fit(_dataset())
    with pytest.raises(TypeError, match=r"^X must be an array-like"):
        make().fit(None)
    fitted = make().fit(tf.constant(X))
    assert fitted.n_features_in_ == 2


# --------------------------------------------------------------------------- #
# Checked in-memory points
# --------------------------------------------------------------------------- #
def test_checked_points_get_their_engine():
    csr = scipy.sparse.csr_matrix(X)
    weights = np.ones(len(X))
    assert isinstance(lloyd_passes(csr, weights, None, 3), SparsePasses)
    assert isinstance(lloyd_passes(X, weights, X.mean(axis=0), 3), DataPasses)
    assert isinstance(as_points(csr), SparseRows)
    assert isinstance(as_points(X), tf.Tensor)
    np.testing.assert_array_equal(rows_as_array(csr, [3, 1]), X[[3, 1]])
    np.testing.assert_array_equal(rows_as_array(X, [3, 1]), X[[3, 1]])


# --------------------------------------------------------------------------- #
# The estimators: one path over every source
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_a_dataset_gives_what_the_array_gives(metric):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(300, 3)) + 5.0
    model = cl.KMeans(4, metric=metric, random_state=0).fit(data)
    dataset = _dataset(data, 64)
    np.testing.assert_array_equal(model.predict(dataset), model.predict(data))
    np.testing.assert_array_equal(model.transform(dataset), model.transform(data))
    assert model.score(dataset) == pytest.approx(model.score(data), rel=1e-12)


def test_estimators_refuse_what_they_cannot_read():
    model = cl.KMeans(2, n_init=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="sample_weight is not supported"):
        model.score(_dataset(), sample_weight=np.ones(len(X)))
    with pytest.raises(TypeError, match="X must be an array-like"):
        cl.KMeans(2).fit(None)
    with pytest.raises(TypeError, match="only fit accepts a tf.data.Dataset"):
        cl.MiniBatchKMeans(2, random_state=0).fit(X).transform(_dataset())


# --------------------------------------------------------------------------- #
# The engine's imports: no cycle
# --------------------------------------------------------------------------- #
def _imports() -> dict[str, set[str]]:
    """Each module of ``clustering_lib/core`` -> the core modules it imports (anywhere)."""
    folder = Path(cl.core.__file__).parent
    graph = {}
    for path in folder.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    names.add(node.module.split(".")[0])
                else:
                    names.update(alias.name for alias in node.names)
        graph[path.stem] = names
    return graph


def test_the_engine_imports_form_no_cycle():
    graph = _imports()
    state: dict[str, str] = {}

    def visit(module, path):
        state[module] = "open"
        for name in sorted(graph.get(module, ())):
            assert state.get(name) != "open", f"import cycle: {' -> '.join(path + [name])}"
            if name not in state:
                visit(name, path + [name])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
