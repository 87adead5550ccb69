"""MNIST and Fashion-MNIST: an IDX reader of our own, and where the four files come from.

Sources, in order: an explicit ``data_dir`` (the folder itself or its ``<name>/`` subfolder);
``$MLPKIT_DATA_DIR/<name>/``; the user cache ``$XDG_CACHE_HOME/mlpkit/<name>/`` (default
``~/.cache/mlpkit``); and last a download from the official mirrors, each file checked against
its published MD5 and moved into the cache atomically (temporary file, then rename).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlpkit.errors import InvalidInputError

log = logging.getLogger("mlpkit")

# IDX type codes -> big-endian NumPy dtypes (the format of LeCun et al.'s files)
IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

PARTS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class Source:
    title: str
    mirrors: tuple[str, ...]
    md5: dict[str, str]            # of the .gz files as published
    class_names: tuple[str, ...]
    description: str


SOURCES = {
    "mnist": Source(
        "MNIST",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
         "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
         "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
        tuple(str(d) for d in range(10)),
        "handwritten digits, 28x28 grey pixels scaled to [0, 1], 10 classes",
    ),
    "fashion-mnist": Source(
        "Fashion-MNIST",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
         "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
         "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot"),
        "Zalando clothing images, 28x28 grey pixels scaled to [0, 1], 10 classes",
    ),
}


MAX_DEFLATE_RATIO = 1032    # deflate cannot expand a stream more than this (RFC 1951's limit)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw); header, dtype and size are all checked.

    The header is read first and the size it promises is checked against the file before any
    data is read: a raw file must hold exactly that many bytes, a gzip file cannot expand more
    than deflate's limit (1032:1), and decompression never reads more than promised."""
    path = Path(path)
    with path.open("rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    size = path.stat().st_size
    try:
        with (gzip.open(path, "rb") if gzipped else path.open("rb")) as f:
            return _read_idx_stream(f, path, size, gzipped)
    except (OSError, EOFError, zlib.error):
        raise InvalidInputError(
            f"'{path}' is a damaged gzip file (truncated or corrupt); fetch it again."
        ) from None


def _read_idx_stream(f, path: Path, size: int, gzipped: bool) -> np.ndarray:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in IDX_DTYPES \
            or magic[3] == 0:
        raise InvalidInputError(
            f"'{path}' is not an IDX file (bad magic number {magic.hex() or 'none'}); "
            "expected the MNIST-format files."
        )
    dtype, ndim = IDX_DTYPES[magic[2]], magic[3]
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise InvalidInputError(f"'{path}' is truncated inside its IDX header; fetch it again.")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize
    if gzipped and expected > size * MAX_DEFLATE_RATIO:
        raise InvalidInputError(
            f"'{path}' has a header that promises {expected} data bytes for shape {dims}, more "
            f"than {size} compressed bytes can hold; it is damaged or hostile: fetch it again.")
    actual = None if gzipped else size - 4 - 4 * ndim
    if actual is None or actual == expected:
        raw = f.read(expected + 1)           # one byte more tells trailing data apart
        actual = len(raw) if len(raw) <= expected else f"more than {expected}"
    if actual != expected:
        problem = "is truncated" if isinstance(actual, int) and actual < expected \
            else "has trailing bytes"
        raise InvalidInputError(
            f"'{path}' {problem}: its header promises {expected} data bytes for shape "
            f"{dims}, the file holds {actual}; fetch it again."
        )
    data = np.frombuffer(raw, dtype=dtype).reshape(dims)
    return data.astype(dtype.newbyteorder("="))     # native byte order, and writable


def _find(folder: Path) -> dict[str, Path]:
    """The parts present in ``folder``, each as ``<part>.gz`` or uncompressed ``<part>``."""
    found = {}
    for part in PARTS:
        for candidate in (folder / f"{part}.gz", folder / part):
            if candidate.is_file():
                found[part] = candidate
                break
    return found


def _missing_message(title: str, folder: Path, found: dict[str, Path], origin: str) -> str:
    missing = [p for p in PARTS if p not in found]
    return (f"{title} folder '{folder}' ({origin}) is missing {', '.join(missing)}; it needs "
            f"all four of {', '.join(PARTS)} (each may be .gz).")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mlpkit``, or ``~/.cache/mlpkit``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mlpkit"


def locate(name: str, data_dir: str | Path | None = None,
           mirrors: tuple[str, ...] | list[str] | None = None) -> dict[str, Path]:
    """The four files of ``name``, from the first source that has them (see module doc)."""
    source = SOURCES[name]
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise InvalidInputError(
                f"Data folder '{folder}' {what}; pass the folder that holds the four "
                f"{source.title} files."
            )
        for candidate in (folder, folder / name):
            found = _find(candidate)
            if len(found) == len(PARTS):
                return found
        raise InvalidInputError(_missing_message(source.title, folder, _find(folder), "data_dir"))

    env = os.environ.get("MLPKIT_DATA_DIR")
    if env:
        folder = Path(env).expanduser() / name
        found = _find(folder)
        if len(found) == len(PARTS):
            return found
        if found:
            raise InvalidInputError(
                _missing_message(source.title, folder, found, "from MLPKIT_DATA_DIR"))

    cached = cache_dir() / name
    found = _find(cached)
    if len(found) == len(PARTS):
        return found
    download(name, cached, mirrors or source.mirrors)
    return _find(cached)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(name: str, folder: Path, mirrors: tuple[str, ...] | list[str],
             timeout: float = 30.0) -> None:
    """Fetch the missing .gz files into ``folder``, verifying each MD5 before it lands."""
    source = SOURCES[name]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(f"Cannot create the cache folder '{folder}': {exc.strerror}.") \
            from None
    for filename, md5 in source.md5.items():
        target = folder / filename
        if target.is_file() and _md5(target) == md5:
            continue
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + filename
            failure = _fetch_verified(url, target, md5, timeout)
            if failure is None:
                break
            failures.append(f"{url}: {failure}")
        else:
            raise InvalidInputError(
                f"Could not get {source.title}: no local copy, and the download failed "
                f"({'; '.join(failures)}). Download the four .gz files yourself and pass "
                f"--data-dir DIR (data_dir=...), or set MLPKIT_DATA_DIR to the folder above "
                f"'{name}/'."
            )


def _fetch_verified(url: str, target: Path, md5: str, timeout: float) -> str | None:
    """Download ``url`` to ``target`` atomically if its MD5 matches; else say what went wrong."""
    log.info("downloading %s", url)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".part")
    temp = Path(temp_name)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(handle, "wb") as out, \
                urllib.request.urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            return f"checksum mismatch (got MD5 {digest.hexdigest()}, expected {md5})"
        os.replace(temp, target)
        return None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(getattr(exc, "reason", None) or exc)
    finally:
        temp.unlink(missing_ok=True)


