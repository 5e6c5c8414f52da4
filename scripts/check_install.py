"""Check a normal (non-editable) install: build the wheel, install it outside the checkout.

Usage::

    python scripts/check_install.py

Builds the distribution's wheel from this checkout, installs it with ``--no-deps`` into a new
virtual environment under ``build/install-check/`` whose dependencies (TensorFlow, scikit-learn,
...) come from the interpreter running this script (a ``.pth`` line naming its site-packages, so
nothing is downloaded), then, from a temporary folder and with ``python -I`` (no checkout, no
``PYTHONPATH`` on the path):

1. imports ``clustering_lib`` with matplotlib, IPython and nbval made unimportable, checks that it
   comes from the new environment with every subpackage, and fits and predicts with ``KMeans``;
2. imports ``clustering_course``, runs its set-up call and draws a figure.

Exit status 1, with the failing step's output, if anything fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = REPO_ROOT / "build" / "install-check"

LIBRARY_CHECK = r"""
import importlib.abc, sys

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"matplotlib", "IPython", "nbval", "clustering_course"}:
            raise ImportError(f"{name} is not installed here")
        return None

sys.meta_path.insert(0, Refuse())
import numpy as np
import clustering_lib as cl
import clustering_lib.core

assert cl.__file__.startswith(sys.prefix), cl.__file__
X = np.random.default_rng(0).normal(size=(300, 4)).astype(np.float32)
X[:150] += 6
model = cl.KMeans(2, random_state=0).fit(X)
assert sorted(np.bincount(model.labels_)) == [150, 150], np.bincount(model.labels_)
assert (model.predict(X[:7]) == model.labels_[:7]).all()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"matplotlib", "IPython", "nbval"})
assert not loaded, loaded
print("clustering_lib", cl.__version__, "from", cl.__file__)
"""

COURSE_CHECK = r"""
import sys
import clustering_course as course

assert "tensorflow" not in sys.modules
course.setup(0)
import clustering_lib as cl
from clustering_course.plotting import plot_clusters
import numpy as np

assert course.__file__.startswith(sys.prefix), course.__file__
X = np.random.default_rng(0).normal(size=(60, 2))
ax = plot_clusters(X, cl.KMeans(3, random_state=0).fit(X).labels_)
assert ax.get_title() is not None
print("clustering_course from", course.__file__)
"""


def run(command: list[str], cwd: Path | str = REPO_ROOT) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"FAILED: {' '.join(map(str, command))}\n{done.stdout}\n{done.stderr}")
        sys.exit(1)
    return done.stdout


def main() -> None:
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    dist = WORK_DIR / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(dist), str(REPO_ROOT)])
    (wheel,) = dist.glob("*.whl")
    venv = WORK_DIR / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = Path(run([str(python), "-c",
                        "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip())
    # The dependencies of the running interpreter; its .pth files (an editable install of this
    # checkout among them) are not processed from a path added this way.
    (purelib / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)])
    with tempfile.TemporaryDirectory() as elsewhere:
        env_free = [str(python), "-I", "-c"]
        print(run([*env_free, LIBRARY_CHECK], cwd=elsewhere).strip())
        print(run([*env_free, COURSE_CHECK], cwd=elsewhere).strip())
    print(f"install check passed: {wheel.name}")


if __name__ == "__main__":
    main()
