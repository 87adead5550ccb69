"""MNIST / Fashion-MNIST: the IDX reader, where files come from, and the verified download."""

import gzip
import hashlib
import http.server
import shutil
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from mlpkit.data import load_dataset
from mlpkit.data.sets.mnist import PARTS, SOURCES, read_idx
from mlpkit.errors import InvalidInputError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
MNIST_DIR = SHARED / "mnist"
needs_shared = pytest.mark.skipif(not MNIST_DIR.is_dir(),
                                  reason=f"real MNIST files not found at {MNIST_DIR}")


@pytest.fixture(autouse=True)
def isolated_sources(tmp_path, monkeypatch):
    """No test sees the user's cache or data folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MLPKIT_DATA_DIR", raising=False)


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    code = {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def tiny_mnist(folder: Path, n_train=6, n_test=4, compress=True) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    for split, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), compress)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}",
                  (np.arange(n) % 10).astype(np.uint8), compress)
    return folder


@needs_shared
def test_real_mnist_has_the_published_shapes_and_label_counts():
    data = load_dataset("mnist", data_dir=MNIST_DIR)
    assert data.X_train.shape == (60000, 784) and data.X_test.shape == (10000, 784)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.X_train.min() == 0.0 and data.X_train.max() == 1.0
    assert np.bincount(data.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                                  5851, 5949]
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                                 1009]


@needs_shared
def test_real_fashion_mnist_through_the_environment_variable(monkeypatch):
    monkeypatch.setenv("MLPKIT_DATA_DIR", str(SHARED))
    data = load_dataset("fashion-mnist")
    assert data.X_train.shape == (60000, 784) and data.class_names[9] == "Ankle boot"
    assert np.bincount(data.y_train).tolist() == [6000] * 10


def test_reader_accepts_raw_and_gzip_and_native_order(tmp_path):
    values = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    for compress in (False, True):
        out = read_idx(write_idx(tmp_path / f"x{compress}", values, compress))
        np.testing.assert_array_equal(out, values)
        assert out.dtype == np.int32 and out.flags.writeable


def test_uncompressed_folder_and_subfolder_both_work(tmp_path):
    tiny_mnist(tmp_path / "raw", compress=False)
    assert load_dataset("mnist", data_dir=tmp_path / "raw").X_train.shape == (6, 784)
    tiny_mnist(tmp_path / "root" / "mnist")
    assert load_dataset("mnist", data_dir=tmp_path / "root").X_test.shape == (4, 784)


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"\x00\x00\x07\x03" + b[4:],
     "'{f}' is not an IDX file (bad magic number 00000703); expected the MNIST-format files."),
    (lambda b: b[:-10],
     "'{f}' is truncated: its header promises 4704 data bytes for shape (6, 28, 28), the file "
     "holds 4694; fetch it again."),
    (lambda b: b + b"xx",
     "'{f}' has trailing bytes: its header promises 4704 data bytes for shape (6, 28, 28), the "
     "file holds 4706; fetch it again."),
    (lambda b: b[:9], "'{f}' is truncated inside its IDX header; fetch it again."),
    (lambda b: b"", "'{f}' is not an IDX file (bad magic number none); expected the MNIST-format "
                    "files."),
])
def test_corrupt_idx_files_are_rejected(tmp_path, damage, message):
    folder = tiny_mnist(tmp_path / "m", compress=False)
    target = folder / "train-images-idx3-ubyte"
    target.write_bytes(damage(target.read_bytes()))
    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist", data_dir=folder)
    assert str(info.value) == message.format(f=target)


def test_damaged_gzip_and_mismatched_pairs(tmp_path):
    folder = tiny_mnist(tmp_path / "m")
    target = folder / "t10k-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-20])
    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist", data_dir=folder)
    assert str(info.value) == (f"'{target}' is a damaged gzip file (truncated or corrupt); "
                               "fetch it again.")
    folder = tiny_mnist(tmp_path / "pair")
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8), compress=True)
    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist", data_dir=folder)
    assert str(info.value) == (f"'{folder}/train-labels-idx1-ubyte.gz' holds (5,) labels for 6 "
                               "images; the pair does not belong together.")


def test_folder_errors(tmp_path):
    folder = tiny_mnist(tmp_path / "m")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist", data_dir=folder)
    assert str(info.value) == (
        f"MNIST folder '{folder}' (data_dir) is missing t10k-labels-idx1-ubyte; it needs all four "
        "of train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
        "t10k-labels-idx1-ubyte (each may be .gz).")
    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist", data_dir=tmp_path / "nowhere")
    assert str(info.value) == (f"Data folder '{tmp_path}/nowhere' does not exist; pass the folder "
                               "that holds the four MNIST files.")


class _Server:
    """A static file server on 127.0.0.1 for one test; counts the requests it answers."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def log_message(self, *args):
                server.requests.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    servers = []

    def start(root):
        servers.append(_Server(root))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@needs_shared
