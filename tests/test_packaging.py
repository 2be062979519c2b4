"""Packaging: setup.py's refusal of MSVC, and, where the wheel builds ask for
it, that an installed wheel has the compiled kernel exactly where it should.

The wheel builds (.ci/run, .github/workflows/wheels.yml through
``[tool.cibuildwheel]`` in pyproject.toml) set ``SKLINEAR_EXPECT_KERNEL`` to
``built`` (Linux, macOS) or ``missing`` (Windows, whose MSVC cannot compile
the kernel). Elsewhere that test is skipped: a build without a C compiler is
a supported install, not a failure.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sklinear
from sklinear import _fused_pass
from sklinear._build_status import build_record, failed_build, kernel_status

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "sklinear._fused"
EXPECTED = os.environ.get("SKLINEAR_EXPECT_KERNEL")


class _MSVC:
    """Stands in for setuptools' MSVC compiler: only its type is read."""

    compiler_type = "msvc"

    def __getattr__(self, name):  # anything else would mean it tried to compile
        raise AssertionError(f"the build used the compiler's {name!r}")


def test_msvc_skips_the_kernel_and_records_why(setup_script, tmp_path, capfd):
    from setuptools import Distribution, Extension

    extension = Extension(KERNEL, sources=["sklinear/_fused.c"], optional=True)
    command = setup_script.ReportingBuildExt(Distribution({"ext_modules": [extension]}))
    command.build_lib = str(tmp_path / "lib")
    command.build_temp = str(tmp_path / "temp")
    command.ensure_finalized()
    command.compiler = _MSVC()
    # setuptools' own loop over the extensions, which goes on without an
    # optional one that failed: the build succeeds without the kernel.
    command.build_extensions()

    record = json.loads((tmp_path / "lib/sklinear/_build_status.json").read_text())
    assert record == {
        "extension": KERNEL,
        "built": False,
        "reason": f"CompileError: {setup_script.MSVC_REASON}",
    }
    assert "MSVC cannot compile it" in failed_build(record)
    stderr = capfd.readouterr().err
    assert f"the optional C extension {KERNEL} was NOT built" in stderr
    assert "MSVC cannot compile it" in stderr
    # Nothing to install: a reinstall would meet MSVC again.
    assert "expected on Windows" in stderr
    assert "install a C compiler" not in stderr
    assert not list((tmp_path / "lib").rglob("_fused*"))


def _kernel_warnings_of_a_fresh_import():
    code = textwrap.dedent(
        """\
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import sklinear
        print(json.dumps([
            str(w.message) for w in caught
            if issubclass(w.category, sklinear.KernelNotBuiltWarning)
        ]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.skipif(EXPECTED is None, reason="SKLINEAR_EXPECT_KERNEL is not set")
def test_the_installed_kernel_is_where_the_wheel_should_have_it():
    # A wheel's tests must import the wheel, not the sources beside them.
    assert not Path(sklinear.__file__).resolve().is_relative_to(ROOT), sklinear.__file__
    record = build_record()
    assert record is not None, "the package has no _build_status.json"
    assert record["extension"] == KERNEL
    built, detail = kernel_status()
    if EXPECTED == "built":
        assert record["built"] is True, record["reason"]
        assert built, detail
        assert _fused_pass.fused_available()
        assert _kernel_warnings_of_a_fresh_import() == []
    elif EXPECTED == "missing":
        assert record["built"] is False
        assert not built
        assert not _fused_pass.fused_available()
        # Said once, on import, with the recorded reason.
        [message] = _kernel_warnings_of_a_fresh_import()
        assert record["reason"] in message
        assert "Training still works, through NumPy and BLAS" in message
    else:
        pytest.fail(f"SKLINEAR_EXPECT_KERNEL={EXPECTED!r}: expected built or missing")


@pytest.mark.skipif(EXPECTED is None, reason="SKLINEAR_EXPECT_KERNEL is not set")
def test_the_installed_package_trains():
    # With the kernel or through NumPy and BLAS without it, a wheel must train.
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=300, n_features=20, n_informative=10, n_classes=3, random_state=0
    )
    model = sklinear.SoftmaxClassifier(random_state=0).fit(X, y)
    assert model.score(X, y) > 0.7  # 3 classes: chance is a third
