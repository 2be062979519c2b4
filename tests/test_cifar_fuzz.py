"""Hostile and fuzzed CIFAR-10 files: no crash, no hang, bounded memory.

Hostile files and archives are loaded by load_cifar10 in a child process
whose address space is capped; each must be refused with its own ValueError.
Fuzzed input must give either the structure of a CIFAR file (and then the
same values as CPython's unpickler) or a ValueError, in time linear in its
size and within the reader's memory budget. The suite runs a few hundred
inputs in a capped child process; a longer run:

    python tests/test_cifar_fuzz.py 20000            # hypothesis, per strategy
    python tests/test_cifar_fuzz.py --atheris -max_total_time=600 CORPUS_DIR
"""

import io
import pickle
import shutil
import sys
import tarfile
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from cifar_files import (
    cifar_batch,
    cifar_meta,
    dumps,
    hostile_pickles,
    run_capped_child,
    write_cifar_folder,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklinear.datasets import _cifar_pickle
from sklinear.datasets._cifar_pickle import read_cifar_pickle

PROTOCOLS = [None, 2, 3, 4, 5]  # None: as Python 2's cPickle wrote the files


def _seeds():
    rng = np.random.default_rng(0)
    seeds = []
    for protocol in PROTOCOLS:
        for n in (0, 1):
            seeds.append(dumps(cifar_batch("test batch", n, rng)[0], protocol))
        seeds.append(dumps(cifar_meta(3), protocol))
    return seeds


SEEDS = _seeds()
# Pieces of pickles: opcodes with arguments, some valid, some huge or forbidden.
SNIPPETS = [
    *(b"(", b")", b"]", b"}", b"N", b"\x88", b"\x89", b"t", b"\x85", b"\x86"),
    *(b"\x87", b"a", b"e", b"s", b"u", b"R", b"b", b".", b"\x93", b"\x94", b"0"),
    *(b"K\x00", b"K\x01", b"K\x03", b"M\x00\x0c", b"J\xff\xff\xff\xff"),
    *(b"\x8a\x01\x80", b"\x8a\x08" + b"\xff" * 8, b"\x8a\x09" + b"\x01" * 9),
    *(b"U\x01b", b"U\x02u1", b"U\x01|", b"U\x04data", b"U\x06labels"),
    *(b"C\x01b", b"X\x01\x00\x00\x00C", b"\x8c\x02u1", b"\x8c\x05numpy"),
    *(b"\x8c\x05dtype", b"\x8c\x06latin1", b"\x96\x00\x00\x00\x00\x00\x00\x00\x00"),
    *(b"T\xff\xff\xff\x7f", b"B\x00\x0c\x00\x00", b"\x8e" + b"\xff" * 8),
    *(
        b"\x95\x10\x00\x00\x00\x00\x00\x00\x00",
        b"q\x00",
        b"q\x01",
        b"r\x02\x00\x00\x00",
    ),
    *(b"h\x00", b"h\x01", b"j\x05\x00\x00\x00", b"\x80\x02", b"\x80\x05"),
    *(b"cnumpy\ndtype\n", b"cnumpy\nndarray\n", b"c__builtin__\nbytes\n"),
    *(b"cnumpy.core.multiarray\n_reconstruct\n", b"c_codecs\nencode\n"),
    *(b"cnumpy._core.numeric\n_frombuffer\n", b"cos\nsystem\n", b"G?\xf0" + bytes(6)),
    b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb",
    b"\x00" * 3072,
]
INTERESTING = [0, 1, 2, 255, 256, 3072, 2**31 - 1, 2**31, 2**32 - 1, 2**63, 2**64 - 1]


def _mutate(seed, mutations):
    """Apply (kind, position, ...) mutations to a seed; indices wrap around."""
    data = bytearray(SEEDS[seed % len(SEEDS)])
    for kind, pos, *args in mutations:
        pos %= len(data) + 1
        if kind == "flip" and pos < len(data):
            data[pos] ^= 1 << args[0]
        elif kind == "insert":
            data[pos:pos] = SNIPPETS[args[0] % len(SNIPPETS)]
        elif kind == "delete":
            del data[pos : pos + args[0]]
        elif kind == "duplicate":
            data[pos:pos] = data[pos : pos + args[0]]
        elif kind == "truncate":
            del data[pos:]
        elif kind == "splice":
            other = SEEDS[args[0] % len(SEEDS)]
            data[pos:] = other[args[1] % (len(other) + 1) :]
        elif kind == "int":
            size, value = args
            data[pos : pos + size] = (value % 256**size).to_bytes(size, "little")
    return bytes(data)


_position = st.integers(0, 10**5)
mutations = st.one_of(
    st.tuples(st.just("flip"), _position, st.integers(0, 7)),
    st.tuples(st.just("insert"), _position, st.integers(0, 99)),
    st.tuples(st.just("delete"), _position, st.integers(1, 16)),
    st.tuples(st.just("duplicate"), _position, st.integers(1, 64)),
    st.tuples(st.just("truncate"), _position),
    st.tuples(st.just("splice"), _position, st.integers(0, 99), _position),
    st.tuples(
        st.just("int"),
        _position,
        st.sampled_from([1, 4, 8]),
        st.sampled_from(INTERESTING),
    ),
)
mutated_pickles = st.builds(
    _mutate, st.integers(0, 99), st.lists(mutations, min_size=1, max_size=4)
)
opcode_streams = st.lists(st.integers(0, len(SNIPPETS) - 1), max_size=60).map(
    lambda parts: b"\x80\x02" + b"".join(SNIPPETS[i] for i in parts) + b"."
)


@st.composite
def cifar_like(draw):
    """A dict of the accepted structure and a protocol to pickle it with."""
    protocol = draw(st.sampled_from(PROTOCOLS))
    high = 2**31 if protocol is None else 2**63  # cPickle's BININT: 32 bits
    ints = st.integers(-high, high - 1)
    byte_strings = st.binary(max_size=300)
    values = st.one_of(
        ints,
        byte_strings,
        st.lists(ints, max_size=1100),  # more than one batch of 1000 items
        st.lists(byte_strings, max_size=20),
    )
    content = draw(
        st.dictionaries(st.binary(min_size=1, max_size=12), values, max_size=5)
    )
    if draw(st.booleans()):
        rows = draw(st.integers(0, 2))
        content[b"data"] = np.frombuffer(
            draw(st.binary(min_size=rows * 3072, max_size=rows * 3072)), np.uint8
        ).reshape(rows, 3072)
    return content, protocol


# -- the properties -----------------------------------------------------------

COUNTS = Counter()
_SLACK = 256 * 2**10  # the stack (4096 entries), frames and small temporaries


class _CPythonReader(pickle.Unpickler):
    """CPython's unpickler, with the globals the reader interprets."""

    def find_class(self, module, name):
        if (module, name) not in _cifar_pickle._GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name}")
        return super().find_class(module, name)


