import io
import os
import pickle
import pickletools
import tarfile

import numpy as np
import pytest
import skimage.data
from bad_input import Case, Error, run
from cifar_files import (
    BATCHES,
    LABEL_NAMES,
    cpickle_dumps,
    write_cifar_archive,
    write_cifar_folder,
)
from sklearn.datasets import load_sample_image

from sklinear.datasets import (
    PHOTO_NAMES,
    _cifar_files,
    load_cifar10,
    load_photo_patches,
)

# ---------------------------------------------------------------------------
# load_photo_patches
# ---------------------------------------------------------------------------

SMALL = dict(n_train_per_class=60, n_test_per_class=20)


def test_photo_patches_shapes_and_dtypes():
    patches = load_photo_patches()
    assert patches.images_train.shape == (5000, 32, 32, 3)
    assert patches.images_test.shape == (1000, 32, 32, 3)
    assert patches.data_train.shape == (5000, 3072)
    assert patches.data_test.shape == (1000, 3072)
    assert patches.origins_train.shape == (5000, 2)
    for field in ("images_train", "images_test", "data_train", "data_test"):
        assert patches[field].dtype == np.uint8
    assert patches.target_train.dtype == np.int64
    assert list(patches.target_names) == list(PHOTO_NAMES)
    assert len(PHOTO_NAMES) == 10
    assert "Photo patches" in patches.DESCR
    # data rows are the images flattened in (row, column, channel) order
    np.testing.assert_array_equal(
        patches.data_test[7], patches.images_test[7].reshape(-1)
    )


def test_photo_patches_options_and_return_X_y():
    X_train, X_test, y_train, y_test = load_photo_patches(
        patch_size=16, n_train_per_class=30, n_test_per_class=10, return_X_y=True
    )
    assert X_train.shape == (300, 16 * 16 * 3)
    assert X_test.shape == (100, 16 * 16 * 3)
    assert y_train.shape == (300,)
    assert y_test.shape == (100,)


def test_photo_patches_are_balanced_and_shuffled():
    patches = load_photo_patches(**SMALL)
    np.testing.assert_array_equal(np.bincount(patches.target_train), [60] * 10)
    np.testing.assert_array_equal(np.bincount(patches.target_test), [20] * 10)
    assert np.any(np.diff(patches.target_train) < 0)  # not grouped by class


def test_photo_patches_are_deterministic():
    first = load_photo_patches(random_state=3, **SMALL)
    second = load_photo_patches(random_state=np.random.RandomState(3), **SMALL)
    other = load_photo_patches(random_state=4, **SMALL)
    for field in ("images_train", "target_train", "origins_test"):
        np.testing.assert_array_equal(first[field], second[field])
    assert not np.array_equal(first.origins_train, other.origins_train)


def test_photo_patches_come_from_disjoint_regions():
    patch_size = 32
    patches = load_photo_patches(random_state=1)
    for label in range(len(PHOTO_NAMES)):
        train = patches.origins_train[patches.target_train == label]
        test = patches.origins_test[patches.target_test == label]
        # Two patch_size squares overlap iff both corner offsets are < size.
        offsets = np.abs(train[:, None, :] - test[None, :, :])
        overlaps = np.all(offsets < patch_size, axis=2)
        assert not overlaps.any(), PHOTO_NAMES[label]


@pytest.mark.parametrize(
    "name, photo",
    [
        ("astronaut", skimage.data.astronaut),
        ("china", lambda: load_sample_image("china.jpg")),
    ],
)
def test_photo_patches_are_crops_of_their_photo(name, photo):
    photo = photo()
    patches = load_photo_patches(**SMALL)
    label = list(patches.target_names).index(name)
    for split in ("train", "test"):
        rows = np.flatnonzero(patches[f"target_{split}"] == label)
        for i in rows[:5]:
            r, c = patches[f"origins_{split}"][i]
            np.testing.assert_array_equal(
                patches[f"images_{split}"][i], photo[r : r + 32, c : c + 32]
            )


