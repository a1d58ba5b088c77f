"""The IDX reader on small synthetic files (raw, gzipped, corrupt), where MNIST/FashionMNIST
look for their files and in which order, the error that lists every place, downloads from
file:// mirrors with hash checks, the embedded MNISTSample, and (when Debian's
dataset-fashion-mnist package is installed) the full Fashion-MNIST."""
import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, FashionMNIST, MNIST, MNISTSample, read_idx
from chainrule.data.transforms import Compose, Normalize, ToTensor

CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
         np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(a: np.ndarray) -> bytes:
    header = bytes([0, 0, CODES[a.dtype], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, a: np.ndarray, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = idx_bytes(a)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_split(folder: Path, n: int, prefix: str = "train", gz: bool = True, seed: int = 0):
    """A synthetic MNIST split of ``n`` images in ``folder``; returns (images, labels)."""
    gen = np.random.default_rng(seed)
    images = gen.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = gen.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, gz)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz)
    return images, labels


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $CHAINRULE_DATA, a private user cache, no system folders: only what a test adds."""
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(FashionMNIST, "system_folders", ())
    return tmp_path


# ------------------------------------------------------------------ read_idx
@pytest.mark.parametrize("a", [
    np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-5, 0, 7], dtype=np.int8),
    np.array([[1, -300], [70000, 2]], dtype=np.int32),
    np.array([-1000, 3], dtype=np.int16),
    np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
    np.array([np.pi, -np.e]),
])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, a, gz):
    out = read_idx(write_idx(tmp_path / "f.idx", a, gz))
    assert out.dtype == a.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, a)


def test_read_idx_gzip_detected_by_content_not_name(tmp_path):
    path = tmp_path / "plain-name"
    path.write_bytes(gzip.compress(idx_bytes(np.ones(3, np.uint8))))
    assert read_idx(path).tolist() == [1, 1, 1]


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize("payload, msg", [
    (b"\0\0", "only 2 bytes"),
    (b"\x01\0\x08\x01" + GOOD[4:], "bad magic number 0x01000801"),
    (b"\0\0\x07\x02" + GOOD[4:], "bad magic number 0x00000702"),
    (b"\0\0\x08\0", "declares 0 dimensions"),
    (GOOD[:9], "truncated header: 2 dims need 12 bytes"),
    (GOOD[:-1], r"truncated: the header says shape \(3, 4\) of uint8 = 12 bytes.*has 11"),
    (GOOD + b"\0", "has trailing bytes"),
    (gzip.compress(GOOD)[:-6], "corrupt or truncated gzip data"),
    (b"\x1f\x8b" + b"garbage" * 4, "corrupt or truncated gzip data"),
])
def test_read_idx_rejects_corrupt_files(tmp_path, payload, msg):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=msg) as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------ MNIST from a folder
@pytest.mark.parametrize("layout", ["", "mnist", "MNIST/raw"])
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_from_root(isolated, layout, gz):
    root = isolated / "root"
    images, labels = write_split(root / layout, 6, "train", gz)
    test_images, _ = write_split(root / layout, 3, "t10k", gz, seed=1)
    train = MNIST(root)
    assert len(train) == 6 and train.folder == root / layout
    img, label = train[2]
    assert img.dtype == cr.uint8 and img.shape == (28, 28) and isinstance(label, int)
    np.testing.assert_array_equal(img.numpy(), images[2])
    assert label == labels[2]
    data, targets = train.as_tensors()
    assert data.dtype == cr.uint8 and targets.dtype == cr.int64 and data is train.data
    assert targets.tolist() == labels.tolist() == train.targets.tolist()
    test = MNIST(str(root), train=False)
    assert len(test) == 3 and np.array_equal(test.data.numpy(), test_images)


def test_transforms_are_applied(isolated):
    images, labels = write_split(isolated, 4)
    ds = MNIST(isolated, transform=ToTensor(), target_transform=lambda y: y + 100)
    img, label = ds[1]
    assert img.shape == (1, 28, 28) and img.dtype == cr.float32 and label == labels[1] + 100
    np.testing.assert_array_equal(img.numpy()[0], images[1] / np.float32(255))


def test_mnist_rejects_mismatched_files(isolated):
    write_idx(isolated / "train-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(isolated / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="expected 3 uint8 labels"):
        MNIST(isolated)
    write_idx(isolated / "train-images-idx3-ubyte", np.zeros((3, 784), np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 images \(N, H, W\)"):
        MNIST(isolated)


def test_corrupt_file_is_reported_not_skipped(isolated, monkeypatch):
    write_split(isolated / "good", 2)
    monkeypatch.setenv("CHAINRULE_DATA", str(isolated / "good"))
    bad = isolated / "bad"
    write_split(bad, 2, gz=False)
    path = bad / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated"):
        MNIST(bad)


# ------------------------------------------------------------------ lookup order
def test_lookup_order(isolated, monkeypatch):
    places = {"root": 1, "env": 2, "cache": 3, "system": 4}
    folders = {"root": isolated / "r", "env": isolated / "e",
               "cache": isolated / "cache" / "chainrule" / "fashion-mnist",
               "system": isolated / "debian"}
    for name, folder in folders.items():
        write_split(folder, places[name])
    monkeypatch.setenv("CHAINRULE_DATA", str(folders["env"]))
    monkeypatch.setattr(FashionMNIST, "system_folders", ((str(folders["system"]), "Debian"),))
    assert len(FashionMNIST(folders["root"])) == 1
    assert len(FashionMNIST(isolated / "empty")) == 2
    monkeypatch.delenv("CHAINRULE_DATA")
    assert len(FashionMNIST()) == 3
    (folders["cache"] / "train-labels-idx1-ubyte.gz").unlink()
    ds = FashionMNIST()
    assert len(ds) == 4 and ds.folder == folders["system"]


def test_missing_files_error_lists_every_place(isolated, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(isolated / "env"))
    monkeypatch.setattr(FashionMNIST, "system_folders",
                        ((str(isolated / "debian"), "Debian package dataset-fashion-mnist"),))
    write_idx(isolated / "env" / "t10k-images-idx3-ubyte.gz", np.zeros((1, 2, 2), np.uint8),
              gz=True)
    with pytest.raises(FileNotFoundError) as info:
        FashionMNIST(isolated / "root", train=False)
    msg = str(info.value)
    expected = [f"{isolated / 'root'} (root argument)",
                f"{isolated / 'root' / 'fashion-mnist'} (root argument)",
                f"{isolated / 'root' / 'FashionMNIST' / 'raw'} (root argument)",
                f"{isolated / 'env'} ($CHAINRULE_DATA, incomplete: no t10k-labels-idx1-ubyte",
                f"{isolated / 'cache' / 'chainrule' / 'fashion-mnist'} (user cache)",
                f"{isolated / 'debian'} (Debian package dataset-fashion-mnist)",
                "download: not attempted (pass download=True"]
    positions = [msg.index(e) for e in expected]
    assert positions == sorted(positions)
    assert "t10k-images-idx3-ubyte[.gz]" in msg
    assert "apt-get install dataset-fashion-mnist" in msg and "CHAINRULE_DATA=" in msg


def test_missing_mnist_error_without_root_or_env(isolated):
    with pytest.raises(FileNotFoundError) as info:
        MNIST()
    msg = str(info.value)
    assert "root argument: not given" in msg and "$CHAINRULE_DATA is not set" in msg
    assert "MNISTSample" in msg and "apt-get" not in msg


# ------------------------------------------------------------------ downloads
@pytest.fixture
def mirror(isolated, monkeypatch):
    """A file:// mirror holding a synthetic training split, with MNIST's hashes set to it."""
    folder = isolated / "mirror"
    images, labels = write_split(folder, 5)
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    monkeypatch.setattr(MNIST, "md5", md5)
    monkeypatch.setattr(MNIST, "mirrors", (f"file://{isolated / 'nowhere'}/",
                                           f"file://{folder}/"))
    return images


