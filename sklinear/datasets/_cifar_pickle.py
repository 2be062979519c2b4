"""Read the pickles of CIFAR-10's python version without unpickling them.

The batches were written by Python 2's cPickle at protocol 2: a dict of
byte-string keys to ints, byte strings, lists of ints or of byte strings and
one uint8 array of N x 3072 pixels. Unpickling runs what the file's globals
name, and even numpy's own array rebuilding lets a small file make an object
array of pointers it chose or claim many gigabytes. Here a stack machine reads
the opcodes of genuine files (and of Python 3's, protocols 2 to 5), recognises
numpy's dtype and array calls by their structure and makes only dicts, lists,
ints and bytes, and at the end the array, with :func:`numpy.frombuffer` over
bytes of the file. Each bound is checked before the thing is made: lengths
(against the bytes left and the FRAME), the stack (``_MAX_STACK`` entries),
tuples (8 items, one level of nesting), dicts (16 keys, no dict values),
lists (ints or bytes only), so nothing nests deeper than dict > list or
recurses on the input; memo ids (counting up from 0 or 1, as picklers write
them); and the memory of the objects made (``_BUDGET_PER_BYTE`` bytes per
byte of the file plus ``_BUDGET_BASE``). Every problem raises ValueError
naming the file, the byte offset and what is wrong.
"""

import enum
import pickletools
import sys

import numpy as np

ROW_BYTES = 3 * 32 * 32  # one image: the red, green and blue 32 x 32 planes
_MAX_STACK = 4096  # both picklers push items in batches of 1000
_MAX_TUPLE = 8  # the longest tuple in a CIFAR pickle is numpy's dtype state
_MAX_DICT_KEYS = 16  # a batch has 4 keys, batches.meta 3
_MAX_INT_BYTES = 8  # LONG1 integers: int64 at most
_MAX_NAME = 64  # module and attribute names of the globals
_BUDGET_PER_BYTE = 4
_BUDGET_BASE = 2**20


class _Marker(enum.Enum):
    """What the file may name or make besides plain values; nothing is called."""

    RECONSTRUCT = "numpy's _reconstruct"
    NDARRAY = "numpy.ndarray"
    DTYPE = "numpy.dtype"
    FROMBUFFER = "numpy's _frombuffer"
    ENCODE = "_codecs.encode"
    BYTES = "bytes"
    NEW_DTYPE = "numpy.dtype('u1') before its BUILD"
    UINT8 = "numpy.dtype('u1')"
    NEW_ARRAY = "a numpy array before its BUILD"


# numpy moved numpy.core to numpy._core in version 2. Python 3 pickles bytes at
# protocol 2 as _codecs.encode(text, "latin1"), and b"" as bytes().
_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _Marker.RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _Marker.RECONSTRUCT,
    ("numpy", "ndarray"): _Marker.NDARRAY,
    ("numpy", "dtype"): _Marker.DTYPE,
    ("numpy.core.numeric", "_frombuffer"): _Marker.FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _Marker.FROMBUFFER,
    ("_codecs", "encode"): _Marker.ENCODE,
    ("__builtin__", "bytes"): _Marker.BYTES,
    ("builtins", "bytes"): _Marker.BYTES,
}
_CALLABLE = (_Marker.ENCODE, _Marker.DTYPE, _Marker.RECONSTRUCT, _Marker.FROMBUFFER)
_CALLS = {marker: marker.name.lower() for marker in _CALLABLE}  # their methods
# numpy.dtype("u1").__reduce__()[2]; Python 2 wrote the byte order as a str.
_UINT8_STATES = tuple((3, order, None, None, None, -1, -1, 0) for order in (b"|", "|"))
_EMPTY_ARRAYS = tuple((_Marker.NDARRAY, (0,), code) for code in (b"b", "b"))


class _Rows(tuple):
    """The array, once its BUILD has been checked: (number of rows, data)."""

    __slots__ = ()

    def __repr__(self):
        return "a numpy array"