def test_photo_patches_skip_flat_patches():
    patches = load_photo_patches(**SMALL)
    gray_std = patches.images_train.mean(axis=3).std(axis=(1, 2))
    assert gray_std.min() >= 5.9  # the threshold is 6 grey levels


def test_photo_patches_returned_arrays_are_private_copies():
    patches = load_photo_patches(**SMALL)
    patches.images_train[:] = 0  # must not corrupt the cached photographs
    again = load_photo_patches(**SMALL)
    assert again.images_train.any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(patch_size=100), "Photo 'chelsea'"),
        (dict(n_train_per_class=10**6), "fewer than the 1000000 requested"),
        (dict(test_size=0.0), "test_size"),
        (dict(patch_size=32.5), "patch_size"),
    ],
)
def test_photo_patches_bad_parameters(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        load_photo_patches(**kwargs)


def test_load_photo_patches_rejects_a_nan_test_size():
    with pytest.raises(
        ValueError, match=r"'test_size' parameter of load_photo_patches must be"
    ):
        load_photo_patches(test_size=float("nan"))


# ---------------------------------------------------------------------------
# load_cifar10 on a tiny archive in the real format
# ---------------------------------------------------------------------------

N_PER_BATCH = 20


def _write_cifar_folder(root, protocol=None):
    return write_cifar_folder(root, n_per_batch=N_PER_BATCH, protocol=protocol)


def _write_cifar_archive(root):
    return write_cifar_archive(root, folder_root=root / "extracted")


def _check_matches(cifar, written):
    n_train = 5 * N_PER_BATCH
    assert cifar.images_train.shape == (n_train, 32, 32, 3)
    assert cifar.data_train.shape == (n_train, 3072)
    assert cifar.images_test.shape == (N_PER_BATCH, 32, 32, 3)
    assert cifar.images_train.dtype == np.uint8
    assert cifar.target_train.dtype == np.int64
    assert list(cifar.target_names) == LABEL_NAMES
    expected_train = np.concatenate([written[name][0] for name in BATCHES[:5]])
    np.testing.assert_array_equal(cifar.images_train, expected_train)
    np.testing.assert_array_equal(cifar.images_test, written["test_batch"][0])
    np.testing.assert_array_equal(
        cifar.target_train, sum((written[name][1] for name in BATCHES[:5]), [])
    )
    np.testing.assert_array_equal(cifar.target_test, written["test_batch"][1])
    assert cifar.images_train.flags.writeable and cifar.data_test.flags.writeable


@pytest.mark.parametrize("pass_parent", [False, True])
def test_load_cifar10_from_folder(tmp_path, pass_parent):
    folder, written = _write_cifar_folder(tmp_path)
    _check_matches(load_cifar10(tmp_path if pass_parent else folder), written)


@pytest.mark.parametrize("pass_parent", [False, True])
def test_load_cifar10_from_archive(tmp_path, pass_parent):
    archive, written = _write_cifar_archive(tmp_path / "download")
    _check_matches(load_cifar10(archive.parent if pass_parent else archive), written)
    assert sorted(os.listdir(archive.parent)) == ["cifar-10-python.tar.gz", "extracted"]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_load_cifar10_reads_batches_pickled_again_by_python_3(tmp_path, protocol):
    folder, written = _write_cifar_folder(tmp_path, protocol=protocol)
    _check_matches(load_cifar10(folder), written)


def test_written_batches_are_what_cpickle_wrote(tmp_path):
    # The files the tests write by default have the layout of the real ones:
    # protocol 2, Python 2 str, numpy 1.x's _reconstruct, memo ids from 1.
    folder, written = _write_cifar_folder(tmp_path)
    data = (folder / "data_batch_1").read_bytes()
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(data)]
    assert ops[:5] == [
        ("PROTO", 2),
        ("EMPTY_DICT", None),
        ("BINPUT", 1),
        ("MARK", None),
        ("SHORT_BINSTRING", "batch_label"),
    ]
    names = {name for name, _ in ops}
    assert names <= {
        *("PROTO", "EMPTY_DICT", "EMPTY_LIST", "MARK", "BINPUT", "STOP"),
        *("SHORT_BINSTRING", "BINSTRING", "BININT1", "BININT2", "NEWFALSE"),
        *("GLOBAL", "REDUCE", "BUILD", "NONE", "BININT", "TUPLE", "TUPLE1"),
        *("TUPLE2", "TUPLE3", "APPEND", "APPENDS", "SETITEMS"),
    }
    assert ("GLOBAL", "numpy.core.multiarray _reconstruct") in ops
    assert (
        "BINSTRING",
        written["data_batch_1"][0].transpose(0, 3, 1, 2).tobytes(),
    ) in [
        (name, arg.encode("latin-1") if isinstance(arg, str) else arg)
        for name, arg in ops
    ]
    # and CPython's own unpickler agrees on what they hold
    batch = pickle.loads(data, encoding="bytes")
    assert batch[b"labels"] == written["data_batch_1"][1]
    assert list(batch) == [b"batch_label", b"labels", b"data", b"filenames"]


