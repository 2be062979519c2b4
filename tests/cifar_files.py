"""Tiny CIFAR-10 data sets in the real "python version" format, for tests.

The real batches were written by Python 2's cPickle at protocol 2;
:func:`cpickle_dumps` writes the same opcodes, and ``protocol=2`` to ``5``
gives the files that Python 3 writes when the data are pickled again.
"""

import json
import os
import pickle
import struct
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

LABEL_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
TESTS_DIR = str(Path(__file__).parent)


def to_cifar_rows(images):
    """(n, 32, 32, 3) -> CIFAR's (n, 3072) rows: red plane, green, blue."""
    return images.transpose(0, 3, 1, 2).reshape(len(images), 3 * 32 * 32)


class _CPickler:
    """Python 2 cPickle's protocol 2 output for the types of a CIFAR file.

    Python 2 str (here bytes) is SHORT_BINSTRING or BINSTRING, items are
    written in batches of 1000, and memo ids count from 1. cPickle memoizes
    only objects that something else also references: the dict, its keys and
    values, list items, globals and results of REDUCE, but not the tuples and
    strings that numpy's __reduce__ makes for the array.
    """

    def __init__(self):
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self.memo_id = 0

    def put(self):
        self.memo_id += 1
        if self.memo_id < 256:
            self.out += b"q" + bytes([self.memo_id])  # BINPUT
        else:
            self.out += b"r" + struct.pack("<I", self.memo_id)  # LONG_BINPUT

    def int_(self, value):
        if 0 <= value < 256:
            self.out += b"K" + bytes([value])  # BININT1
        elif 0 <= value < 65536:
            self.out += b"M" + struct.pack("<H", value)  # BININT2
        else:
            self.out += b"J" + struct.pack("<i", value)  # BININT

    def str_(self, value, memo=True):
        if len(value) < 256:
            self.out += b"U" + bytes([len(value)]) + value  # SHORT_BINSTRING
        else:
            self.out += b"T" + struct.pack("<i", len(value)) + value  # BINSTRING
        if memo:
            self.put()

    def global_(self, module, name):
        self.out += f"c{module}\n{name}\n".encode()  # GLOBAL
        self.put()

    def batches(self, items, save, one, many):
        for start in range(0, len(items), 1000):
            batch = items[start : start + 1000]
            if len(batch) > 1:
                self.out += b"("  # MARK
            for item in batch:
                save(item)
            self.out += one if len(batch) == 1 else many

    def save(self, value):
        if isinstance(value, int):
            self.int_(value)
        elif isinstance(value, bytes):
            self.str_(value)
        elif isinstance(value, list):
            self.out += b"]"  # EMPTY_LIST
            self.put()
            self.batches(value, self.save, b"a", b"e")  # APPEND(S)
        elif isinstance(value, dict):
            self.out += b"}"  # EMPTY_DICT
            self.put()
            pairs = list(value.items())
            self.batches(pairs, self.save_pair, b"s", b"u")  # SETITEM(S)
        else:
            self.array(value)

    def save_pair(self, pair):
        self.save(pair[0])
        self.save(pair[1])

    def array(self, array):
        """numpy 1.x on Python 2: _reconstruct, then BUILD with the state."""
        assert array.dtype == np.uint8 and array.ndim == 2
        self.global_("numpy.core.multiarray", "_reconstruct")
        self.global_("numpy", "ndarray")
        self.out += b"K\x00\x85" + b"U\x01b" + b"\x87R"  # (ndarray, (0,), 'b')
        self.put()
        self.out += b"(K\x01"  # the state: (1, shape, dtype, is_fortran, data)
        self.int_(array.shape[0])
        self.int_(array.shape[1])
        self.out += b"\x86"  # TUPLE2
        self.global_("numpy", "dtype")
        self.out += b"U\x02u1K\x00K\x01\x87R"  # dtype('u1', 0, 1)
        self.put()
        self.out += b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
        self.out += b"\x89"  # NEWFALSE: not Fortran order
        self.str_(np.ascontiguousarray(array).tobytes(), memo=False)
        self.out += b"tb"


def cpickle_dumps(obj):
    """Pickle a CIFAR dict as Python 2's cPickle wrote the real files."""
    pickler = _CPickler()
    pickler.save(obj)
    return bytes(pickler.out + b".")  # STOP


def dumps(obj, protocol=None):
    """cPickle's bytes if ``protocol`` is None, else Python 3's at that protocol."""
    if protocol is None:
        return cpickle_dumps(obj)
    return pickle.dumps(obj, protocol=protocol)


