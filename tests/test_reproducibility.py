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
        "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['ONEDNN_MAX_CPU_ISA'])\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5", "0", "AVX2"]


_CONVOLUTION_GRADIENT = (
    "import numpy as np, tensorflow as tf\n"
    "rng = np.random.default_rng(0)\n"
    "x = tf.constant(rng.random((64, 12, 12, 8), dtype=np.float32))\n"
    "w = tf.constant(rng.normal(size=(3, 3, 8, 16)).astype(np.float32))\n"
    "with tf.GradientTape() as tape:\n"
    "    tape.watch(x)\n"
    "    y = tf.reduce_sum(tf.square(tf.nn.conv2d(x, w, 1, 'VALID')))\n"
    "print(tape.gradient(y, x).numpy().tobytes().hex()[:4000])\n"
)


def _convolution_gradient(set_up: bool, oneDNN_isa: str | None) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    environment["TF_ENABLE_ONEDNN_OPTS"] = "0"
    if oneDNN_isa is not None:
        environment["ONEDNN_MAX_CPU_ISA"] = oneDNN_isa
    prefix = "import clustering_course as course\ncourse.setup(0, threads=2)\n" if set_up else (
        "import tensorflow as tf\ntf.config.threading.set_intra_op_parallelism_threads(2)\n")
    done = subprocess.run([sys.executable, "-c", prefix + _CONVOLUTION_GRADIENT],
                          capture_output=True, text=True, timeout=300, env=environment)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as info:
            return " avx2" in info.read()
    except OSError:
        return False


@pytest.mark.subprocess
@pytest.mark.skipif(not _has_avx2(), reason="needs an x86 processor with AVX2")
def test_course_setup_gives_the_same_training_arithmetic_on_older_and_newer_processors():
    # A convolution's input gradient goes through oneDNN even with its graph rewrites off, and
    # oneDNN picks its code by the instruction set. Capping it at AVX emulates an older
    # processor: without the set-up call the gradient changes, with it it does not.
    assert _convolution_gradient(False, None) != _convolution_gradient(False, "AVX")
    assert _convolution_gradient(True, None) == _convolution_gradient(True, "AVX")


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


def test_numba_cache_dir_is_the_checkouts_build_folder():
    from pathlib import Path

    from clustering_course._setup import _numba_cache_dir

    cache = Path(_numba_cache_dir())
    assert cache.parts[-2:] == ("build", "numba-cache")
    assert (cache.parent.parent / "pyproject.toml").is_file()


@pytest.mark.subprocess
def test_course_setup_keeps_a_numba_cache_dir_that_is_set():
    code = ("import os; os.environ['NUMBA_CACHE_DIR'] = '/tmp/elsewhere'; "
            "import clustering_course as course; course.setup(0); "
            "print(os.environ['NUMBA_CACHE_DIR'])")
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "/tmp/elsewhere"


@pytest.mark.subprocess
def test_course_setup_compiles_numba_for_the_generic_target_unless_told_otherwise():
    # umap-learn's embedding depends on the instruction set numba compiles for.
    code = ("import os; import clustering_course as course; course.setup(0); "
            "import numba; print(numba.config.CPU_NAME, repr(numba.config.CPU_FEATURES))")
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "generic ''"
    code = ("import os; os.environ['NUMBA_CPU_NAME'] = 'host'; "
            "import clustering_course as course; course.setup(0); "
            "print(os.environ['NUMBA_CPU_NAME'])")
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "host"