def test_download_into_root(isolated, mirror):
    ds = MNIST(isolated / "root", download=True)
    dest = isolated / "root" / "mnist"
    assert ds.folder == dest and np.array_equal(ds.data.numpy(), mirror)
    assert sorted(p.name for p in dest.iterdir()) == ["train-images-idx3-ubyte.gz",
                                                      "train-labels-idx1-ubyte.gz"]
    assert len(MNIST(isolated / "root")) == 5              # found locally the second time


def test_download_into_user_cache(isolated, mirror):
    ds = MNIST(download=True)
    assert ds.folder == isolated / "cache" / "chainrule" / "mnist"


def test_download_rejects_wrong_hash(isolated, mirror, monkeypatch):
    monkeypatch.setitem(MNIST.md5, "train-images-idx3-ubyte.gz", "0" * 32)
    with pytest.raises(FileNotFoundError) as info:
        MNIST(isolated / "root", download=True)
    msg = str(info.value)
    assert "download into" in msg and "!= expected 00000000" in msg and "nowhere" in msg
    dest = isolated / "root" / "mnist"
    assert not dest.exists() or not any(dest.iterdir())     # nothing written, no .part file


# ------------------------------------------------------------------ the embedded sample
def test_mnist_sample_split():
    train, test = MNISTSample(), MNISTSample(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert train.data.shape == (4000, 28, 28) and train.data.dtype == cr.uint8
    assert train.targets.dtype == cr.int64
    assert np.bincount(train.targets.numpy()).tolist() == [400] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [100] * 10
    seen = {row.tobytes() for row in train.data.numpy()}
    assert not any(row.tobytes() in seen for row in test.data.numpy())
    assert train.classes[3] == "3 - three" and train.class_to_idx["9 - nine"] == 9


PINNED_TRAIN = [4, 3, 9, 9, 0, 9, 6, 5, 7, 7, 7, 9]
PINNED_TEST = [0, 1, 4, 3, 0, 1, 2, 0, 5, 4, 7, 0]
PINNED_TEST_SUM = 26450498


def test_mnist_sample_split_is_pinned():
    """The split and its order are fixed; a change here changes every number measured on it."""
    assert MNISTSample().targets.numpy()[:12].tolist() == PINNED_TRAIN
    assert MNISTSample(train=False).targets.numpy()[:12].tolist() == PINNED_TEST
    assert int(MNISTSample(train=False).data.numpy().sum(dtype=np.int64)) == PINNED_TEST_SUM


def test_mnist_sample_through_loader_with_transforms():
    ds = MNISTSample(train=False, transform=Compose([ToTensor(), Normalize((0.1307,),
                                                                           (0.3081,))]))
    xb, yb = next(iter(DataLoader(ds, batch_size=32)))
    assert xb.shape == (32, 1, 28, 28) and xb.dtype == cr.float32 and yb.dtype == cr.int64
    assert float(xb.min()) == pytest.approx(-0.1307 / 0.3081, rel=1e-6)
    img, label = ds[0]
    assert img.shape == (1, 28, 28) and label == yb[0].item()


# ------------------------------------------------------------------ the full Fashion-MNIST
DEBIAN = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (DEBIAN / "t10k-labels-idx1-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_full_from_debian(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    train, test = FashionMNIST(), FashionMNIST(train=False)
    assert train.folder == DEBIAN and len(train) == 60000 and len(test) == 10000
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == cr.uint8
    assert np.bincount(test.targets.numpy()).tolist() == [1000] * 10
    assert train.classes[9] == "Ankle boot"
