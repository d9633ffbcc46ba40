"""One parser per on-disk format, as free functions on ``bytes`` (so tests can feed them bytes).

Each returns whole-split numpy arrays in the layout the cache stores:
images uint8 ``(N, H, W)`` (grey) or ``(N, C, H, W)`` (colour), labels int64. Each checks the
format's magic number, dtype and dimensions and raises :class:`FormatError` naming the expected and
the actual value. No per-image Python loops: everything is ``np.frombuffer`` + reshape/transpose.

Beside each parser sits its encoder (``encode_*``), the exact inverse, used to write the smoke
fixtures in the real formats. Encoders produce the same bytes on every machine: gzip streams use
stored (uncompressed) deflate blocks with mtime 0, so they do not depend on the zlib build; the
CIFAR pickle and the MATLAB file are written opcode by opcode / element by element rather than by
``pickle``/``scipy.io.savemat`` (numpy 2 pickles name ``numpy._core``, and ``savemat`` stamps the
current time into the header).

Format references (read, not copied): torchvision ``datasets/mnist.py`` (IDX), ``cifar.py``,
``svhn.py``, ``stl10.py``; the MATLAB 5 MAT-file format description; medmnist ``dataset.py``.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import zipfile
import zlib
from typing import Any

import numpy as np

from .errors import FormatError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
PICKLE_PROTO = 0x80
MAT5_TEXT = b"MATLAB 5.0 MAT-file"


def _where(name: str) -> str:
    return f"{name}: " if name else ""


def maybe_gunzip(data: bytes, name: str = "") -> bytes:
    """Decompress ``data`` if it starts with the gzip magic ``1f 8b``; IDX files start with ``00 00``."""
    if data[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(f"{_where(name)}corrupt gzip stream ({exc})") from exc
    return data


# --- IDX (MNIST, Fashion-MNIST, EMNIST) ------------------------------------------------------------
# Magic number: two zero bytes, a type code (0x08 = unsigned byte) and the number of dimensions,
# then one big-endian uint32 per dimension, then the data in C order.
IDX_UINT8 = 0x08


def parse_idx(data: bytes, ndim: int, name: str = "") -> np.ndarray:
    """Parse an IDX file (plain or gzip) holding uint8 data of ``ndim`` dimensions."""
    data = maybe_gunzip(data, name)
    expected_magic = (IDX_UINT8 << 8) | ndim
    if len(data) < 4:
        raise FormatError(f"{_where(name)}IDX file too short ({len(data)} bytes) for its 4-byte magic number")
    magic = struct.unpack(">I", data[:4])[0]
    if magic != expected_magic:
        raise FormatError(
            f"{_where(name)}IDX magic number: expected 0x{expected_magic:08X} "
            f"(uint8, {ndim} dims), got 0x{magic:08X} "
            f"(type code 0x{(magic >> 8) & 0xFF:02X}, {magic & 0xFF} dims)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise FormatError(f"{_where(name)}IDX header: expected {header} bytes, file has {len(data)}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    n_expected = int(np.prod(dims, dtype=np.int64))
    n_actual = len(data) - header
    if n_actual != n_expected:
        raise FormatError(f"{_where(name)}IDX payload: dims {tuple(dims)} need {n_expected} bytes, file has {n_actual}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def parse_idx_images(data: bytes, name: str = "") -> np.ndarray:
    """(N, H, W) uint8 images."""
    return parse_idx(data, 3, name)


def parse_idx_labels(data: bytes, name: str = "") -> np.ndarray:
    """(N,) int64 labels."""
    return parse_idx(data, 1, name).astype(np.int64)


def encode_idx(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8:
        raise FormatError(f"encode_idx: expected dtype uint8, got {array.dtype}")
    magic = (IDX_UINT8 << 8) | array.ndim
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()


def encode_gzip_stored(data: bytes) -> bytes:
    """A valid gzip member (RFC 1952) with mtime 0 whose deflate stream uses stored blocks only,
    so the bytes are the same whatever zlib (or zlib-ng) the interpreter links."""
    out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"]  # magic, deflate, no flags, mtime 0, xfl 0, OS unknown
    step = 0xFFFF
    chunks = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    for i, chunk in enumerate(chunks):
        final = 1 if i == len(chunks) - 1 else 0
        out.append(bytes([final]) + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    out.append(struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF))
    return b"".join(out)


def read_zip_member(source: bytes | str | os.PathLike, member: str, name: str = "") -> bytes:
    """One member of a zip archive given as bytes or as a path (EMNIST's 560 MB ``gzip.zip`` is
    read member by member rather than loaded whole)."""
    if isinstance(source, bytes):
        head, handle = source[:4], io.BytesIO(source)
    else:
        with open(source, "rb") as fh:
            head = fh.read(4)
        handle = source
    if head != ZIP_MAGIC:
        raise FormatError(f"{_where(name)}zip magic: expected {ZIP_MAGIC!r}, got {head!r}")
    with zipfile.ZipFile(handle) as zf:
        try:
            return zf.read(member)
        except KeyError:
            raise FormatError(
                f"{_where(name)}zip member {member!r} missing; members: {', '.join(zf.namelist()[:20])}"
            ) from None


def encode_zip_stored(members: dict[str, bytes]) -> bytes:
    """A zip with stored members in sorted order and a fixed 1980-01-01 timestamp (byte-deterministic)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for member in sorted(members):
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, members[member])
    return buf.getvalue()