def _check_structure(content):
    assert type(content) is dict and len(content) <= 16
    arrays = {id(v) for v in content.values() if isinstance(v, np.ndarray)}
    assert len(arrays) <= 1
    for key, value in content.items():
        assert type(key) is str
        if isinstance(value, np.ndarray):
            assert value.dtype == np.uint8 and value.ndim == 2
            assert value.shape[1] == 3072 and value.flags.c_contiguous
        elif type(value) is list:
            assert {type(item) for item in value} <= {int} or {
                type(item) for item in value
            } <= {bytes}
        else:
            assert type(value) in (int, bytes)


def _same(ours, theirs):
    if isinstance(ours, np.ndarray):
        return (
            isinstance(theirs, np.ndarray)
            and theirs.dtype == np.uint8
            and np.array_equal(ours, theirs)
        )
    return type(ours) is type(theirs) and ours == theirs


def _parse(data):
    """The reader's result or ValueError, after checking the memory it used."""
    tracing = tracemalloc.is_tracing()  # on for a long run, else per input
    if tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    try:
        return read_cifar_pickle(data, "fuzz")
    finally:
        peak = tracemalloc.get_traced_memory()[1] - before
        if not tracing:
            tracemalloc.stop()
        limit = _cifar_pickle._BUDGET_PER_BYTE * len(data) + _cifar_pickle._BUDGET_BASE
        assert peak <= limit + _SLACK, (peak, len(data))


def check_input(data):
    """The property: a CIFAR structure equal to CPython's reading, or ValueError."""
    try:
        content = _parse(data)
    except ValueError as exc:
        assert str(exc).startswith("fuzz is not a readable CIFAR-10 pickle: at byte ")
        COUNTS["rejected"] += 1
        return "rejected"
    _check_structure(content)
    theirs = _CPythonReader(io.BytesIO(data), encoding="bytes").load()
    assert {key.encode("latin-1") for key in content} == set(theirs)
    for key, value in content.items():
        assert _same(value, theirs[key.encode("latin-1")]), key
    COUNTS["accepted"] += 1
    return "accepted"


