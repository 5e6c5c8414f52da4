"""Data sets used by the notebooks: MNIST, scikit-learn's digits and sample images.

:func:`load_mnist` works offline whenever a copy of MNIST is on disk. It looks, in order,
in the ``data_dir`` argument, the folder named by the ``MNIST_DIR`` environment variable,
the repository's ``data/mnist/`` folder and Keras's download cache, and downloads with
Keras only when none of them has the requested split. Each folder may hold the original
IDX files (gzip-compressed or not) or Keras's ``mnist.npz``. Files are checked (sha256
where known, IDX headers otherwise) and parsed arrays are memoised per file.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "load_digits",
    "load_mnist",
    "load_sample_image",
    "make_blobs_memmap",
    "make_topic_documents",
]

def _repository_mnist_dir() -> Path | None:
    """``data/mnist`` of the repository this package runs from, or None once installed.

    An installed package sits in ``site-packages``, which is nobody's repository: only a
    checkout (the folder above the package holds this project's ``pyproject.toml`` and
    ``data/``) has a data folder of its own.
    """
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root / "data" / "mnist"
    return None


#: The repository's own data folder (ignored by git), None outside a checkout; tests
#: monkeypatch it.
_REPO_MNIST_DIR: Path | None = _repository_mnist_dir()

#: Keras's dataset cache. ``None`` means ``$KERAS_HOME/datasets`` (default
#: ``~/.keras/datasets``), resolved at call time; tests monkeypatch it.
_KERAS_CACHE_DIR: Path | None = None

#: sha256 of the published files, by file name; other files get structural checks only.
_KNOWN_SHA256: dict[str, str] = {
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}

_SPLITS = ("train", "test")
_IDX_PREFIX = {"train": "train", "test": "t10k"}
_NPZ_NAME = "mnist.npz"
_IMAGE_MAGIC = 2051
_LABEL_MAGIC = 2049
_IMAGE_SIDE = 28
_IMAGE_HEADER = struct.Struct(">IIII")  # magic, count, rows, columns
_LABEL_HEADER = struct.Struct(">II")  # magic, count
_N_DIGIT_CLASSES = 10

_SAMPLE_IMAGE_FILES = {"china": "china.jpg", "flower": "flower.jpg"}


def _idx_names(split: str) -> tuple[str, str]:
    """Gzip-compressed IDX file names (images, labels) of ``split``."""
    prefix = _IDX_PREFIX[split]
    return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"


def _keras_cache_dir() -> Path:
    """Folder where ``keras.datasets.mnist.load_data`` keeps ``mnist.npz``."""
    if _KERAS_CACHE_DIR is not None:
        return Path(_KERAS_CACHE_DIR)
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home).expanduser() / "datasets"


def _corrupt_file_error(path: Path, problem: str) -> ValueError:
    """A ValueError naming ``path`` as corrupt, with instructions to replace it."""
    return ValueError(
        f"MNIST file {path} is corrupt or truncated ({problem}). Delete it and download it "
        "again, or copy it again from its source."
    )


def _verify_known_checksum(path: Path, content: bytes) -> None:
    """Compare the sha256 of ``content`` with the published value for ``path.name``, if any."""
    expected = _KNOWN_SHA256.get(path.name)
    if expected is None:
        return
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        raise _corrupt_file_error(path, f"sha256 is {actual}, expected {expected}")


def _read_idx_bytes(path: Path) -> bytes:
    """Read an IDX file, checking its checksum and decompressing it if it is gzipped."""
    content = path.read_bytes()
    _verify_known_checksum(path, content)
    if path.suffix != ".gz":
        return content
    try:
        return gzip.decompress(content)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise _corrupt_file_error(path, f"gzip could not decompress it: {error}") from error


def _parse_idx_images(path: Path) -> np.ndarray:
    """Parse an IDX3 image file into a (count, 28, 28) uint8 array."""
    content = _read_idx_bytes(path)
    if len(content) < _IMAGE_HEADER.size:
        raise _corrupt_file_error(path, f"only {len(content)} bytes, shorter than the header")
    magic, count, n_rows, n_columns = _IMAGE_HEADER.unpack_from(content)
    if magic != _IMAGE_MAGIC:
        raise _corrupt_file_error(
            path, f"magic number {magic}, expected {_IMAGE_MAGIC} for an IDX image file"
        )
    if (n_rows, n_columns) != (_IMAGE_SIDE, _IMAGE_SIDE):
        raise _corrupt_file_error(path, f"header says {n_rows}x{n_columns} images, expected 28x28")
    payload_length = len(content) - _IMAGE_HEADER.size
    if payload_length != count * n_rows * n_columns:
        raise _corrupt_file_error(
            path, f"{payload_length} pixel bytes, header promises {count} images of 28x28"
        )
    pixels = np.frombuffer(content, dtype=np.uint8, offset=_IMAGE_HEADER.size)
    return pixels.reshape(count, n_rows, n_columns)


def _parse_idx_labels(path: Path) -> np.ndarray:
    """Parse an IDX1 label file into a (count,) uint8 array."""
    content = _read_idx_bytes(path)
    if len(content) < _LABEL_HEADER.size:
        raise _corrupt_file_error(path, f"only {len(content)} bytes, shorter than the header")
    magic, count = _LABEL_HEADER.unpack_from(content)
    if magic != _LABEL_MAGIC:
        raise _corrupt_file_error(
            path, f"magic number {magic}, expected {_LABEL_MAGIC} for an IDX label file"
        )
    payload_length = len(content) - _LABEL_HEADER.size
    if payload_length != count:
        raise _corrupt_file_error(path, f"{payload_length} label bytes, header promises {count}")
    return np.frombuffer(content, dtype=np.uint8, offset=_LABEL_HEADER.size)


def _as_uint8(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """Return ``array`` (entry ``key`` of ``path``) as uint8, refusing non-byte data."""
    byte_range_ok = array.size == 0 or (array.min() >= 0 and array.max() <= 255)
    if not np.issubdtype(array.dtype, np.integer) or not byte_range_ok:
        raise _corrupt_file_error(path, f"array {key!r} is not 8-bit unsigned data")
    return array.astype(np.uint8, copy=False)


def _parse_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one split of Keras's ``mnist.npz``."""
    _verify_known_checksum(path, path.read_bytes())
    image_key, label_key = f"x_{split}", f"y_{split}"
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing_keys = sorted({image_key, label_key} - set(archive.files))
            if missing_keys:
                raise _corrupt_file_error(
                    path, f"it lacks {missing_keys}; it holds {sorted(archive.files)}"
                )
            images, labels = archive[image_key], archive[label_key]
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        raise _corrupt_file_error(path, f"it could not be read as .npz: {error}") from error
    images, labels = _as_uint8(path, image_key, images), _as_uint8(path, label_key, labels)
    if images.ndim != 3 or images.shape[1:] != (_IMAGE_SIDE, _IMAGE_SIDE):
        raise _corrupt_file_error(
            path, f"{image_key} has shape {images.shape}, expected (N, 28, 28)"
        )
    if labels.ndim != 1:
        raise _corrupt_file_error(path, f"{label_key} has shape {labels.shape}, expected (N,)")
    return images, labels