# The opcodes of genuine and re-pickled CIFAR files: code -> (method, arguments),
# where integer and length fields are given by their size in bytes.
_OPCODES = {
    b"\x80": ("proto",),  # PROTO
    b"\x95": ("frame",),  # FRAME
    b".": ("stop",),  # STOP
    b"(": ("mark",),  # MARK
    b"N": ("push", None),  # NONE
    b"\x88": ("push", True),  # NEWTRUE
    b"\x89": ("push", False),  # NEWFALSE
    b")": ("push", ()),  # EMPTY_TUPLE
    b"}": ("push_new", dict),  # EMPTY_DICT
    b"]": ("push_new", list),  # EMPTY_LIST
    b"K": ("push_int", 1, False),  # BININT1
    b"M": ("push_int", 2, False),  # BININT2
    b"J": ("push_int", 4, True),  # BININT
    b"\x8a": ("push_int", None, True),  # LONG1
    b"U": ("push_string", 1, bytes),  # SHORT_BINSTRING: a Python 2 str
    b"T": ("push_string", 4, bytes, True),  # BINSTRING
    b"C": ("push_string", 1, bytes),  # SHORT_BINBYTES
    b"B": ("push_string", 4, bytes),  # BINBYTES
    b"\x8e": ("push_string", 8, bytes),  # BINBYTES8
    b"\x96": ("push_string", 8, bytearray),  # BYTEARRAY8: protocol 5 array data
    b"\x8c": ("push_string", 1, str),  # SHORT_BINUNICODE
    b"X": ("push_string", 4, str),  # BINUNICODE
    b"\x8d": ("push_string", 8, str),  # BINUNICODE8
    b"q": ("put", 1),  # BINPUT
    b"r": ("put", 4),  # LONG_BINPUT
    b"\x94": ("put", 0),  # MEMOIZE
    b"h": ("get", 1),  # BINGET
    b"j": ("get", 4),  # LONG_BINGET
    b"t": ("push_tuple", None),  # TUPLE (from the MARK)
    b"\x85": ("push_tuple", 1),  # TUPLE1
    b"\x86": ("push_tuple", 2),  # TUPLE2
    b"\x87": ("push_tuple", 3),  # TUPLE3
    b"a": ("append", 1),  # APPEND
    b"e": ("append", None),  # APPENDS
    b"s": ("setitems", 2),  # SETITEM
    b"u": ("setitems", None),  # SETITEMS
    b"c": ("global_",),  # GLOBAL
    b"\x93": ("stack_global",),  # STACK_GLOBAL
    b"R": ("reduce",),  # REDUCE
    b"b": ("build",),  # BUILD
}
_OPCODES = {code[0]: spec for code, spec in _OPCODES.items()}
_OPCODE_NAMES = {op.code.encode("latin-1")[0]: op.name for op in pickletools.opcodes}