def test_load_cifar10_converts_channels_first_rows_to_channels_last(tmp_path):
    folder, _ = _write_cifar_folder(tmp_path)
    # A row built by hand in CIFAR's layout: red plane, green plane, blue plane.
    red = np.zeros((32, 32), np.uint8)
    red[0, :] = 200  # top pixel row is red
    green = np.full((32, 32), 100, np.uint8)  # green everywhere
    blue = np.zeros((32, 32), np.uint8)
    blue[5, 7] = 50  # a single blue dot at row 5, column 7
    row = np.concatenate([red.ravel(), green.ravel(), blue.ravel()])
    batch = {b"data": row[None, :], b"labels": [3]}
    (folder / "test_batch").write_bytes(cpickle_dumps(batch))

    cifar = load_cifar10(folder)
    image = cifar.images_test[0]
    np.testing.assert_array_equal(image[..., 0], red)
    np.testing.assert_array_equal(image[..., 1], green)
    np.testing.assert_array_equal(image[..., 2], blue)
    assert image[5, 7].tolist() == [0, 100, 50]
    assert cifar.data_test[0, :6].tolist() == [200, 100, 0, 200, 100, 0]
    assert cifar.target_names[cifar.target_test[0]] == "cat"


def test_load_cifar10_return_X_y(tmp_path):
    folder, _ = _write_cifar_folder(tmp_path)
    X_train, X_test, y_train, y_test = load_cifar10(folder, return_X_y=True)
    assert X_train.shape == (5 * N_PER_BATCH, 3072)
    assert X_test.shape == (N_PER_BATCH, 3072)
    assert y_train.shape == (5 * N_PER_BATCH,)
    assert y_test.shape == (N_PER_BATCH,)


def test_load_cifar10_missing_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere.*never downloaded"):
        load_cifar10(missing)


def test_load_cifar10_folder_without_batches(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(FileNotFoundError, match="holds no CIFAR-10 data"):
        load_cifar10(tmp_path)


def test_load_cifar10_names_the_missing_batch(tmp_path):
    folder, _ = _write_cifar_folder(tmp_path)
    (folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="lacks data_batch_3"):
        load_cifar10(folder)


def test_load_cifar10_archive_missing_a_batch(tmp_path):
    folder, _ = _write_cifar_folder(tmp_path / "extracted")
    (folder / "test_batch").unlink()
    archive = tmp_path / "partial.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    with pytest.raises(FileNotFoundError, match="partial.tar.gz' lacks test_batch"):
        load_cifar10(archive)


def test_load_cifar10_file_that_is_not_an_archive(tmp_path):
    not_archive = tmp_path / "cifar.txt"
    not_archive.write_text("not a tar file")
    with pytest.raises(ValueError, match="not a tar archive"):
        load_cifar10(not_archive)


def test_load_cifar10_bad_batch_content(tmp_path):
    folder, _ = _write_cifar_folder(tmp_path)
    (folder / "data_batch_2").write_bytes(cpickle_dumps({b"labels": [1, 2]}))
    with pytest.raises(ValueError, match="data_batch_2 has keys.*expected 'data'"):
        load_cifar10(folder)


def _replace_test_labels(folder, labels, protocol=2):
    batch = pickle.loads((folder / "test_batch").read_bytes(), encoding="bytes")
    batch[b"labels"] = labels
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))