def cifar_batch(name, n, rng):
    """A batch dict in the real key order, its images and its labels."""
    images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    labels = rng.permutation(np.arange(n) % 10).tolist()
    batch = {
        b"batch_label": name.encode(),
        b"labels": labels,
        b"data": to_cifar_rows(images),
        b"filenames": [b"img%d.png" % i for i in range(n)],
    }
    return batch, images, labels


def cifar_meta(n_per_batch):
    """batches.meta, in the real key order."""
    return {
        b"num_cases_per_batch": n_per_batch,
        b"label_names": [name.encode() for name in LABEL_NAMES],
        b"num_vis": 3072,
    }


def write_cifar_folder(root, n_per_batch=20, n_test=None, protocol=None):
    """Write ``root/cifar-10-batches-py``; return it and {batch: (images, labels)}.

    Labels cycle through the 10 classes in a random order, so every batch
    holds every class when it has at least 10 images. ``protocol=None``
    writes the files as Python 2's cPickle did; 2 to 5 as Python 3 does.
    """
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for name in BATCHES:
        n = n_test if name == "test_batch" and n_test is not None else n_per_batch
        batch, images, labels = cifar_batch(name, n, rng)
        (folder / name).write_bytes(dumps(batch, protocol))
        written[name] = images, labels
    (folder / "batches.meta").write_bytes(dumps(cifar_meta(n_per_batch), protocol))
    return folder, written


def write_cifar_archive(root, folder_root=None, **kwargs):
    """Write ``root/cifar-10-python.tar.gz`` (its folder under ``folder_root``,
    default ``root``); return the archive and {batch: (images, labels)}."""
    folder, written = write_cifar_folder(folder_root or root, **kwargs)
    archive = root / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    return archive, written


# ---------------------------------------------------------------------------
# Hostile pickles: each maps to the part of the error message that refuses it
# ---------------------------------------------------------------------------


def _str(value):
    """A Python 2 str (SHORT_BINSTRING or BINSTRING) holding value."""
    if len(value) < 256:
        return b"U" + bytes([len(value)]) + value
    return b"T" + struct.pack("<i", len(value)) + value


def _dtype(code, order=b"|"):
    """numpy.dtype(code, 0, 1) and its BUILD, as Python 2 pickled it."""
    state = b"(K\x03" + _str(order) + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    return b"cnumpy\ndtype\n" + _str(code) + b"K\x00K\x01\x87R" + state


def _array(shape, raw, dtype=None, fortran=b"\x89"):
    """numpy's _reconstruct and BUILD; shape is a tuple of ints."""
    shape_ops = b"".join(b"\x8a\x08" + struct.pack("<q", size) for size in shape)
    return (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R"
        + b"(K\x01("
        + shape_ops
        + b"t"
        + (dtype or _dtype(b"u1"))
        + fortran
        + _str(raw)
        + b"tb"
    )


def _batch(data_ops):
    """A protocol 2 pickle of {b'data': <data_ops>, b'labels': []}."""
    return b"\x80\x02}(U\x04data" + data_ops + b"U\x06labels]u."


def _frombuffer(dtype_code):
    """numpy's protocol 5 _frombuffer(bytearray(8), dtype(code), (1, 8), 'C')."""
    text = b"".join(b"\x8c" + bytes([len(s)]) + s for s in (b"numpy", b"dtype"))
    return (
        b"\x80\x05}(\x8c\x04data\x8c\x13numpy._core.numeric\x8c\x0b_frombuffer\x93"
        + b"(\x96\x08\x00\x00\x00\x00\x00\x00\x00"
        + b"A" * 8
        + text
        + b"\x93\x8c"
        + bytes([len(dtype_code)])
        + dtype_code
        + b"\x89\x88\x87R(K\x03\x8c\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
        + b"K\x01K\x08\x86\x8c\x01CtRu."
    )


