"""show_versions, the warning of an import without the compiled kernel, and
setup.py's report of a build that could not compile it."""

import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

import sklinear
from sklinear import _build_status
from sklinear._build_status import KernelNotBuiltWarning, kernel_status

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "sklinear._fused"
RECORD_NAME = _build_status.BUILD_RECORD.name  # before any test patches it
SECTIONS = [
    "System:",
    "Python dependencies:",
    "CPUs and threads:",
    "Thread pools (threadpoolctl):",
    "Compiled kernel (sklinear._fused):",
]


def _kernel_imports():
    try:
        importlib.import_module(KERNEL)
    except ImportError:
        return False
    return True


@pytest.fixture
def no_kernel(monkeypatch, tmp_path):
    """Imports of the kernel fail, and no build record is found."""
    monkeypatch.setitem(sys.modules, KERNEL, None)
    monkeypatch.setattr(_build_status, "BUILD_RECORD", tmp_path / "absent.json")


def _value(output, key):
    """The value of the first ``key: value`` line of show_versions' output."""
    for line in output.splitlines():
        if line.strip().startswith(f"{key}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {key!r} line in:\n{output}")


# -- show_versions --------------------------------------------------------------


def test_show_versions_prints_each_section_in_order(capsys):
    sklinear.show_versions()
    output = capsys.readouterr().out
    positions = [output.find(title) for title in SECTIONS]
    assert -1 not in positions, output
    assert positions == sorted(positions)


def test_show_versions_reports_versions_cpus_and_thread_pools(capsys):
    import numpy

    sklinear.show_versions()
    output = capsys.readouterr().out
    assert _value(output, "sklinear") == sklinear.__version__
    assert _value(output, "numpy") == numpy.__version__
    if hasattr(os, "sched_getaffinity"):
        assert _value(output, "usable CPUs") == str(len(os.sched_getaffinity(0)))
    # Every library that threadpoolctl finds, with its thread count.
    pools = threadpool_info()
    assert output.count("user_api:") == len(pools) > 0
    for pool in pools:
        assert pool["filepath"] in output
    assert output.count("num_threads:") == len(pools)


def test_show_versions_reports_the_kernel_as_it_imports(capsys):
    sklinear.show_versions()
    output = capsys.readouterr().out
    assert _value(output, "built") == ("yes" if _kernel_imports() else "no")


def test_show_versions_names_why_the_kernel_is_missing(no_kernel, capsys):
    with pytest.raises(ImportError) as error:
        importlib.import_module(KERNEL)
    sklinear.show_versions()
    output = capsys.readouterr().out
    assert _value(output, "built") == "no"
    assert _value(output, "reason") == f"it does not import: {error.value}"


# -- the kernel's status and the build record --------------------------------------


def test_kernel_status_prefers_the_recorded_build_failure(
    no_kernel, tmp_path, setup_script
):
    assert RECORD_NAME == setup_script.BUILD_RECORD  # writer and reader agree
    reason = "CompileError: gcc exited with status 1\nx.c:1:1: error: boom"
    setup_script.write_build_record(tmp_path, KERNEL, reason)
    record = tmp_path / setup_script.BUILD_RECORD
    assert kernel_status(record) == (False, f"its build failed: {reason}")


def test_kernel_status_gives_the_import_error_after_a_successful_build(
    no_kernel, tmp_path, setup_script
):
    setup_script.write_build_record(tmp_path, KERNEL, None)
    built, reason = kernel_status(tmp_path / setup_script.BUILD_RECORD)
    assert not built
    assert reason.startswith("it does not import: ")
    assert KERNEL in reason


def test_warn_if_kernel_missing_names_the_reason_and_the_fix(no_kernel):
    with pytest.warns(KernelNotBuiltWarning) as record:
        _build_status.warn_if_kernel_missing()
    assert len(record) == 1
    message = str(record[0].message)
    assert kernel_status()[1] in message
    assert "NumPy and BLAS" in message
    assert "install a C compiler" in message