def _describe(value):
    """A short description of a value for error messages."""
    if type(value) in (bytes, str):
        return repr(value[:40]) + ("..." if len(value) > 40 else "")
    if type(value) is tuple:  # nests one level at most
        items = ", ".join(_describe(item) for item in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if type(value) in (list, dict, bytearray):
        return f"a {type(value).__name__} of {len(value)} items"
    if type(value) is _Marker:
        return value.value
    return repr(value)  # ints have 8 bytes at most


def _is_one_of(value, forms):
    """value == one of forms, item by item with equal types (1 is not True)."""

    def same(a, b):
        if type(a) is not type(b):
            return False
        if type(a) is tuple:  # tuples nest one level at most
            return len(a) == len(b) and all(map(same, a, b))
        return a == b

    return any(same(value, form) for form in forms)


class _Reader:
    """A validating stack machine over the bytes of one pickle."""

    def __init__(self, data, source):
        self.data, self.source = data, source
        self.pos = self.op_pos = 0
        self.stack, self.marks, self.memo = [], [], []
        self.memo_base = self.frame_end = None  # first memo id (0 or 1), FRAME end
        self.budget = self.limit = _BUDGET_PER_BYTE * len(data) + _BUDGET_BASE
        self.n_arrays = 0

    def fail(self, problem):
        raise ValueError(
            f"{self.source} is not a readable CIFAR-10 pickle: at byte "
            f"{self.op_pos}, {problem}."
        )

    def read(self):
        """Run the opcodes up to STOP and return the checked top-level dict."""
        if self.data[:1] != b"\x80":
            self.fail("it does not start with a pickle PROTO opcode")
        while self.pos < len(self.data):
            self.op_pos = self.pos
            code = self.data[self.take(1)]
            if code not in _OPCODES:
                name = _OPCODE_NAMES.get(code, f"{code:#04x}")
                self.fail(f"opcode {name}, which CIFAR-10 files do not use")
            method, *args = _OPCODES[code]
            if method == "stop":
                return self.result()
            getattr(self, method)(*args)
        self.fail("the file ends before the pickle's STOP opcode")

    def opname(self):
        return _OPCODE_NAMES[self.data[self.op_pos]]

    def take(self, size):
        """Where the next size bytes start, after checking that they are there."""
        remaining = len(self.data) - self.pos
        if size > remaining:
            self.fail(f"{self.opname()} claims {size} bytes but {remaining} remain")
        if self.pos == self.frame_end:  # past a FRAME: unframed opcodes follow
            self.frame_end = None
        elif self.frame_end is not None and self.pos + size > self.frame_end:
            self.fail(f"{self.opname()} runs past the end of its FRAME")
        start, self.pos = self.pos, self.pos + size
        return start

    def uint(self, size, signed=False):
        start = self.take(size)
        return int.from_bytes(self.data[start : self.pos], "little", signed=signed)

    def charge(self, n_bytes):
        """Count the memory of an object made; fail once over the budget."""
        self.budget -= n_bytes
        if self.budget < 0:
            self.fail(
                f"the file would make more than {self.limit} bytes of objects "
                f"({_BUDGET_PER_BYTE} per byte of the file plus {_BUDGET_BASE})"
            )

    def check_room(self):
        if len(self.stack) + len(self.marks) >= _MAX_STACK:
            self.fail(f"more than {_MAX_STACK} values and marks on the stack")

    def push(self, value):
        self.check_room()
        self.stack.append(value)

    def mark(self):
        self.check_room()
        self.marks.append(len(self.stack))

    def pop(self, n_items=1):
        """The top n_items above the last MARK, or all of them if None."""
        if n_items is None:
            if not self.marks:
                self.fail(f"{self.opname()} without a MARK")
            start = self.marks.pop()
        else:
            start = len(self.stack) - n_items
            if start < (self.marks[-1] if self.marks else 0):
                self.fail(f"{self.opname()} on too few values")
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def peek(self):  # the top value, which must lie above the last MARK
        self.stack.append(self.pop()[0])
        return self.stack[-1]

    def proto(self):
        version = self.uint(1)
        if self.op_pos != 0 or not 2 <= version <= 5:
            self.fail(f"PROTO {version}; CIFAR-10 files start with protocol 2 to 5")

    def frame(self):  # as in pickle, no opcode may cross the end of a frame
        size = self.uint(8)
        if self.frame_end not in (None, self.pos):
            self.fail("a FRAME before the end of the previous one")
        self.frame_end = None
        self.pos = self.take(size)  # checks that the frame's bytes are there
        self.frame_end = self.pos + size

    def result(self):
        if len(self.stack) != 1 or self.marks or type(self.stack[0]) is not dict:
            values = ", ".join(_describe(value) for value in self.stack[:3])
            self.fail(f"STOP leaves [{values}]; CIFAR-10 files leave one dict")
        content = self.stack[0]
        if self.pos != len(self.data):
            self.fail(f"{len(self.data) - self.pos} bytes follow the STOP opcode")
        return {
            key.decode("latin-1"): self.finish(key, v) for key, v in content.items()
        }

    def finish(self, key, value):
        """The value stored under key, with the array made at last."""
        if type(value) is list and len({type(item) for item in value}) > 1:
            self.fail(f"the list under {_describe(key)} mixes ints and byte strings")
        if type(value) is _Rows:  # a view: it keeps only these bytes alive
            rows = np.frombuffer(value[1], np.uint8).reshape(value[0], ROW_BYTES)
            rows.flags.writeable = False  # as over bytes, when over a bytearray
            return rows
        return value

    def push_new(self, kind):
        value = kind()
        self.charge(sys.getsizeof(value))
        self.push(value)

    def push_int(self, size, signed):
        if size is None:  # LONG1 gives its size first
            size = self.uint(1)
            if size > _MAX_INT_BYTES:
                self.fail(f"an integer of {size} bytes; CIFAR-10 files hold small ones")
        value = self.uint(size, signed)
        if not -5 <= value <= 256:  # CPython shares the small ints
            self.charge(sys.getsizeof(value))
        self.push(value)

    def push_string(self, size, kind, signed=False):
        """Push bytes (a Python 2 str too), a bytearray or text (UTF-8)."""
        size = self.uint(size, signed)
        if size < 0:
            self.fail(f"{self.opname()} of negative length {size}")
        start = self.take(size)
        view = memoryview(self.data)[start : self.pos]  # no copy until kind()
        try:
            value = str(view, "utf-8") if kind is str else kind(view)
        except UnicodeDecodeError as exc:
            self.fail(f"{self.opname()} is not UTF-8 ({exc.reason})")
        self.charge(sys.getsizeof(value))
        self.push(value)

    def put(self, size):
        value = self.peek()
        memo_id = self.uint(size) if size else len(self.memo)  # MEMOIZE's id
        if self.memo_base is None:  # 0 or 1; a larger first id fails below
            self.memo_base = min(memo_id, 1)
        expected = self.memo_base + len(self.memo)
        if memo_id != expected:
            self.fail(f"memo id {memo_id} out of order (expected {expected})")
        self.charge(16)
        self.memo.append(value)

    def get(self, size):
        memo_id = self.uint(size)
        index = memo_id - (self.memo_base or 0)
        if not 0 <= index < len(self.memo):
            self.fail(f"memo id {memo_id}, which was never stored")
        self.push(self.memo[index])

    def push_tuple(self, n_items):
        items = self.pop(n_items)
        if len(items) > _MAX_TUPLE:
            self.fail(f"a tuple of {len(items)} items; CIFAR-10 tuples have 8 at most")
        for item in items:
            if type(item) in (list, dict, _Rows):
                self.fail(f"a tuple holding {_describe(item)}")
            if type(item) is tuple and any(type(inner) is tuple for inner in item):
                self.fail("tuples nested three deep; CIFAR-10 files nest two")
        self.charge(sys.getsizeof(()) + 8 * len(items))
        self.push(tuple(items))

    def append(self, n_items):
        items = self.pop(n_items)
        target = self.peek()
        if type(target) is not list:
            self.fail(f"{self.opname()} to {_describe(target)}, not to a list")
        for item in items:
            if type(item) not in (int, bytes):
                self.fail(f"a list item that is {_describe(item)}, not an int or bytes")
        self.charge(16 * len(items))  # a slot, and room for the list to grow
        target.extend(items)

    def setitems(self, n_items):
        items = self.pop(n_items)
        target = self.peek()
        if type(target) is not dict or len(items) % 2:
            self.fail(f"{self.opname()} of {len(items)} values to {_describe(target)}")
        for key, value in zip(items[::2], items[1::2]):
            if type(key) is not bytes:
                self.fail(f"a dict key that is {_describe(key)}, not bytes")
            if type(value) not in (int, bytes, list, _Rows):
                self.fail(f"the value of {_describe(key)} is {_describe(value)}")
            self.charge(80)
            target[key] = value
            if len(target) > _MAX_DICT_KEYS:
                self.fail(f"a dict of more than {_MAX_DICT_KEYS} keys")

    def push_global(self, module, name):
        if (module, name) not in _GLOBALS:
            self.fail(
                f"it references the global {module + '.' + name!r}, which a "
                "CIFAR-10 file never does; refusing to load it"
            )
        self.push(_GLOBALS[module, name])

    def line(self):
        end = self.data.find(b"\n", self.pos, self.pos + _MAX_NAME + 1)
        if end < 0 or not self.data[self.pos : end].isascii():
            self.fail(f"GLOBAL names that are not ASCII lines of {_MAX_NAME} bytes")
        start = self.take(end + 1 - self.pos)
        return self.data[start:end].decode("ascii")

    def global_(self):
        self.push_global(self.line(), self.line())  # the module, then the name

    def stack_global(self):
        module, name = self.pop(2)
        if type(module) is not str or type(name) is not str:
            self.fail(f"STACK_GLOBAL of {_describe(module)} and {_describe(name)}")
        self.push_global(module[:_MAX_NAME], name[:_MAX_NAME])

    def reduce(self):
        """A call: five shapes of call are interpreted, and none is made."""
        func, args = self.pop(2)
        if type(args) is not tuple:
            self.fail(f"a call with the arguments {_describe(args)}, not a tuple")
        if func is _Marker.BYTES and not args:
            self.push(b"")
        elif type(func) is _Marker and func in _CALLS:
            self.push(getattr(self, _CALLS[func])(args))
        else:
            self.fail(f"a call of {_describe(func)} with {_describe(args)}")

    def encode(self, args):
        """_codecs.encode(text, 'latin1'): bytes pickled by Python 3, protocol 2."""
        if len(args) != 2 or type(args[0]) is not str or args[1] != "latin1":
            self.fail(f"_codecs.encode{_describe(args)}; expected (text, 'latin1')")
        self.charge(sys.getsizeof(b"") + len(args[0]))
        try:
            return args[0].encode("latin-1")
        except UnicodeEncodeError:
            self.fail("_codecs.encode of text beyond latin-1")

    def dtype(self, args):
        """numpy.dtype('u1', 0, 1), to be completed by its BUILD."""
        if len(args) != 3 or not _is_one_of(args[0], ("u1", b"u1")):
            self.fail(f"numpy.dtype{_describe(args)}; CIFAR-10 data is uint8 ('u1')")
        flags_ok = _is_one_of(args[1], (0, False))
        if not flags_ok or not _is_one_of(args[2], (0, 1, False, True)):
            self.fail(f"numpy.dtype{_describe(args)}; expected ('u1', 0, 1)")
        return _Marker.NEW_DTYPE

    def reconstruct(self, args):
        """numpy's _reconstruct(ndarray, (0,), b'b'): empty until its BUILD."""
        if not _is_one_of(args, _EMPTY_ARRAYS):
            self.fail(f"_reconstruct{_describe(args)}; expected (ndarray, (0,), b'b')")
        self.count_array()
        return _Marker.NEW_ARRAY

    def frombuffer(self, args):
        """numpy's _frombuffer(data, dtype, shape, order), protocol 5."""
        if len(args) != 4 or args[3] != "C":
            self.fail(f"_frombuffer{_describe(args)}; expected a C-order array")
        self.check_array(args[1], args[2], args[0], (bytes, bytearray))
        self.count_array()
        return _Rows((args[2][0], args[0]))

    def count_array(self):
        self.n_arrays += 1
        if self.n_arrays > 1:
            self.fail("a second array; CIFAR-10 files hold one")
        self.charge(64)

    def check_array(self, dtype, shape, raw, raw_types=(bytes,)):
        """Check dtype, shape (N, 3072) and data size before the array is made."""
        if dtype is not _Marker.UINT8:
            self.fail(f"an array of dtype {_describe(dtype)}, not numpy.dtype('u1')")
        if type(raw) not in raw_types:
            self.fail(f"array data that is {_describe(raw)}, not bytes")
        sizes_ok = type(shape) is tuple and len(shape) == 2
        sizes_ok = sizes_ok and all(type(size) is int and size >= 0 for size in shape)
        if not sizes_ok or shape[1] != ROW_BYTES:
            self.fail(
                f"an array of shape {_describe(shape)}; CIFAR-10 data is (N, 3072)"
            )
        if shape[0] * ROW_BYTES != len(raw):
            self.fail(f"an array of shape {shape} with {len(raw)} bytes of data")

    def build(self):
        """numpy's __setstate__ of the dtype or of the array, checked, not run."""
        (state,) = self.pop()
        target = self.peek()
        if target is _Marker.NEW_DTYPE:
            if not _is_one_of(state, _UINT8_STATES):
                self.fail(f"the dtype state {_describe(state)}, not that of uint8")
            self.stack[-1] = _Marker.UINT8
        elif target is _Marker.NEW_ARRAY:
            if type(state) is not tuple or len(state) != 5 or state[0] != 1:
                self.fail(f"the array state {_describe(state)}; expected 5 items")
            _, shape, dtype, fortran, raw = state
            if not _is_one_of(fortran, (0, False)):
                self.fail(f"is_fortran={_describe(fortran)}; expected C order")
            self.check_array(dtype, shape, raw)
            self.stack[-1] = _Rows((shape[0], raw))
        else:
            self.fail(f"BUILD of {_describe(target)}; only numpy's dtype and ndarray")


def read_cifar_pickle(data, source):
    """Parse the bytes of one CIFAR-10 pickle without unpickling them.

    Parameters
    ----------
    data : bytes
        The whole file.
    source : str
        How error messages name the file.

    Returns
    -------
    content : dict
        The file's keys decoded as latin-1, mapping to ints, bytes, lists of
        ints or of bytes, or one read-only uint8 array of shape (N, 3072).

    Raises
    ------
    ValueError
        If data is anything but such a dict, pickled by Python 2's cPickle or
        by Python 3 at protocols 2 to 5.
    """
    return _Reader(bytes(data), source).read()