@pytest.mark.parametrize(
    "labels, message",
    [
        ([2**64] * 20, "an integer of 9 bytes"),  # too large for int64
        ([1.5] * 20, "opcode BINFLOAT"),
        ([True] * 20, "a list item that is True"),
        ([None] * 20, "a list item that is None"),
        (["cat"] * 20, "a list item that is 'cat'"),
        ([[1]] * 20, "a list item that is a list"),
    ],
)
def test_load_cifar10_reads_labels_that_are_ints_only(tmp_path, labels, message):
    folder, _ = _write_cifar_folder(tmp_path)
    _replace_test_labels(folder, labels)
    with pytest.raises(ValueError, match=f"test_batch' is not a readable.*{message}"):
        load_cifar10(folder)


@pytest.mark.parametrize(
    "labels, message",
    [
        ([12] * 20, "20 labels for 20 images; expected one label in \\[0, 10\\)"),
        ([-1] * 20, "20 labels for 20 images"),
        ([1] * 19, "19 labels for 20 images"),
        ([b"cat"] * 20, "test_batch has labels that are not a list of integers"),
        (3, "test_batch has labels that are not a list of integers"),
    ],
)
def test_load_cifar10_rejects_labels_that_are_not_class_indices(
    tmp_path, labels, message
):
    folder, _ = _write_cifar_folder(tmp_path)
    _replace_test_labels(folder, labels)
    with pytest.raises(ValueError, match=message):
        load_cifar10(folder)


@pytest.mark.parametrize("data", [[b"x" * 10**5] + [b""] * 10**5, b"x" * 3072, 7])
def test_load_cifar10_refuses_data_that_is_not_an_array(tmp_path, data):
    # np.asarray of these byte strings would pad all 100001 to 100 kB: 10 GB.
    folder, _ = _write_cifar_folder(tmp_path)
    batch = {b"data": data, b"labels": [0]}
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(ValueError, match="test_batch has data of type"):
        load_cifar10(folder)


@pytest.mark.parametrize("names", [3, [1, 2], None])
def test_load_cifar10_refuses_label_names_that_are_not_bytes(tmp_path, names):
    folder, _ = _write_cifar_folder(tmp_path)
    meta = {b"num_vis": 3072} if names is None else {b"label_names": names}
    (folder / "batches.meta").write_bytes(cpickle_dumps(meta))
    with pytest.raises(ValueError, match="batches.meta has keys.*a list of byte"):
        load_cifar10(folder)


def test_load_cifar10_reads_empty_bytes_pickled_at_protocol_2(tmp_path):
    # Python 3 writes b"" at protocol <= 2 as a call of bytes().
    folder, written = _write_cifar_folder(tmp_path)
    batch = pickle.loads((folder / "data_batch_1").read_bytes(), encoding="bytes")
    batch[b"batch_label"] = b""
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=2))
    _check_matches(load_cifar10(folder), written)