def test_download_verifies_checksums_and_lands_atomically_in_the_cache(tmp_path, server):
    good = server(tmp_path / "good")
    for name in SOURCES["mnist"].md5:
        shutil.copy(MNIST_DIR / name, tmp_path / "good" / name)
    bad = server(tmp_path / "bad")
    for name in SOURCES["mnist"].md5:      # a mirror serving one corrupted file
        data = bytearray((MNIST_DIR / name).read_bytes())
        if name.startswith("t10k-labels"):
            data[100] ^= 0xFF
        (tmp_path / "bad" / name).write_bytes(bytes(data))

    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist", mirrors=[bad.url])
    message = str(info.value)
    assert message.startswith(f"Could not get MNIST: no local copy, and the download failed "
                              f"({bad.url}t10k-labels-idx1-ubyte.gz: checksum mismatch (got MD5 ")
    assert message.endswith("expected ec29112dd5afa0611ce80d1b7f02629c)). Download the four .gz "
                            "files yourself and pass --data-dir DIR (data_dir=...), or set "
                            "MLPKIT_DATA_DIR to the folder above 'mnist/'.")
    cache = tmp_path / "cache" / "mlpkit" / "mnist"
    assert not (cache / "t10k-labels-idx1-ubyte.gz").exists()     # the bad file never landed
    assert not list(cache.glob(".*part"))                        # nor a temporary one

    data = load_dataset("mnist", mirrors=[bad.url, good.url])     # falls through to the good one
    assert data.X_train.shape == (60000, 784)
    for name, md5 in SOURCES["mnist"].md5.items():
        assert hashlib.md5((cache / name).read_bytes()).hexdigest() == md5
    asked = len(good.requests) + len(bad.requests)
    load_dataset("mnist", mirrors=[good.url])                     # now served from the cache
    assert len(good.requests) + len(bad.requests) == asked


def test_every_source_failing_says_how_to_supply_the_files(tmp_path, server):
    empty = server(tmp_path / "empty")
    with pytest.raises(InvalidInputError) as info:
        load_dataset("fashion-mnist", mirrors=[empty.url])
    assert str(info.value) == (
        f"Could not get Fashion-MNIST: no local copy, and the download failed ({empty.url}"
        "train-images-idx3-ubyte.gz: File not found). Download the four .gz files yourself and "
        "pass --data-dir DIR (data_dir=...), or set MLPKIT_DATA_DIR to the folder above "
        "'fashion-mnist/'.")


def test_partial_folder_under_the_environment_variable_is_an_error(tmp_path, monkeypatch):
    folder = tiny_mnist(tmp_path / "root" / "mnist")
    (folder / "train-images-idx3-ubyte.gz").unlink()
    monkeypatch.setenv("MLPKIT_DATA_DIR", str(tmp_path / "root"))
    with pytest.raises(InvalidInputError) as info:
        load_dataset("mnist")
    assert str(info.value).startswith(
        f"MNIST folder '{folder}' (from MLPKIT_DATA_DIR) is missing train-images-idx3-ubyte;")


def test_parts_are_the_four_published_files():
    published = {f"{p}.gz" for p in PARTS}
    assert published == set(SOURCES["mnist"].md5) == set(SOURCES["fashion-mnist"].md5)