def _check_split_arrays(images: np.ndarray, labels: np.ndarray, source: str) -> None:
    """Check that images and labels agree in count and that labels are digits."""
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST data in {source} is inconsistent: {images.shape[0]} images but "
            f"{labels.shape[0]} labels. Replace the files with a complete copy."
        )
    if labels.size and labels.max() >= _N_DIGIT_CLASSES:
        raise ValueError(
            f"MNIST labels in {source} contain the value {labels.max()}; digits are 0-9. "
            "Replace the files with a complete copy."
        )


@functools.lru_cache(maxsize=8)
def _load_files_cached(
    file_signatures: tuple[tuple[str, int, int], ...], split: str
) -> tuple[np.ndarray, np.ndarray]:
    """Parse and check one split; memoised on (absolute path, mtime, size) of its files."""
    paths = [Path(path_text) for path_text, _, _ in file_signatures]
    if len(paths) == 1:
        images, labels = _parse_npz(paths[0], split)
        source = str(paths[0])
    else:
        images, labels = _parse_idx_images(paths[0]), _parse_idx_labels(paths[1])
        source = f"{paths[0]} and {paths[1]}"
    _check_split_arrays(images, labels, source)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _find_split_files(folder: Path, split: str) -> list[Path] | None:
    """Files holding ``split`` in ``folder``: [images, labels] IDX, [mnist.npz], or None."""
    if not folder.is_dir():
        return None
    idx_paths: list[Path] = []
    for gz_name in _idx_names(split):
        for candidate in (folder / gz_name, folder / gz_name.removesuffix(".gz")):
            if candidate.is_file():
                idx_paths.append(candidate)
                break
    if len(idx_paths) == 2:
        return idx_paths
    if idx_paths:
        present = idx_paths[0].name
        raise FileNotFoundError(
            f"{folder} holds {present} but not its partner for the {split!r} split; "
            f"expected both {' and '.join(_idx_names(split))} (or the names without .gz)."
        )
    npz_path = folder / _NPZ_NAME
    return [npz_path] if npz_path.is_file() else None