class _DeletesFile:
    """Unpickling this calls os.remove(path): what a malicious pickle could do."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.remove, (str(self.path),)


@pytest.mark.parametrize("protocol", [2, 4])
def test_load_cifar10_refuses_pickles_with_other_globals(tmp_path, protocol):
    folder, _ = _write_cifar_folder(tmp_path)
    sentinel = tmp_path / "sentinel"
    sentinel.write_text("keep me")
    batch = {b"data": _DeletesFile(sentinel), b"labels": []}
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
    with pytest.raises(ValueError, match="global 'posix.remove'.*refusing to load"):
        load_cifar10(folder)
    assert sentinel.exists()


def test_load_cifar10_corrupt_pickle(tmp_path):
    folder, _ = _write_cifar_folder(tmp_path)
    (folder / "data_batch_4").write_bytes(b"\x80\x02}q\x00(")  # truncated
    with pytest.raises(ValueError, match="data_batch_4' is not a readable CIFAR"):
        load_cifar10(folder)


@pytest.mark.parametrize("kept_bytes", [8, 100, 250])
def test_load_cifar10_truncated_archive(tmp_path, kept_bytes):
    # A download cut short: the gzip stream ends early.
    archive, _ = write_cifar_archive(tmp_path, n_per_batch=N_PER_BATCH)
    cut = tmp_path / "cut" / archive.name
    cut.parent.mkdir()
    cut.write_bytes(archive.read_bytes()[:kept_bytes])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_cifar10(cut)


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
@pytest.mark.parametrize("damage", ["cut", "overwrite"])
def test_load_cifar10_damaged_archive(tmp_path, mode, damage):
    folder, _ = _write_cifar_folder(tmp_path)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, mode) as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    data = bytearray(archive.read_bytes())
    if damage == "cut":
        del data[len(data) // 2 :]
    else:
        data[60:68] = b"\xff" * 8
    archive.write_bytes(data)
    with pytest.raises(ValueError, match="truncated or corrupt|not a tar archive"):
        load_cifar10(archive)


def test_load_cifar10_refuses_files_larger_than_the_limit(tmp_path, monkeypatch):
    # The size is checked before reading: from the folder and from a tar
    # member's header (which may claim any size).
    folder, _ = _write_cifar_folder(tmp_path / "extracted")
    archive, _ = write_cifar_archive(tmp_path, folder_root=tmp_path / "other")
    size = (folder / "data_batch_1").stat().st_size
    monkeypatch.setattr(_cifar_files, "MAX_FILE_BYTES", size - 1)
    message = f"data_batch_1' has {size} bytes.*over {size - 1} bytes are refused"
    with pytest.raises(ValueError, match=message):
        load_cifar10(folder)
    message = f"data_batch_1' in '.*cifar-10-python.tar.gz' has {size} bytes"
    with pytest.raises(ValueError, match=message):
        load_cifar10(archive)


def test_read_cifar_file_refuses_a_file_shorter_than_its_size():
    # A file that ends before its declared size (a tar member cut short).
    data = cpickle_dumps({b"labels": [1]})
    with pytest.raises(ValueError, match="'x' ends after 10 of its 12 bytes"):
        _cifar_files.read_cifar_file(io.BytesIO(data[:10]), 12, "'x'")
    assert _cifar_files.read_cifar_file(io.BytesIO(data), len(data), "x") == {
        "labels": [1]
    }


@pytest.mark.parametrize("mode", ["w:", "w:bz2", "w:xz"])
def test_load_cifar10_reads_archives_in_other_compressions(tmp_path, mode):
    folder, written = _write_cifar_folder(tmp_path)
    archive = tmp_path / "cifar-10-python.tar"
    with tarfile.open(archive, mode) as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    _check_matches(load_cifar10(archive), written)


# Bad input, as the table of tests/bad_input.py runs it.
BAD_INPUT_CASES = [
    Case(
        "load_photo_patches",
        "load_photo_patches-patch-size",
        lambda: load_photo_patches(patch_size=0),
        (),
        Error(ValueError, "patch_size"),
    ),
    Case(
        "load_photo_patches",
        "load_photo_patches-test-size",
        lambda: load_photo_patches(test_size=1.0),
        (),
        Error(ValueError, "test_size"),
    ),
    Case(
        "load_cifar10",
        "load_cifar10-missing",
        lambda: load_cifar10("/nonexistent/cifar"),
        (),
        Error(FileNotFoundError, "CIFAR-10 not found"),
    ),
]


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id) for case in BAD_INPUT_CASES]
)
def test_bad_input(case):
    run(case)