def run_fuzz(max_examples):
    """Run every strategy for max_examples inputs; return the outcome counts."""
    config = settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )

    @config
    @given(mutated_pickles)
    def fuzz_mutations(data):
        check_input(data)

    @config
    @given(opcode_streams)
    def fuzz_opcode_streams(data):
        check_input(data)

    @config
    @given(cifar_like())
    def fuzz_round_trip(case):
        content, protocol = case
        data = dumps(content, protocol)
        assert check_input(data) == "accepted"
        ours = read_cifar_pickle(data, "fuzz")
        assert list(ours) == [key.decode("latin-1") for key in content]
        assert all(_same(ours[key.decode("latin-1")], v) for key, v in content.items())

    for fuzz in (fuzz_mutations, fuzz_opcode_streams, fuzz_round_trip):
        fuzz()
    return dict(COUNTS)


def run_hostile():
    """Every hostile pickle is refused, within the memory budget."""
    for name, (data, message) in hostile_pickles().items():
        with pytest.raises(ValueError, match="fuzz is not a readable") as error:
            _parse(data)
        assert message in str(error.value), name
        COUNTS["hostile"] += 1
    return dict(COUNTS)


# -- the tests ------------------------------------------------------------------

_CHILD = """
import json, sys
import test_cifar_fuzz as fuzz
from cifar_files import cap_address_space
cap_address_space(256 * 2**20)
fuzz.run_hostile()
print(json.dumps(fuzz.run_fuzz(int(sys.argv[1]))), flush=True)
"""
N_EXAMPLES = 100  # per strategy: about 5 s in all, with the imports


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux rlimits")
def test_fuzz_the_reader_in_a_capped_child():
    [counts] = run_capped_child(_CHILD, [str(N_EXAMPLES)], timeout=180)
    assert counts["hostile"] == len(hostile_pickles())
    assert counts["accepted"] + counts["rejected"] >= 3 * N_EXAMPLES
    assert counts["accepted"] >= N_EXAMPLES  # the round trips at least
    assert counts["rejected"] >= N_EXAMPLES


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux rlimits")
@pytest.mark.parametrize(
    "code, what",
    [
        ("import ctypes; ctypes.string_at(0)", "signal 11"),
        ("b = bytearray(600 * 2**20)", "MemoryError"),
        ("import time; time.sleep(60)", "ran over 2 s"),
    ],
)
def test_the_capped_child_reports_crashes_memory_errors_and_hangs(code, what):
    child = (
        f"from cifar_files import cap_address_space\ncap_address_space(2**28)\n{code}"
    )
    with pytest.raises(AssertionError, match=what):
        run_capped_child(child, timeout=2 if "sleep" in code else 60)


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_cuts_of_a_valid_file_are_refused(seed):
    data = SEEDS[seed]
    assert check_input(data) == "accepted"
    step = 1 if len(data) < 3072 else 7  # every cut, or every 7th in pixels
    for end in range(0, len(data), step):
        with pytest.raises(ValueError, match="is not a readable CIFAR-10 pickle"):
            read_cifar_pickle(data[:end], "cut")


@pytest.mark.parametrize("protocol", [None, 2, 5])
def test_a_full_size_batch_needs_little_more_memory_than_its_size(protocol):
    # 10000 images as in the real batches: the reader's objects take little
    # more than the pixels, far below its budget of 4 bytes per file byte.
    batch, images, labels = cifar_batch(
        "training batch 1 of 5", 10000, np.random.default_rng(1)
    )
    data = dumps(batch, protocol)
    tracemalloc.start()
    try:
        content = read_cifar_pickle(data, "full")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.1 * len(data), peak / len(data)
    assert content["labels"] == labels and len(content["filenames"]) == 10000
    np.testing.assert_array_equal(content["data"], batch[b"data"])


# -- hostile files and archives through load_cifar10 ------------------------

# Hostile files, each loaded by load_cifar10 in a child process whose address
# space may only grow by 512 MiB: a crash (signal), a hang or a MemoryError
# fails the test, and each must be refused with its own ValueError.
_HOSTILE = hostile_pickles()