def _load_from_folder(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Copies of the ``split`` arrays stored in ``folder``, or None if it has none."""
    paths = _find_split_files(folder, split)
    if paths is None:
        return None
    signatures = []
    for path in paths:
        # Keep the name as found (a symlink's target may be named differently): the
        # checksum table and the .gz test go by this name. stat() follows symlinks.
        absolute_path = os.path.abspath(path)
        file_status = os.stat(absolute_path)
        signatures.append((absolute_path, file_status.st_mtime_ns, file_status.st_size))
    images, labels = _load_files_cached(tuple(signatures), split)
    return images.copy(), labels.copy()


def _download_with_keras(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Download MNIST with Keras (into its cache) and return the requested split."""
    import keras  # imported here so that offline use never loads TensorFlow

    train_split, test_split = keras.datasets.mnist.load_data()
    images, labels = train_split if split == "train" else test_split
    images = np.asarray(images, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.uint8)
    _check_split_arrays(images, labels, "the Keras download")
    return images, labels


def _where_to_put_files(split: str) -> str:
    """Instructions naming the files to copy and the folders to copy them to."""
    images_name, labels_name = _idx_names(split)
    return (
        f"To use a local copy, put {images_name} and {labels_name} (the original IDX files), "
        f"or Keras's {_NPZ_NAME}, into "
        + (f"{_REPO_MNIST_DIR}{os.sep} or into " if _REPO_MNIST_DIR is not None else "")
        + "a folder named by the MNIST_DIR environment variable, or pass data_dir=... to "
        "load_mnist."
    )


def load_mnist(
    split: str = "test", data_dir: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST from a local copy, downloading it with Keras as a last resort.

    Parameters
    ----------
    split : {"train", "test"}, default "test"
        Which split to load (60,000 or 10,000 digits).
    data_dir : str or path-like, optional
        Folder holding the IDX files (``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
        ``t10k-labels-idx1-ubyte.gz``, optionally without ``.gz``) or ``mnist.npz``.
        When given, only this folder is used. Otherwise the loader tries ``$MNIST_DIR``,
        the repository's ``data/mnist/``, Keras's cache (``$KERAS_HOME/datasets``,
        default ``~/.keras/datasets``) and finally ``keras.datasets.mnist.load_data()``.

    Returns
    -------
    images : ndarray of uint8, shape (n, 28, 28)
    labels : ndarray of uint8, shape (n,)
        Fresh copies; parsed files are memoised, so repeated calls are cheap.

    Raises
    ------
    ValueError
        If ``split`` is unknown or a file is corrupt or truncated.
    FileNotFoundError
        If ``data_dir`` lacks the files, or no copy exists and the download fails.
    """
    if not isinstance(split, str):
        raise TypeError(f"split must be a string, 'train' or 'test', got {type(split).__name__}")
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")

    if data_dir is not None:
        if not isinstance(data_dir, str | os.PathLike):
            raise TypeError(
                f"data_dir must be a str or path-like folder, got {type(data_dir).__name__}"
            )
        folder = Path(data_dir).expanduser()
        arrays = _load_from_folder(folder, split)
        if arrays is None:
            images_name, labels_name = _idx_names(split)
            state = "holds" if folder.is_dir() else "does not exist, so it holds"
            raise FileNotFoundError(
                f"data_dir {folder} {state} no MNIST {split!r} split: expected {images_name} "
                f"and {labels_name} (or the same names without .gz), or {_NPZ_NAME}."
            )
        return arrays

    places_tried: list[str] = []
    env_folder = os.environ.get("MNIST_DIR")
    candidate_folders: list[tuple[Path, str]] = []
    if env_folder:
        candidate_folders.append((Path(env_folder).expanduser(), "MNIST_DIR"))
    else:
        places_tried.append("MNIST_DIR environment variable (not set)")
    if _REPO_MNIST_DIR is not None:
        candidate_folders.append((_REPO_MNIST_DIR, "repository data folder"))
    candidate_folders.append((_keras_cache_dir(), "Keras cache"))
    for folder, description in candidate_folders:
        arrays = _load_from_folder(folder, split)
        if arrays is not None:
            return arrays
        places_tried.append(f"{folder} ({description})")

    try:
        return _download_with_keras(split)
    except Exception as error:
        looked_in = "\n".join(f"  - {place}" for place in places_tried)
        raise FileNotFoundError(
            f"MNIST ({split!r} split) was not found on disk and the download with "
            f"keras.datasets.mnist.load_data() failed ({type(error).__name__}: {error}).\n"
            f"Looked in:\n{looked_in}\n{_where_to_put_files(split)}"
        ) from error


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's 8x8 handwritten digits.

    Returns
    -------
    data : ndarray of float64, shape (1797, 64)
        Flattened images with pixel values 0-16.
    target : ndarray of int, shape (1797,)
        Digit labels 0-9.
    """
    from sklearn.datasets import load_digits as sklearn_load_digits

    data, target = sklearn_load_digits(return_X_y=True)
    return data, target


def load_sample_image(name: str) -> np.ndarray:
    """Load one of scikit-learn's sample photographs.

    Parameters
    ----------
    name : {"china", "china.jpg", "flower", "flower.jpg"}
        Which image to load.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)
        The RGB image (427 x 640 for both images).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    file_name = _SAMPLE_IMAGE_FILES.get(name.removesuffix(".jpg"))
    if file_name is None:
        valid_names = [alias for stem in _SAMPLE_IMAGE_FILES for alias in (stem, f"{stem}.jpg")]
        raise ValueError(f"name must be one of {valid_names}, got {name!r}")
    from sklearn.datasets import load_sample_image as sklearn_load_sample_image

    return np.asarray(sklearn_load_sample_image(file_name), dtype=np.uint8)


def make_topic_documents(
    n_documents: int = 400,
    topics: tuple[str, ...] = ("CAT", "DOG", "BIRD", "CHICKEN"),
    vocabulary_size: int = 300,
    length_range: tuple[int, int] = (20, 2000),
    background: float = 0.0,
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic bag-of-words counts: documents drawn from a few topics.

    Each topic is a word distribution concentrated on its own few dozen words (a
    sparse Dirichlet draw). A document picks a topic, a length log-uniformly in
    ``length_range`` and draws that many words. The counts are sparse and
    non-negative like real text, and their lengths vary by two orders of magnitude
    while the topic only sets the *proportions*: the case for cosine similarity.

    Parameters
    ----------
    n_documents : int, default=400
    topics : tuple of str, default=('CAT', 'DOG', 'BIRD', 'CHICKEN')
        Topic names, used as the class labels.
    vocabulary_size : int, default=300
    length_range : (int, int), default=(20, 2000)
        Smallest and largest document length, in words.
    background : float in [0, 1), default=0.0
        Share of every document's words drawn from one background distribution
        common to all topics; higher values make the topics overlap.
    random_state : int or None, default=0

    Returns
    -------
    counts : ndarray of shape (n_documents, vocabulary_size), float64
    labels : ndarray of str, shape (n_documents,)
        The topic of each document.
    """
    if n_documents < 1 or vocabulary_size < 1 or len(topics) < 1:
        raise ValueError("n_documents, vocabulary_size and the number of topics must be >= 1.")
    low, high = length_range
    if not 1 <= low <= high:
        raise ValueError(f"length_range must satisfy 1 <= low <= high, got {length_range}.")
    if not 0.0 <= background < 1.0:
        raise ValueError(f"background must lie in [0, 1), got {background}.")
    rng = np.random.default_rng(random_state)
    word_distributions = rng.dirichlet(np.full(vocabulary_size, 0.05), size=len(topics))
    common = rng.dirichlet(np.ones(vocabulary_size))
    word_distributions = background * common + (1.0 - background) * word_distributions
    topic_index = rng.integers(0, len(topics), size=n_documents)
    lengths = np.exp(rng.uniform(np.log(low), np.log(high), size=n_documents)).astype(int)
    counts = rng.multinomial(lengths, word_distributions[topic_index]).astype(np.float64)
    return counts, np.asarray(topics)[topic_index]


def make_blobs_memmap(
    path: str | os.PathLike,
    n_samples: int,
    n_features: int = 16,
    centers: int = 32,
    center_scale: float = 2.0,
    random_state: int | None = 0,
    block_rows: int = 2**18,
) -> np.memmap:
    """Gaussian blobs written block by block to a new float32 memory map at ``path``.

    Centres are drawn from N(0, ``center_scale``^2) in every coordinate and points
    around them from N(0, 1), block by block, so memory stays O(``block_rows``)
    however many rows are written: a data set larger than memory for the out-of-core
    examples. Returns the file opened read-only (shape (n_samples, n_features)).
    """
    if n_samples < 1 or n_features < 1 or centers < 1 or block_rows < 1:
        raise ValueError("n_samples, n_features, centers and block_rows must be >= 1.")
    rng = np.random.default_rng(random_state)
    means = rng.normal(scale=center_scale, size=(centers, n_features)).astype(np.float32)
    points = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_samples, n_features))
    for start in range(0, n_samples, block_rows):
        stop = min(start + block_rows, n_samples)
        noise = rng.standard_normal(size=(stop - start, n_features), dtype=np.float32)
        points[start:stop] = means[rng.integers(0, centers, stop - start)] + noise
    points.flush()
    del points
    return np.memmap(path, dtype=np.float32, mode="r", shape=(n_samples, n_features))