def load_idx_dataset(name: str, data_dir: str | Path | None = None,
                     mirrors: tuple[str, ...] | list[str] | None = None,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test): pixels as float32 in [0, 1], flattened to 784."""
    files = locate(name, data_dir, mirrors)
    arrays = {part: read_idx(path) for part, path in files.items()}
    out = []
    for split in ("train", "t10k"):
        images = arrays[f"{split}-images-idx3-ubyte"]
        labels = arrays[f"{split}-labels-idx1-ubyte"]
        path = files[f"{split}-images-idx3-ubyte"]
        if images.ndim != 3 or images.dtype != np.uint8:
            raise InvalidInputError(
                f"'{path}' holds {images.dtype} data of shape {images.shape}; "
                "expected 8-bit images (n, rows, cols)."
            )
        if labels.ndim != 1 or len(labels) != len(images):
            raise InvalidInputError(
                f"'{files[f'{split}-labels-idx1-ubyte']}' holds {labels.shape} labels for "
                f"{len(images)} images; the pair does not belong together."
            )
        if labels.size and labels.max() >= len(SOURCES[name].class_names):
            raise InvalidInputError(
                f"'{files[f'{split}-labels-idx1-ubyte']}' has label {labels.max()}; "
                "expected 0-9."
            )
        X = images.reshape(len(images), -1).astype(np.float32)
        X *= np.float32(1.0 / 255.0)
        out += [X, labels.astype(np.int64)]
    return out[0], out[1], out[2], out[3]
