"""Tests for clustering_lib.datasets; all run offline on tiny synthetic files."""

import gzip
import re
import struct
import sys
import types

import numpy as np
import pytest

from clustering_lib import datasets
from clustering_lib.datasets import load_digits, load_mnist, load_sample_image

MNIST_TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def tiny_mnist(n_images=5, seed=0):
    """Random (n, 28, 28) uint8 images and (n,) uint8 digit labels."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n_images, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n_images, dtype=np.uint8)
    return images, labels


def idx_image_bytes(images, magic=2051):
    return struct.pack(">IIII", magic, len(images), 28, 28) + images.tobytes()


def idx_label_bytes(labels, magic=2049):
    return struct.pack(">II", magic, len(labels)) + labels.tobytes()


def write_idx_split(folder, images, labels, prefix="train", compress=True):
    """Write IDX image and label files for one split into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    pack = gzip.compress if compress else bytes
    (folder / f"{prefix}-images-idx3-ubyte{suffix}").write_bytes(pack(idx_image_bytes(images)))
    (folder / f"{prefix}-labels-idx1-ubyte{suffix}").write_bytes(pack(idx_label_bytes(labels)))


def write_npz(folder, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mnist.npz"
    np.savez(path, x_train=images, y_train=labels, x_test=images[:2], y_test=labels[:2])
    return path


def install_fake_keras(monkeypatch, load_data):
    """Make ``import keras`` return a stub whose datasets.mnist.load_data is ``load_data``."""
    fake_keras = types.ModuleType("keras")
    fake_keras.datasets = types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=load_data))
    monkeypatch.setitem(sys.modules, "keras", fake_keras)


