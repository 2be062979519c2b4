"""Find the files of CIFAR-10's python version and read them safely.

The folder or the archive is read file by file. Each file's size is checked
(from the file system or its tar header) before it is read, and its bytes go
to :func:`~sklinear.datasets._cifar_pickle.read_cifar_pickle`, which never unpickles
them. tarfile reads the archive through :class:`_BoundedStream`, which bounds
what a small archive can make it read. The values are checked again here
before numpy sees them.
"""

import bz2
import gzip
import lzma
import os
import tarfile
import zlib
from pathlib import Path

import numpy as np

from ._cifar_pickle import read_cifar_pickle

MAX_FILE_BYTES = 128 * 2**20  # a real batch has 31 MB; Python 3 protocol 2, 46 MB
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
FILES = (*TRAIN_BATCHES, "test_batch", "batches.meta")
URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
# The real archive has 9 members and unpacks to 1.08 times its size; its pax
# headers, if any, have a few hundred bytes.
_MAX_MEMBERS = 64
_ARCHIVE_RATIO = 16
_MAX_TAR_HEADER = 2**20
_COMPRESSIONS = (
    (b"\x1f\x8b", gzip.open),
    (b"BZh", bz2.open),
    (b"\xfd7zXZ\x00", lzma.open),
)


def read_cifar_file(file, size, source):
    """Read a CIFAR-10 pickle of ``size`` bytes from a binary file object.

    The size is checked first, against :data:`MAX_FILE_BYTES`, so a file or a
    tar member that claims to be huge is refused before it is read.
    """
    if size > MAX_FILE_BYTES:
        raise ValueError(
            f"{source} has {size} bytes; a CIFAR-10 file has about 31 MB, and "
            f"files over {MAX_FILE_BYTES} bytes are refused."
        )
    data = file.read(size)
    if len(data) != size:
        raise ValueError(f"{source} ends after {len(data)} of its {size} bytes.")
    return read_cifar_pickle(data, source)


def _read_cifar_folder(folder):
    """Read the CIFAR files of an extracted ``cifar-10-batches-py``."""
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 folder '{folder}' lacks {', '.join(missing)}; expected "
            f"the files {', '.join(FILES)}."
        )
    contents = {}
    for name in FILES:
        with open(folder / name, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            contents[name] = read_cifar_file(file, size, f"'{folder / name}'")
    return contents


def _read_cifar_archive(archive):
    """Read the CIFAR files straight out of the .tar.gz, in one pass."""
    try:
        return _read_cifar_members(archive)
    except (FileNotFoundError, PermissionError):
        raise
    except (EOFError, OSError, tarfile.TarError, zlib.error, lzma.LZMAError) as exc:
        # A download cut short ends the compressed stream early; bzip2 and
        # gzip report corrupt data as OSError.
        raise ValueError(
            f"'{archive}' is truncated or corrupt ({type(exc).__name__}: {exc}); "
            f"download {ARCHIVE} again from {URL}"
        ) from exc


class _BoundedStream:
    """The decompressed archive, as tarfile reads it, within bounds.

    tarfile reads a pax or GNU long-name header whole, whatever size it
    claims, and skips a member by decompressing it, so a small archive could
    make it allocate or work without end. Here one read takes at most
    ``max_read`` bytes (a member's size while that member is read), and reads
    and skips together at most ``left`` bytes.
    """

    def __init__(self, file, left):
        self.file, self.left, self.max_read = file, left, _MAX_TAR_HEADER

    def count(self, n_bytes):
        self.left -= n_bytes
        if self.left < 0:
            raise tarfile.ReadError(
                f"the archive unpacks to over {_ARCHIVE_RATIO} times its size"
            )

    def read(self, size=-1):
        if not 0 <= size <= self.max_read:
            raise tarfile.ReadError(f"a tar header or member of {size} bytes")
        self.count(size)
        return self.file.read(size)

    def seek(self, offset, whence=os.SEEK_SET):
        """Seek as tarfile does (from the start); gzip decompresses the way."""
        if whence != os.SEEK_SET:
            raise tarfile.ReadError("a seek from the end or the current position")
        start = self.file.tell()  # back means from the beginning again
        self.count(offset - start if offset >= start else offset)
        return self.file.seek(offset)

    def tell(self):
        return self.file.tell()


def _open_decompressed(archive):
    """The archive's tar stream: gzip, bzip2 and xz are read as tarfile would."""
    with open(archive, "rb") as file:
        head = file.read(6)
    for magic, opener in _COMPRESSIONS:
        if head.startswith(magic):
            return opener(archive, "rb")
    return open(archive, "rb")


def _open_tar(stream, archive):
    try:
        return tarfile.open(fileobj=stream, mode="r:")
    except tarfile.ReadError as exc:
        raise ValueError(
            f"'{archive}' is not a tar archive ({exc}); expected '{ARCHIVE}', a "
            f"'{FOLDER}' folder or the folder containing either."
        ) from None


def _read_cifar_members(archive):
    contents = {}
    left = _ARCHIVE_RATIO * os.path.getsize(archive) + 2**20
    with _open_decompressed(archive) as file:
        stream = _BoundedStream(file, left)
        # Iterate rather than look members up: a gzip stream cannot seek back
        # cheaply, and iterating reads the archive exactly once.
        with _open_tar(stream, archive) as tar:
            for n_members, member in enumerate(tar, 1):
                if n_members > _MAX_MEMBERS:
                    raise tarfile.ReadError(f"more than {_MAX_MEMBERS} members")
                name = os.path.basename(member.name)
                if member.isfile() and name in FILES and name not in contents:
                    source = f"'{member.name}' in '{archive}'"
                    stream.max_read = min(member.size, MAX_FILE_BYTES)
                    file = tar.extractfile(member)
                    contents[name] = read_cifar_file(file, member.size, source)
                    stream.max_read = _MAX_TAR_HEADER
    missing = [name for name in FILES if name not in contents]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 archive '{archive}' lacks {', '.join(missing)}; expected "
            f"the files {', '.join(FILES)} (in '{FOLDER}/')."
        )
    return contents