def _loading_child(cap_mib):
    """The script of a child that caps its address space growth at
    ``cap_mib`` MiB, loads each path of its argv with load_cifar10 and prints
    ``[path, outcome]`` for each: "loaded" or the ValueError's message."""
    return f"""
import json, sys
from cifar_files import cap_address_space
from sklinear.datasets import load_cifar10
cap_address_space({cap_mib} * 2**20)
for path in sys.argv[1:]:
    try:
        load_cifar10(path)
        outcome = "loaded"
    except ValueError as exc:
        outcome = str(exc)
    print(json.dumps([path, outcome]), flush=True)
"""


@pytest.fixture(scope="module")
def hostile_outcomes(tmp_path_factory):
    if not sys.platform.startswith("linux"):
        pytest.skip("the child's address space is capped through /proc and rlimit")
    root = tmp_path_factory.mktemp("hostile")
    folder, _ = write_cifar_folder(root / "valid", n_per_batch=1)
    folders = []
    for i, (data, _) in enumerate(_HOSTILE.values()):
        case = root / f"case{i}"
        shutil.copytree(folder, case)
        (case / "test_batch").write_bytes(data)
        folders.append(str(case))
    outcomes = run_capped_child(_loading_child(512), folders, timeout=180)
    return {Path(folder).name: outcome for folder, outcome in outcomes}


@pytest.mark.parametrize("index, name", list(enumerate(_HOSTILE)))
def test_load_cifar10_refuses_hostile_file(hostile_outcomes, index, name):
    outcome = hostile_outcomes.get(f"case{index}", "the child stopped before it")
    assert "test_batch' is not a readable CIFAR-10 pickle" in outcome, outcome
    assert _HOSTILE[name][1] in outcome, outcome


def _archive_bombs(root):
    """{archive: message}: small .tar.gz files that tarfile alone would
    unpack into tens of MB (pax header, member) or a thousand members."""
    folder, _ = write_cifar_folder(root / "valid", n_per_batch=1)
    bombs = {}
    for name, message in [
        ("pax", "is not a tar archive (a tar header or member of 335"),
        ("zeros", "unpacks to over 16 times its size"),
        ("members", "more than 64 members"),
    ]:
        archive = root / f"{name}.tar.gz"
        with tarfile.open(
            archive, "w:gz", compresslevel=1, format=tarfile.PAX_FORMAT
        ) as tar:
            if name == "pax":  # tarfile reads the whole header into memory
                info = tarfile.TarInfo("readme.html")
                info.pax_headers = {"comment": "a" * (32 * 2**20)}
                tar.addfile(info, io.BytesIO())
            elif name == "zeros":  # skipped by decompressing it all
                info = tarfile.TarInfo("zeros.bin")
                info.size = 32 * 2**20
                tar.addfile(info, _Zeros(info.size))
            else:
                for i in range(1000):
                    tar.addfile(tarfile.TarInfo(f"empty{i}"), io.BytesIO())
            tar.add(folder, arcname="cifar-10-batches-py")
        bombs[str(archive)] = message
    return bombs


class _Zeros(io.RawIOBase):
    """A stream of size zero bytes, made as it is read."""

    def __init__(self, size):
        self.left = size

    def readinto(self, buffer):
        n_bytes = min(len(buffer), self.left)
        buffer[:n_bytes] = bytes(n_bytes)
        self.left -= n_bytes
        return n_bytes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux rlimits")
def test_load_cifar10_refuses_archive_bombs_in_a_capped_child(tmp_path):
    bombs = _archive_bombs(tmp_path)
    outcomes = dict(run_capped_child(_loading_child(256), list(bombs), timeout=120))
    for archive, message in bombs.items():
        assert message in outcomes[archive], outcomes[archive]


def _atheris_main():
    """A longer run under libFuzzer: python tests/test_cifar_fuzz.py --atheris ..."""
    import atheris  # optional: pip install atheris
    from cifar_files import cap_address_space

    def one_input(data):
        check_input(data)  # any exception but ValueError is a finding

    # Coverage feedback from the reader's code only (not numpy's or sklearn's).
    for name, function in vars(_cifar_pickle._Reader).items():
        if callable(function):
            setattr(_cifar_pickle._Reader, name, atheris.instrument_func(function))
    run_hostile()
    cap_address_space(1 << 30)
    tracemalloc.start()  # once: starting it per input grows the process
    atheris.Setup([arg for arg in sys.argv if arg != "--atheris"], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    if "--atheris" in sys.argv:
        _atheris_main()
    else:
        from cifar_files import cap_address_space

        cap_address_space(1 << 30)
        run_hostile()
        print(run_fuzz(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