# --- CIFAR python pickle batches -------------------------------------------------------------------
# The originals are Python 2 cPickle (protocol 2) dicts: b'data' a (N, 3072) uint8 array (R, G, B
# planes of 32x32, row-major), b'labels' (CIFAR-10) or b'fine_labels'/b'coarse_labels' (CIFAR-100).
# Loading a pickle can run code, so only the globals numpy's array pickling needs are allowed.
_PICKLE_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how numpy >= 1.x pickles bytes under protocol 2 in Python 3
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_ALLOWED:
            raise FormatError(
                f"CIFAR pickle refers to {module}.{name}; only numpy array reconstruction is allowed "
                f"({', '.join(sorted(f'{m}.{n}' for m, n in _PICKLE_ALLOWED))})"
            )
        if module == "numpy.core.multiarray":  # numpy 2 moved it; avoid the deprecation shim
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def _text_keys(obj: Any) -> Any:
    """Python 2 pickles read with latin1 give str; Python 3 ones may carry bytes. Normalise to str."""
    if isinstance(obj, dict):
        return {_text_keys(k): _text_keys(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_text_keys(v) for v in obj]
    if isinstance(obj, bytes):
        return obj.decode("latin1")
    return obj


def _unpickle(data: bytes, name: str) -> dict[str, Any]:
    if not data or data[0] != PICKLE_PROTO or not 2 <= data[1] <= 5:
        head = data[:2].hex() if data else "(empty)"
        raise FormatError(f"{_where(name)}pickle magic: expected 0x80 then protocol 2..5, got {head}")
    try:
        obj = _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except FormatError as exc:
        raise FormatError(f"{_where(name)}{exc}") from None
    except Exception as exc:  # a truncated or garbled pickle raises many types
        raise FormatError(f"{_where(name)}cannot unpickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise FormatError(f"{_where(name)}expected a pickled dict, got {type(obj).__name__}")
    return _text_keys(obj)


def parse_cifar_batch(data: bytes, name: str = "") -> dict[str, np.ndarray]:
    """A CIFAR batch -> {'images': (N, 3, 32, 32) uint8, 'labels' | 'fine_labels' + 'coarse_labels': (N,) int64}."""
    obj = _unpickle(data, name)
    if "data" not in obj:
        raise FormatError(f"{_where(name)}CIFAR batch: expected key 'data', found {sorted(obj)}")
    x = np.asarray(obj["data"])
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3 * 32 * 32:
        raise FormatError(
            f"{_where(name)}CIFAR 'data': expected uint8 array of shape (N, 3072), "
            f"got {x.dtype} array of shape {x.shape}"
        )
    out = {"images": x.reshape(-1, 3, 32, 32)}
    label_keys = [k for k in ("labels", "fine_labels", "coarse_labels") if k in obj]
    if not label_keys:
        raise FormatError(f"{_where(name)}CIFAR batch: expected 'labels' or 'fine_labels', found {sorted(obj)}")
    for key in label_keys:
        y = np.asarray(obj[key], dtype=np.int64)
        if y.shape != (x.shape[0],):
            raise FormatError(f"{_where(name)}CIFAR {key!r}: expected shape ({x.shape[0]},), got {y.shape}")
        out[key] = y
    return out


def parse_cifar_meta(data: bytes, name: str = "") -> dict[str, list[str]]:
    """``batches.meta`` / ``meta`` -> the class-name lists (``label_names``, ``fine_label_names``, ...)."""
    obj = _unpickle(data, name)
    names = {k: [str(s) for s in v] for k, v in obj.items() if k.endswith("label_names")}
    if not names:
        raise FormatError(f"{_where(name)}CIFAR meta: expected a '*label_names' key, found {sorted(obj)}")
    return names


def _p_str(s: str | bytes) -> bytes:
    """Python 2 ``str`` (SHORT_BINSTRING / BINSTRING); read back with encoding='latin1'."""
    b = s.encode("latin1") if isinstance(s, str) else s
    return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<I", len(b))) + b


def _p_int(i: int) -> bytes:
    if 0 <= i < 256:
        return b"K" + bytes([i])
    if 0 <= i < 65536:
        return b"M" + struct.pack("<H", i)
    return b"J" + struct.pack("<i", i)


def _p_list(items: list[bytes]) -> bytes:
    return b"](" + b"".join(items) + b"e"  # EMPTY_LIST MARK ... APPENDS


def _p_uint8_array(a: np.ndarray) -> bytes:
    """What Python 2 numpy emits for a C-ordered uint8 array: _reconstruct + BUILD with raw bytes."""
    a = np.ascontiguousarray(a, dtype=np.uint8)
    shape = b"(" + b"".join(_p_int(d) for d in a.shape) + b"t"
    dtype = (
        b"cnumpy\ndtype\n"
        + _p_str("u1")
        + _p_int(0)
        + _p_int(1)
        + b"\x87R"
        + b"("
        + _p_int(3)
        + _p_str("|")
        + b"NNN"
        + b"J\xff\xff\xff\xffJ\xff\xff\xff\xff"
        + _p_int(0)
        + b"tb"
    )
    return (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        + b"cnumpy\nndarray\n"
        + _p_int(0)
        + b"\x85"
        + _p_str("b")
        + b"\x87R"
        + b"("
        + _p_int(1)
        + shape
        + dtype
        + b"\x89"
        + _p_str(a.tobytes())
        + b"tb"
    )


def encode_cifar_pickle(entries: dict[str, Any]) -> bytes:
    """A protocol-2 pickle of a dict in the layout of the original CIFAR files. Values may be str,
    a list of int, a list of str, or a uint8 ndarray."""
    body = []
    for key, value in entries.items():
        if isinstance(value, np.ndarray):
            enc = _p_uint8_array(value)
        elif isinstance(value, str):
            enc = _p_str(value)
        elif isinstance(value, int):
            enc = _p_int(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            enc = _p_list([_p_str(v) for v in value])
        elif isinstance(value, list):
            enc = _p_list([_p_int(int(v)) for v in value])
        else:
            raise TypeError(f"encode_cifar_pickle: cannot encode {key!r} of type {type(value).__name__}")
        body.append(_p_str(key) + enc)
    return b"\x80\x02}(" + b"".join(body) + b"u."


# --- SVHN MATLAB 5 files ---------------------------------------------------------------------------
def parse_svhn_mat(data: bytes, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``*_32x32.mat`` -> ((N, 3, 32, 32) uint8, (N,) int64 in 0..9). SVHN labels digit 0 as 10."""
    import scipy.io

    if data[:19] != MAT5_TEXT:
        raise FormatError(f"{_where(name)}MAT-file header: expected {MAT5_TEXT!r}, got {data[:19]!r}")
    mat = scipy.io.loadmat(io.BytesIO(data), variable_names=("X", "y"))
    if "X" not in mat or "y" not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise FormatError(f"{_where(name)}SVHN .mat: expected variables 'X' and 'y', found {found}")
    x, y = mat["X"], mat["y"]
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[:3] != (32, 32, 3):
        raise FormatError(
            f"{_where(name)}SVHN 'X': expected uint8 array of shape (32, 32, 3, N), got {x.dtype} {x.shape}"
        )
    n = x.shape[3]
    y = np.asarray(y).reshape(-1).astype(np.int64)
    if y.shape != (n,):
        raise FormatError(f"{_where(name)}SVHN 'y': expected {n} labels, got shape {mat['y'].shape}")
    if n and (y.min() < 1 or y.max() > 10):
        raise FormatError(f"{_where(name)}SVHN 'y': expected labels in 1..10, got range {y.min()}..{y.max()}")
    y[y == 10] = 0
    # (H, W, C, N) -> (N, C, H, W), as torchvision's np.transpose(X, (3, 2, 0, 1))
    return np.ascontiguousarray(np.transpose(x, (3, 2, 0, 1))), y


def _mat_element(mtype: int, payload: bytes) -> bytes:
    pad = (-len(payload)) % 8
    return struct.pack("<II", mtype, len(payload)) + payload + b"\x00" * pad


def encode_mat5_uint8(arrays: dict[str, np.ndarray]) -> bytes:
    """A little-endian MATLAB 5 MAT-file of uint8 arrays (uncompressed miMATRIX elements) with a fixed
    header text, so the bytes do not depend on the date (``savemat`` writes the creation time)."""
    mi_int8, mi_uint8, mi_int32, mi_uint32, mi_matrix, mx_uint8_class = 1, 2, 5, 6, 14, 9
    text = b"MATLAB 5.0 MAT-file, Platform: any, Created by: bioplausible fixtures"
    out = [text.ljust(116, b" "), b"\x00" * 8, struct.pack("<H", 0x0100), b"IM"]
    for var, a in arrays.items():
        a = np.asarray(a)
        if a.dtype != np.uint8:
            raise FormatError(f"encode_mat5_uint8: {var!r} must be uint8, got {a.dtype}")
        body = (
            _mat_element(mi_uint32, struct.pack("<II", mx_uint8_class, 0))
            + _mat_element(mi_int32, struct.pack(f"<{a.ndim}i", *a.shape))
            + _mat_element(mi_int8, var.encode("ascii"))
            + _mat_element(mi_uint8, a.tobytes(order="F"))  # MATLAB stores column-major
        )
        out.append(_mat_element(mi_matrix, body))
    return b"".join(out)


# --- STL-10 binary ---------------------------------------------------------------------------------
STL_SHAPE = (3, 96, 96)


def parse_stl_images(data: bytes, name: str = "") -> np.ndarray:
    """``*_X.bin`` -> (N, 3, 96, 96) uint8. Each image is stored column-major per channel."""
    per = int(np.prod(STL_SHAPE))
    if len(data) % per:
        raise FormatError(f"{_where(name)}STL-10 images: expected a multiple of {per} bytes (3x96x96), got {len(data)}")
    x = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3, 96, 96)
    return np.ascontiguousarray(x.transpose(0, 1, 3, 2))


def parse_stl_labels(data: bytes, name: str = "") -> np.ndarray:
    """``*_y.bin`` -> (N,) int64 in 0..9 (stored as uint8 1..10)."""
    y = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    if y.size and (y.min() < 1 or y.max() > 10):
        raise FormatError(f"{_where(name)}STL-10 labels: expected values in 1..10, got range {y.min()}..{y.max()}")
    return y - 1


def encode_stl_images(images: np.ndarray) -> bytes:
    images = np.asarray(images, dtype=np.uint8)
    if images.shape[1:] != STL_SHAPE:
        raise FormatError(f"encode_stl_images: expected (N, 3, 96, 96), got {images.shape}")
    return np.ascontiguousarray(images.transpose(0, 1, 3, 2)).tobytes()


def encode_stl_labels(labels: np.ndarray) -> bytes:
    return (np.asarray(labels, dtype=np.int64) + 1).astype(np.uint8).tobytes()


# --- MedMNIST .npz ---------------------------------------------------------------------------------
def parse_medmnist_npz(data: bytes, split: str, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``<flag>.npz`` -> (images (N, 28, 28) or (N, 3, 28, 28) uint8, labels (N, K) int64)."""
    if data[:4] != ZIP_MAGIC:
        raise FormatError(f"{_where(name)}npz (zip) magic: expected {ZIP_MAGIC!r}, got {data[:4]!r}")
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        keys = (f"{split}_images", f"{split}_labels")
        missing = [k for k in keys if k not in npz.files]
        if missing:
            raise FormatError(f"{_where(name)}MedMNIST npz: expected keys {list(keys)}, found {sorted(npz.files)}")
        x, y = npz[keys[0]], npz[keys[1]]
    if x.dtype != np.uint8 or not (x.ndim == 3 or (x.ndim == 4 and x.shape[3] == 3)):
        raise FormatError(
            f"{_where(name)}MedMNIST {keys[0]}: expected uint8 (N, H, W) or (N, H, W, 3), got {x.dtype} {x.shape}"
        )
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise FormatError(f"{_where(name)}MedMNIST {keys[1]}: expected shape ({x.shape[0]}, K), got {y.shape}")
    if x.ndim == 4:  # (N, H, W, C) -> (N, C, H, W)
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return x, y.astype(np.int64)
