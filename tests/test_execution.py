"""The execution settings: one module, changed for a block of code by ``config_context``."""

from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits, make_blobs

import clustering_lib as cl
from clustering_lib.core import _execution as execution


def test_config_context_changes_settings_for_the_block_only():
    default = cl.get_config()
    with cl.config_context(mode="graph", block_rows=512) as inside:
        assert cl.get_config() is inside
        assert (inside.mode, inside.block_rows) == ("graph", 512)
        assert inside.block_bytes == default.block_bytes  # the rest stay as they are
        with cl.config_context(block_rows=64):
            assert (cl.get_config().mode, cl.get_config().block_rows) == ("graph", 64)
        assert cl.get_config().block_rows == 512
    assert cl.get_config() == default


def test_config_context_restores_the_settings_after_an_exception():
    default = cl.get_config()
    with pytest.raises(RuntimeError, match="inside"), cl.config_context(mode="eager"):
        raise RuntimeError("inside")
    assert cl.get_config() == default


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"block_size": 4}, TypeError, r"unknown settings \['block_size'\]"),
        ({"mode": "jit"}, ValueError, "mode must be None, 'eager', 'graph' or 'xla'"),
        ({"block_rows": 0}, ValueError, "block_rows must be an int >= 1 or None, got 0"),
        ({"threads": 2.5}, ValueError, "threads must be an int >= 1 or None"),
        ({"block_bytes": None}, ValueError, "block_bytes must be an int >= 1, got None"),
        ({"minibatch_xla_after_steps": -1}, ValueError, "must be an int >= 0"),
    ],
)
def test_config_context_rejects_bad_settings(changes, error, message):
    default = cl.get_config()
    with pytest.raises(error, match=message), cl.config_context(**changes):
        pass  # pragma: no cover
    assert cl.get_config() == default


def test_plan_follows_the_settings():
    assert execution.plan(1797, 64, 10).mode == "eager"
    with cl.config_context(eager_max_work=1000):
        plan = execution.plan(1797, 64, 10)
    assert plan.mode == "xla" and plan.padded_clusters == 12
    with cl.config_context(mode="graph", block_rows=100):
        assert execution.plan(1797, 64, 10) == execution.BlockPlan("graph", 100, 10)
    with cl.config_context(threads=1):
        one_thread = execution.plan(2**18, 8, 100).block_rows
    with cl.config_context(threads=4):
        four_threads = execution.plan(2**18, 8, 100).block_rows
    assert one_thread == 4 * four_threads  # one block per thread


@pytest.mark.parametrize(
    ("n_samples", "n_features", "block_rows"),
    [
        (2000, 2000, 1024),  # two blocks of 1,024 (976 valid): no thread waits longer than
        # with four of 512, in half the kernel calls
        (10_000, 784, 4096),  # 8,192 would leave one thread 8,192 rows, 4,096 leaves 5,904
        (2**20, 32, 2**18),  # at most block_bytes of points
    ],
)
def test_blocks_are_doubled_only_when_no_thread_finishes_later(n_samples, n_features,
                                                                block_rows):
    with cl.config_context(threads=2):
        assert execution.plan(n_samples, n_features, 20).block_rows == block_rows


def test_one_thread_pool_sized_by_the_setting():
    pool = execution.thread_pool()
    assert execution.thread_pool() is pool
    with cl.config_context(threads=3):
        assert execution.thread_count() == 3
        assert execution.thread_pool()._max_workers == 3
    assert execution.thread_pool()._max_workers == execution.thread_count()