def read_cifar(path):
    """Find the CIFAR files at ``path`` (folder, parent folder or archive)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"CIFAR-10 not found at '{path}': no such file or folder. Expected "
            f"the '{FOLDER}' folder, the folder containing it, or "
            f"'{ARCHIVE}'. It is never downloaded for you; get the "
            f"python version from {URL}"
        )
    if path.is_file():
        return _read_cifar_archive(path)
    if (path / FILES[0]).exists():
        return _read_cifar_folder(path)
    if (path / FOLDER).is_dir():
        return _read_cifar_folder(path / FOLDER)
    if (path / ARCHIVE).is_file():
        return _read_cifar_archive(path / ARCHIVE)
    raise FileNotFoundError(
        f"Folder '{path}' holds no CIFAR-10 data: expected the files "
        f"{', '.join(FILES)} in it, or a '{FOLDER}' subfolder, or "
        f"'{ARCHIVE}'."
    )


def cifar_batch_arrays(batch, name, n_classes):
    """Images (n, 32, 32, 3) and labels (n,) of one batch."""
    if "data" not in batch or "labels" not in batch:
        raise ValueError(
            f"CIFAR-10 batch {name} has keys {sorted(batch)}; expected 'data' "
            "and 'labels'."
        )
    # The reader gives the array as uint8 rows of 3072 values, and lists
    # holding only ints or only bytes. Other values are refused here, before
    # numpy sees them (np.asarray of byte strings pads them all to the longest).
    data, labels = batch["data"], batch["labels"]
    if not isinstance(data, np.ndarray):
        raise ValueError(
            f"CIFAR-10 batch {name} has data of type {type(data).__name__}; "
            "expected a uint8 array of rows of 3072 values."
        )
    if not (isinstance(labels, list) and all(type(label) is int for label in labels)):
        raise ValueError(
            f"CIFAR-10 batch {name} has labels that are not a list of integers; "
            f"expected one label in [0, {n_classes}) per image."
        )
    labels = np.array(labels, dtype=np.int64)  # the reader's ints fit in 8 bytes
    if labels.shape != (len(data),) or not np.all((labels >= 0) & (labels < n_classes)):
        raise ValueError(
            f"CIFAR-10 batch {name} has {labels.size} labels for {len(data)} "
            f"images; expected one label in [0, {n_classes}) per image."
        )
    # Rows store the red plane, then green, then blue, each 32 x 32 row-major.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def cifar_label_names(meta):
    """The class names in batches.meta, as str."""
    names = meta.get("label_names")
    if not (isinstance(names, list) and all(type(n) is bytes for n in names)):
        raise ValueError(
            f"CIFAR-10 batches.meta has keys {sorted(meta)} and label_names "
            f"{type(names).__name__}; expected 'label_names', a list of byte "
            "strings."
        )
    return [name.decode("utf-8", "replace") for name in names]
