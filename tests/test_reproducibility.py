"""seed_everything makes runs repeatable; the library imports TensorFlow quietly."""

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import clustering_lib as cl


def _draws():
    return (random.random(), np.random.random(), float(tf.random.uniform([])))  # noqa: NPY002


def test_seed_everything_repeats_every_generator():
    assert cl.seed_everything(3) == 3
    first = _draws()
    cl.seed_everything(3)
    assert _draws() == first
    cl.seed_everything(4)
    assert _draws() != first


def test_seed_everything_enables_op_determinism():
    from tensorflow.python.framework import config as tf_config  # no public getter

    cl.seed_everything(0)
    assert tf_config.is_op_determinism_enabled()


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        cl.seed_everything(seed)


def test_importing_the_library_hides_tensorflow_start_up_lines():
    # TensorFlow 2.21 prints start-up lines from C++ at import even with the log level set.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", "import clustering_lib"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    assert result.stderr == ""


def _run(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter: thread pools can be sized only once per process."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


def test_seed_everything_fixes_the_thread_pools_before_the_first_operation():
    done = _run(
        "import clustering_lib as cl, tensorflow as tf\n"
        "cl.seed_everything(0, threads=3)\n"
        "pools = tf.config.threading\n"
        "print(pools.get_intra_op_parallelism_threads(),\n"
        "      pools.get_inter_op_parallelism_threads())\n"
        "cl.seed_everything(1, threads=3)  # again, as a notebook re-seeding: fine\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "3"]


def test_seed_everything_says_when_the_thread_pools_can_no_longer_change():
    done = _run(
        "import clustering_lib as cl, tensorflow as tf\n"
        "tf.constant(1.0) + 1.0\n"
        "cl.seed_everything(0, threads=3)\n"
    )
    assert done.returncode != 0
    assert "already run an operation" in done.stderr
    with pytest.raises(ValueError, match="threads must be None or a positive integer"):
        cl.seed_everything(0, threads=0)