def test_kernel_cache_is_bounded():
    @execution.kernel_cache
    def build(key):
        return object()

    first = build(0)
    assert build(0) is first
    for key in range(1, execution.KERNEL_CACHE_SIZE + 1):
        build(key)
    assert build.cache_info().currsize == execution.KERNEL_CACHE_SIZE
    assert build(0) is not first  # the least recently used kernel went first


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
def test_kmedoids_and_nmf_run_in_every_mode_with_the_same_results(mode):
    X, _ = make_blobs(200, centers=4, n_features=5, random_state=0)
    medoids = cl.KMedoids(4, random_state=0).fit(X)
    digits = load_digits().data[:300]
    nmf = cl.NMF(5, random_state=0, max_iter=50).fit(digits)
    with cl.config_context(mode=mode):
        medoids_mode = cl.KMedoids(4, random_state=0).fit(X)
        nmf_mode = cl.NMF(5, random_state=0, max_iter=50).fit(digits)
    np.testing.assert_array_equal(medoids_mode.medoid_indices_, medoids.medoid_indices_)
    np.testing.assert_array_equal(medoids_mode.labels_, medoids.labels_)
    np.testing.assert_allclose(nmf_mode.components_, nmf.components_, rtol=1e-3, atol=1e-6)
    assert nmf_mode.n_iter_ == nmf.n_iter_


def test_minibatch_steps_switch_to_xla_after_the_setting():
    assert not execution.minibatch_xla(0)
    assert execution.minibatch_xla(cl.get_config().minibatch_xla_after_steps)
    with cl.config_context(mode="graph"):
        assert not execution.minibatch_xla(10**6)
    with cl.config_context(mode="xla"):
        assert execution.minibatch_xla(0)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_flat_call_gives_the_function_s_results_and_traces_once(jit_compile):
    traces = []

    def scaled_sums(points, scale):
        traces.append(1)
        return tf.reduce_sum(points * scale, axis=0), tf.shape(points)[0]

    function = tf.function(scaled_sums, jit_compile=jit_compile, input_signature=[
        tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([], tf.float32)])
    call = execution.flat_call(function)
    points = np.arange(12, dtype=np.float32).reshape(4, 3)
    # NumPy arrays and Python numbers are converted to the signature's dtypes.
    sums, rows = call(points, 2)
    np.testing.assert_array_equal(sums.numpy(), 2 * points.sum(axis=0))
    assert rows.numpy() == 4
    # Once traced, the call does not go through tf.function's argument binding.
    with mock.patch.object(type(function), "__call__", side_effect=AssertionError):
        sums, rows = call(tf.constant(points[:2]), tf.constant(0.5))
    np.testing.assert_array_equal(sums.numpy(), 0.5 * points[:2].sum(axis=0))
    assert len(traces) == 1
    with pytest.raises(ValueError, match=r"shape \(4, 2\) does not fit the signature"):
        call(points[:, :2], 1.0)

    # A single output comes back as it is, not in a list.
    single = execution.flat_call(tf.function(
        lambda points: tf.reduce_sum(points), input_signature=[tf.TensorSpec(None, tf.float32)]))
    assert single(points).numpy() == points.sum()

    # Inside another tf.function (a tf.distribute step) the function itself is called.
    outer = tf.function(lambda values: call(values, 1.0)[0])
    np.testing.assert_array_equal(outer(points).numpy(), points.sum(axis=0))


def test_engine_kernels_take_the_direct_call():
    X, _ = make_blobs(n_samples=600, n_features=4, centers=3, random_state=0)
    with execution.config_context(mode="xla"):
        cl.KMeans(3, n_init=1, random_state=0).fit(X)  # traces the kernels once
        function_type = type(tf.function(lambda: 0))
        with mock.patch.object(function_type, "__call__", side_effect=AssertionError):
            # k-means++'s graphs, the block kernels and the final pass of predict.
            model = cl.KMeans(3, n_init=1, random_state=1).fit(X)
            model.predict(X[:100])
    # Debugging with functions run eagerly goes through tf.function again.
    tf.config.run_functions_eagerly(True)
    try:
        call = execution.flat_call(tf.function(
            lambda points: tf.reduce_sum(points), input_signature=[tf.TensorSpec(None)]))
        with mock.patch.object(function_type, "__call__", side_effect=RuntimeError("bound")):
            with pytest.raises(RuntimeError, match="bound"):
                call(np.ones(3, np.float32))
    finally:
        tf.config.run_functions_eagerly(False)