@pytest.fixture
def isolated_search(tmp_path, monkeypatch):
    """Point every default search location at empty folders, so only the test's files count."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    repo_dir = tmp_path / "repo_data_mnist"
    keras_dir = tmp_path / "keras_cache"
    monkeypatch.setattr(datasets, "_REPO_MNIST_DIR", repo_dir)
    monkeypatch.setattr(datasets, "_KERAS_CACHE_DIR", keras_dir)

    def refuse_download():
        raise OSError("no network in tests")

    install_fake_keras(monkeypatch, refuse_download)
    return types.SimpleNamespace(repo_dir=repo_dir, keras_dir=keras_dir)


def test_real_test_split_from_data_dir(mnist_dir):
    images, labels = load_mnist("test", data_dir=mnist_dir)
    assert images.shape == (10000, 28, 28)
    assert images.dtype == np.uint8
    assert labels.shape == (10000,)
    assert labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == MNIST_TEST_CLASS_COUNTS


def test_real_test_split_has_no_train_split(mnist_dir):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        load_mnist("train", data_dir=str(mnist_dir))


def test_mnist_dir_environment_variable_is_honoured(tmp_path, monkeypatch, isolated_search):
    images, labels = tiny_mnist(seed=1)
    write_idx_split(tmp_path / "env_mnist", images, labels, prefix="t10k", compress=False)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "env_mnist"))
    loaded_images, loaded_labels = load_mnist("test")
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
def test_synthetic_idx_train_split_round_trips(tmp_path, compress):
    images, labels = tiny_mnist()
    write_idx_split(tmp_path, images, labels, compress=compress)
    loaded_images, loaded_labels = load_mnist("train", data_dir=tmp_path)
    assert loaded_images.dtype == np.uint8 and loaded_labels.dtype == np.uint8
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)


def test_synthetic_npz_round_trips(tmp_path, monkeypatch):
    monkeypatch.delitem(datasets._KNOWN_SHA256, "mnist.npz")
    images, labels = tiny_mnist(n_images=4)
    write_npz(tmp_path, images, labels)
    train_images, train_labels = load_mnist("train", data_dir=tmp_path)
    np.testing.assert_array_equal(train_images, images)
    np.testing.assert_array_equal(train_labels, labels)
    test_images, test_labels = load_mnist("test", data_dir=tmp_path)
    np.testing.assert_array_equal(test_images, images[:2])
    np.testing.assert_array_equal(test_labels, labels[:2])


def test_npz_with_wrong_checksum_is_rejected(tmp_path):
    write_npz(tmp_path, *tiny_mnist())
    with pytest.raises(ValueError, match=r"mnist\.npz is corrupt or truncated.*sha256"):
        load_mnist("train", data_dir=tmp_path)


@pytest.mark.parametrize("where", ["repo_dir", "keras_dir"])
def test_default_folders_are_searched(isolated_search, monkeypatch, where):
    monkeypatch.delitem(datasets._KNOWN_SHA256, "mnist.npz")
    images, labels = tiny_mnist(seed=2)
    write_npz(getattr(isolated_search, where), images, labels)
    loaded_images, loaded_labels = load_mnist("train")
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)


def test_keras_home_is_respected(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_KERAS_CACHE_DIR", None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    assert datasets._keras_cache_dir() == tmp_path / "keras_home" / "datasets"


def test_symlinked_files_keep_their_link_names(tmp_path):
    images, labels = tiny_mnist()
    store = tmp_path / "store"
    store.mkdir()
    (store / "blob-a").write_bytes(gzip.compress(idx_image_bytes(images)))
    (store / "blob-b").write_bytes(gzip.compress(idx_label_bytes(labels)))
    links = tmp_path / "links"
    links.mkdir()
    (links / "train-images-idx3-ubyte.gz").symlink_to(store / "blob-a")
    (links / "train-labels-idx1-ubyte.gz").symlink_to(store / "blob-b")
    loaded_images, loaded_labels = load_mnist("train", data_dir=links)
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)


def test_repeated_calls_use_the_cache_and_return_copies(tmp_path):
    images, labels = tiny_mnist()
    write_idx_split(tmp_path, images, labels)
    first_images, _ = load_mnist("train", data_dir=tmp_path)
    hits_before = datasets._load_files_cached.cache_info().hits
    first_images[:] = 0
    second_images, second_labels = load_mnist("train", data_dir=tmp_path)
    assert datasets._load_files_cached.cache_info().hits == hits_before + 1
    np.testing.assert_array_equal(second_images, images)
    assert second_images.flags.writeable and second_labels.flags.writeable


def test_truncated_real_labels_file_is_named(tmp_path, mnist_dir):
    real_bytes = (mnist_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(real_bytes[: len(real_bytes) // 2])
    (tmp_path / "t10k-images-idx3-ubyte.gz").symlink_to(
        mnist_dir / "t10k-images-idx3-ubyte.gz"
    )
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz is corrupt or truncated"):
        load_mnist("test", data_dir=tmp_path)


def test_truncated_gzip_of_unknown_checksum_is_named(tmp_path):
    write_idx_split(tmp_path, *tiny_mnist())
    labels_path = tmp_path / "train-labels-idx1-ubyte.gz"
    labels_path.write_bytes(labels_path.read_bytes()[:-12])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz is corrupt or truncated"):
        load_mnist("train", data_dir=tmp_path)


def test_wrong_magic_number_is_rejected(tmp_path):
    images, labels = tiny_mnist()
    write_idx_split(tmp_path, images, labels)
    images_path = tmp_path / "train-images-idx3-ubyte.gz"
    images_path.write_bytes(gzip.compress(idx_image_bytes(images, magic=2049)))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz.*magic number 2049"):
        load_mnist("train", data_dir=tmp_path)


def test_payload_shorter_than_header_count_is_rejected(tmp_path):
    images, labels = tiny_mnist()
    write_idx_split(tmp_path, images, labels, compress=False)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_image_bytes(images)[:-28])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte .*header promises 5"):
        load_mnist("train", data_dir=tmp_path)


def test_image_and_label_counts_must_agree(tmp_path):
    images, labels = tiny_mnist()
    write_idx_split(tmp_path, images, labels[:4])
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        load_mnist("train", data_dir=tmp_path)


def test_half_of_an_idx_pair_is_reported(tmp_path):
    write_idx_split(tmp_path, *tiny_mnist())
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz but not its partner"):
        load_mnist("train", data_dir=tmp_path)


@pytest.mark.parametrize("split", ["validation", "TEST", ""])
def test_bad_split_is_rejected(split):
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist(split)


def test_bad_argument_types_are_rejected(tmp_path):
    with pytest.raises(TypeError, match="split"):
        load_mnist(None)
    with pytest.raises(TypeError, match="data_dir"):
        load_mnist("test", data_dir=42)


def test_explicit_data_dir_without_files_names_the_folder(tmp_path, isolated_search):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))) as error_info:
        load_mnist("test", data_dir=tmp_path)
    assert "t10k-images-idx3-ubyte.gz" in str(error_info.value)
    assert "mnist.npz" in str(error_info.value)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist("test", data_dir=tmp_path / "nowhere")


def test_offline_with_no_copy_explains_where_to_put_files(isolated_search):
    with pytest.raises(FileNotFoundError, match="MNIST_DIR") as error_info:
        load_mnist("train")
    message = str(error_info.value)
    assert isinstance(error_info.value.__cause__, OSError)
    assert str(isolated_search.repo_dir) in message
    assert str(isolated_search.keras_dir) in message
    assert "train-images-idx3-ubyte.gz" in message and "mnist.npz" in message


def test_download_is_the_last_resort(isolated_search, monkeypatch):
    images, labels = tiny_mnist(n_images=3)

    def fake_load_data():
        return (images, labels), (images[:1], labels[:1])

    install_fake_keras(monkeypatch, fake_load_data)
    loaded_images, loaded_labels = load_mnist("test")
    np.testing.assert_array_equal(loaded_images, images[:1])
    np.testing.assert_array_equal(loaded_labels, labels[:1])


def test_load_digits_shapes():
    data, target = load_digits()
    assert data.shape == (1797, 64)
    assert data.dtype == np.float64
    assert target.shape == (1797,)
    assert set(np.unique(target).tolist()) == set(range(10))


@pytest.mark.parametrize("name", ["china", "china.jpg"])
def test_load_sample_image_china(name):
    image = load_sample_image(name)
    assert image.shape == (427, 640, 3)
    assert image.dtype == np.uint8


def test_load_sample_image_flower():
    assert load_sample_image("flower.jpg").shape == (427, 640, 3)


def test_load_sample_image_bad_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"name must be one of .*'china'.*'flower.jpg'.*'tiger'"):
        load_sample_image("tiger")


def test_make_topic_documents_shapes_labels_and_lengths():
    from clustering_lib.datasets import make_topic_documents

    counts, labels = make_topic_documents(n_documents=200, vocabulary_size=50,
                                          length_range=(10, 1000), random_state=1)
    assert counts.shape == (200, 50) and labels.shape == (200,)
    assert set(labels) == {"CAT", "DOG", "BIRD", "CHICKEN"}
    lengths = counts.sum(axis=1)
    assert lengths.min() >= 9 and lengths.max() <= 1000
    assert (counts >= 0).all() and np.mean(counts == 0) > 0.3  # sparse, like text
    again, _ = make_topic_documents(n_documents=200, vocabulary_size=50,
                                    length_range=(10, 1000), random_state=1)
    np.testing.assert_array_equal(counts, again)
    with pytest.raises(ValueError, match="length_range"):
        make_topic_documents(length_range=(10, 5))
    with pytest.raises(ValueError, match="background"):
        make_topic_documents(background=1.0)


def test_the_repository_data_folder_is_searched_only_from_a_checkout(tmp_path, monkeypatch):
    # Installed, the package sits in site-packages: no data folder of a repository there.
    installed = tmp_path / "site-packages" / "clustering_lib"
    installed.mkdir(parents=True)
    monkeypatch.setattr(datasets, "__file__", str(installed / "datasets.py"))
    assert datasets._repository_mnist_dir() is None
    checkout = tmp_path / "checkout"
    (checkout / "clustering_lib").mkdir(parents=True)
    (checkout / "data").mkdir()
    (checkout / "pyproject.toml").write_text("[project]\n")
    monkeypatch.setattr(datasets, "__file__", str(checkout / "clustering_lib" / "datasets.py"))
    assert datasets._repository_mnist_dir() == checkout / "data" / "mnist"


def test_outside_a_checkout_the_message_names_only_real_places(isolated_search, monkeypatch):
    monkeypatch.setattr(datasets, "_REPO_MNIST_DIR", None)
    with pytest.raises(FileNotFoundError) as error:
        load_mnist("test")
    assert "MNIST_DIR" in str(error.value)
    assert "repository data folder" not in str(error.value)