def test_warning_after_an_msvc_build_does_not_ask_for_a_compiler(
    monkeypatch, setup_script
):
    reason = f"its build failed: {setup_script.MSVC_REASON}"
    monkeypatch.setattr(_build_status, "kernel_status", lambda: (False, reason))
    with pytest.warns(KernelNotBuiltWarning) as record:
        _build_status.warn_if_kernel_missing()
    message = str(record[0].message)
    assert "Builds with MSVC (Windows wheels) come without it" in message
    assert "install a C compiler" not in message


def test_failure_reason_quotes_the_compilers_error_lines(setup_script):
    from setuptools.errors import CompileError

    output = textwrap.dedent("""\
        gcc -Werror=implicit-function-declaration -Wno-error -c x.c -o x.o
        x.c: In function 'f':
        x.c:3:5: error: expected ';' before 'return'
        x.c:1:10: fatal error: missing.h: No such file or directory
        compilation terminated.
        """)
    failed = subprocess.CalledProcessError(1, ["/usr/bin/gcc", "-c", "x.c"])
    reason = setup_script.failure_reason(CompileError(failed), output)
    assert reason.splitlines() == [
        "CompileError: gcc exited with status 1",
        "x.c:3:5: error: expected ';' before 'return'",
        "x.c:1:10: fatal error: missing.h: No such file or directory",
    ]


# -- in a fresh interpreter ----------------------------------------------------------

# Imports sklinear (twice, and a submodule) with every warning shown, even
# repeats, and prints the warnings it saw.
_CHILD = """\
import importlib, json, sys, warnings
{block}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import sklinear
    import sklinear.linear_model
    importlib.import_module("sklinear")
print(json.dumps([
    [w.category.__name__, issubclass(w.category, UserWarning), str(w.message),
     w.filename]
    for w in caught
]))
"""


def _kernel_warnings_in_child(block):
    code = _CHILD.format(block=block)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    seen = json.loads(result.stdout.splitlines()[-1])
    return [w for w in seen if w[0] == KernelNotBuiltWarning.__name__]


def test_import_warns_once_with_the_reason_without_the_kernel(monkeypatch):
    # The same block in this process gives the reason the child should see.
    monkeypatch.setitem(sys.modules, KERNEL, None)
    reason = kernel_status()[1]
    found = _kernel_warnings_in_child(block=f"sys.modules[{KERNEL!r}] = None")
    assert len(found) == 1, found
    _, is_user_warning, message, filename = found[0]
    assert is_user_warning
    assert reason in message
    assert "Training still works, through NumPy and BLAS" in message
    assert filename == "<string>"  # the line that imports sklinear


@pytest.mark.skipif(not _kernel_imports(), reason="the kernel was not built")
def test_import_does_not_warn_with_the_kernel():
    assert _kernel_warnings_in_child(block="") == []


# -- a build that cannot compile --------------------------------------------------


@pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("false") is None,
    reason="needs a Unix compiler setup and the false command",
)
@pytest.mark.parametrize("inplace", [False, True], ids=["build-lib", "inplace"])
def test_build_with_a_failing_compiler_warns_and_records_why(tmp_path, inplace):
    # setup.py and the C sources only: the build_ext step does not need the
    # project's metadata (nor a setuptools new enough for pyproject.toml).
    shutil.copy(ROOT / "setup.py", tmp_path)
    (tmp_path / "sklinear").mkdir()
    for source in (ROOT / "sklinear").glob("*.[ch]"):
        shutil.copy(source, tmp_path / "sklinear")
    where = ["--inplace"] if inplace else ["--build-lib", "lib"]
    result = subprocess.run(
        [sys.executable, "setup.py", "build_ext", *where, "--build-temp", "temp"],
        cwd=tmp_path,
        env={**os.environ, "CC": "false"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr  # the extension is optional
    assert "the optional C extension sklinear._fused was NOT built" in result.stderr
    assert "install a C compiler" in result.stderr
    package = tmp_path / ("sklinear" if inplace else "lib/sklinear")
    record = json.loads((package / "_build_status.json").read_text())
    assert record["built"] is False
    assert record["reason"].startswith("CompileError: ")
    assert "false" in record["reason"]
    assert not list(package.glob("_fused*.so"))
