"""seed_everything makes runs repeatable; the library imports TensorFlow quietly."""

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from clustering_course.reproducibility import seed_everything


def _draws():
    return (random.random(), np.random.random(), float(tf.random.uniform([])))  # noqa: NPY002


def test_seed_everything_repeats_every_generator():
    assert seed_everything(3) == 3
    first = _draws()
    seed_everything(3)
    assert _draws() == first
    seed_everything(4)
    assert _draws() != first


def test_seed_everything_enables_op_determinism():
    from tensorflow.python.framework import config as tf_config  # no public getter

    seed_everything(0)
    assert tf_config.is_op_determinism_enabled()


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        seed_everything(seed)


@pytest.mark.subprocess
def test_course_setup_hides_tensorflow_start_up_lines():
    # TensorFlow 2.21 prints start-up lines from C++ at import even with the log level set; the
    # library leaves that to TensorFlow, the notebooks' set-up call hides them.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", "import clustering_course; clustering_course.setup(0)"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    assert result.stderr == ""


def _run(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter: thread pools can be sized only once per process."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.subprocess
def test_seed_everything_fixes_the_thread_pools_before_the_first_operation():
    done = _run(
        "import tensorflow as tf\n"
        "from clustering_course.reproducibility import seed_everything\n"
        "seed_everything(0, threads=3)\n"
        "pools = tf.config.threading\n"
        "print(pools.get_intra_op_parallelism_threads(),\n"
        "      pools.get_inter_op_parallelism_threads())\n"
        "seed_everything(1, threads=3)  # again, as a notebook re-seeding: fine\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "3"]


@pytest.mark.subprocess
def test_seed_everything_says_when_the_thread_pools_can_no_longer_change():
    done = _run(
        "import tensorflow as tf\n"
        "from clustering_course.reproducibility import seed_everything\n"
        "tf.constant(1.0) + 1.0\n"
        "seed_everything(0, threads=3)\n"
    )
    assert done.returncode != 0
    assert "already run an operation" in done.stderr
    with pytest.raises(ValueError, match="threads must be None or a positive integer"):
        seed_everything(0, threads=0)


@pytest.mark.subprocess
def test_course_setup_switches_onednn_off_before_tensorflow_starts():
    done = _run(
        "import os, sys\n"
        "import clustering_course as course\n"
        "assert 'tensorflow' not in sys.modules  # importing the kit starts nothing\n"
        "print(course.setup(5))\n"
        "print(os.environ['TF_ENABLE_ONEDNN_OPTS'])\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5", "0"]


@pytest.mark.subprocess
def test_course_setup_refuses_to_run_after_tensorflow_started_with_other_settings():
    done = _run(
        "import os\n"
        "os.environ['TF_ENABLE_ONEDNN_OPTS'] = '1'\n"
        "import tensorflow\n"
        "import clustering_course as course\n"
        "course.setup(0)\n"
    )
    assert done.returncode != 0
    assert "must run before TensorFlow is imported" in done.stderr