_FORBIDDEN_GLOBALS = [
    ("os", "system"),
    ("posix", "system"),
    ("subprocess", "Popen"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "getattr"),
    ("builtins", "__import__"),
    ("__builtin__", "eval"),
    ("numpy", "frombuffer"),
    ("numpy.core.multiarray", "frombuffer"),
    ("numpy._core.multiarray", "frombuffer"),
    ("numpy.core.numeric", "frombuffer"),
    ("numpy.lib.stride_tricks", "as_strided"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy", "load"),
    ("numpy", "fromfile"),
    ("numpy.ctypeslib", "as_array"),
    ("copyreg", "_reconstructor"),
    ("copy_reg", "_reconstructor"),
    ("pickle", "loads"),
    ("_codecs", "decode"),
]


def hostile_pickles():
    """{name: (file bytes, part of the expected error message)}."""
    cases = {
        "object dtype": (_batch(_array((1,), b"A" * 8, _dtype(b"O"))), "dtype(b'O'"),
        "object dtype, protocol 2": (
            pickle.dumps({b"data": np.array([None], object)}, protocol=2),
            "numpy.dtype('O8', False, True)",
        ),
        "object _frombuffer": (_frombuffer(b"O"), "numpy.dtype('O', False, True)"),
        "void dtype of size 0": (
            _batch(_array((2**40, 3072), b"", _dtype(b"V0"))),
            "dtype(b'V0'",
        ),
        "big-endian state": (
            _batch(_array((0, 3072), b"", _dtype(b"u1", b">"))),
            "the dtype state",
        ),
        "huge shape": (
            _batch(_array((10**10, 3072), b"\x00" * 3072)),
            "shape (10000000000, 3072) with 3072 bytes",
        ),
        "negative shape": (_batch(_array((-1, 3072), b"")), "shape (-1, 3072)"),
        "3-d shape": (_batch(_array((1, 1024, 3), b"\x00" * 3072)), "shape (1, 1024"),
        "short data": (_batch(_array((2, 3072), b"\x00" * 3072)), "3072 bytes of"),
        "fortran order": (
            _batch(_array((1, 3072), b"\x00" * 3072, fortran=b"\x88")),
            "is_fortran=True",
        ),
        "two arrays": (
            b"\x80\x02}(U\x01a"
            + _array((0, 3072), b"")
            + b"U\x01b"
            + _array((0, 3072), b"")
            + b"u.",
            "a second array",
        ),
        "_reconstruct of a huge array": (
            _batch(
                b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
                + b"\x8a\x05\x00\xe4\x0bT\x02\x85U\x01b\x87R"
            ),
            "_reconstruct(numpy.ndarray, (10000000000,), b'b')",
        ),
        "bytes(10**10)": (
            _batch(b"c__builtin__\nbytes\n\x8a\x05\x00\xe4\x0bT\x02\x85R"),
            "a call of bytes with (10000000000,)",
        ),
        "nested lists": (
            b"\x80\x02" + b"]" * 10**6 + b"a" * (10**6 - 1) + b".",
            "more than 4096 values",
        ),
        "list in a list": (b"\x80\x02]q\x00]a.", "a list item that is a list"),
        "list in itself": (b"\x80\x02]q\x00h\x00a.", "a list item that is a list"),
        "nested marks": (b"\x80\x02" + b"(]" * 10**6 + b".", "more than 4096"),
        "nested tuples": (b"\x80\x02)" + b"\x85" * 10**6 + b".", "nested three deep"),
        "long tuple": (b"\x80\x02(" + b"N" * 9 + b"t.", "a tuple of 9 items"),
        "17 keys": (
            b"\x80\x02}("
            + b"".join(_str(b"%d" % i) + b"K\x00" for i in range(17))
            + b"u.",
            "a dict of more than 16 keys",
        ),
        "dict in a dict": (b"\x80\x02}U\x01k}s.", "the value of b'k' is a dict"),
        "BINUNICODE8 of 2**62 bytes": (
            b"\x80\x04\x8d" + struct.pack("<Q", 2**62),
            "claims 4611686018427387904 bytes",
        ),
        "BINBYTES8 of 2**64-1 bytes": (
            b"\x80\x04\x8e" + b"\xff" * 8,
            "claims 18446744073709551615 bytes",
        ),
        "BYTEARRAY8 of 2**40 bytes": (
            b"\x80\x05\x96" + struct.pack("<Q", 2**40),
            "claims 1099511627776 bytes",
        ),
        "BINSTRING of 2**31-1 bytes": (
            b"\x80\x02T\xff\xff\xff\x7f",
            "claims 2147483647 bytes",
        ),
        "BINSTRING of negative length": (
            b"\x80\x02T\xff\xff\xff\xff",
            "negative length -1",
        ),
        "BINUNICODE of 4 GB": (b"\x80\x02X\xff\xff\xff\xff", "claims 4294967295 bytes"),
        "FRAME of 2**60 bytes": (
            b"\x80\x04\x95" + struct.pack("<Q", 2**60) + b"}.",
            "FRAME claims",
        ),
        "opcode across a FRAME's end": (
            b"\x80\x04\x95" + struct.pack("<Q", 3) + b"}M\x00\x0c.",
            "BININT2 runs past the end of its FRAME",
        ),
        "FRAME inside a FRAME": (
            b"\x80\x04\x95"
            + struct.pack("<Q", 12)
            + b"}\x95"
            + struct.pack("<Q", 2)
            + b"..",
            "a FRAME before the end of the previous one",
        ),
        "LONG1 of 255 bytes": (
            b"\x80\x02\x8a\xff" + b"\x01" * 255 + b".",
            "an integer of 255 bytes",
        ),
        "memo id never stored": (
            b"\x80\x02}h\x05.",
            "memo id 5, which was never stored",
        ),
        "memo id far ahead": (
            b"\x80\x02}r\xff\xff\xff\xff.",
            "memo id 4294967295 out of order",
        ),
        "memo id reused": (b"\x80\x02}q\x00q\x00.", "memo id 0 out of order"),
        "encode amplification": (_encode_bomb(), "bytes of objects"),
        "trailing bytes": (
            cpickle_dumps({b"labels": []}) + b"junk",
            "4 bytes follow the STOP",
        ),
        "a list, not a dict": (
            pickle.dumps([1, 2], protocol=2),
            "STOP leaves [a list of 2 items]",
        ),
        "protocol 0": (
            pickle.dumps({b"a": 1}, protocol=0),
            "does not start with a pickle PROTO",
        ),
        "protocol 1": (b"\x80\x01}.", "PROTO 1"),
        "BUILD of a dict": (b"\x80\x02}}b.", "BUILD of a dict"),
        "dtype without BUILD": (
            _batch(
                _array(
                    (0, 3072),
                    b"",
                    b"cnumpy\ndtype\n" + _str(b"u1") + b"K\x00K\x01\x87R",
                )
            ),
            "dtype numpy.dtype('u1') before its BUILD, not",
        ),
        "float label": (
            b"\x80\x02}U\x06labels]G?\xf8\x00\x00\x00\x00\x00\x00as.",
            "opcode BINFLOAT",
        ),
    }
    for op, name in [
        (b"i", "INST"),
        (b"o", "OBJ"),
        (b"\x81", "NEWOBJ"),
        (b"P", "PERSID"),
        (b"\x82", "EXT1"),
        (b"0", "POP"),
        (b"2", "DUP"),
    ]:
        cases[f"opcode {name}"] = (b"\x80\x02}" + op + b".", f"opcode {name}")
    for module, name in _FORBIDDEN_GLOBALS:
        message = f"the global '{module}.{name}', which"
        call = b"(X\x02\x00\x00\x00idtR."
        cases[f"GLOBAL {module}.{name}"] = (
            b"\x80\x02c" + f"{module}\n{name}\n".encode() + call,
            message,
        )
        stack = b"".join(b"\x8c" + bytes([len(s)]) + s.encode() for s in (module, name))
        cases[f"STACK_GLOBAL {module}.{name}"] = (
            b"\x80\x04" + stack + b"\x93" + call,
            message,
        )
    return cases


def _encode_bomb():
    """A 100 kB text encoded 2000 times: 200 MB of bytes from a 120 kB file."""
    setup = b"c_codecs\nencode\nq\x00X\xa0\x86\x01\x00" + b"a" * 100_000
    setup += b"q\x01X\x06\x00\x00\x00latin1q\x02"
    batch = b"(" + b"h\x00h\x01h\x02\x86R" * 1000 + b"e"
    return b"\x80\x02" + setup + b"}U\x01k]" + batch * 2 + b"s."


# ---------------------------------------------------------------------------
# Running hostile input in a child process with a capped address space
# ---------------------------------------------------------------------------


def cap_address_space(extra_bytes):
    """Let this process's address space grow by at most extra_bytes (Linux)."""
    import resource  # POSIX only

    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (size + extra_bytes, hard))


def run_capped_child(code, args=(), timeout=60):
    """Run Python code with args in a child; return its stdout lines as JSON.

    The code should call :func:`cap_address_space` once its imports are done.
    A signal (a crash, or the kernel killing it), a timeout or a non-zero exit
    fails the calling test.
    """
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [TESTS_DIR, env.get("PYTHONPATH")])
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"the child ran over {timeout} s: {exc.stdout!r}"
        ) from None
    if result.returncode < 0:
        raise AssertionError(
            f"the child died of signal {-result.returncode} after "
            f"{result.stdout[-2000:]!r}; stderr: {result.stderr[-2000:]}"
        )
    assert result.returncode == 0, result.stderr[-4000:]
    return [json.loads(line) for line in result.stdout.splitlines()]
