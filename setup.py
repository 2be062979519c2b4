"""Builds the optional C extensions ``sklinear._fused`` (see sklinear/_fused.c)
, ``sklinear._dual_sweep`` (sklinear/_dual_sweep.c) and ``sklinear._saga_sweep``
(sklinear/_saga_sweep.c).

Everything else is configured in pyproject.toml. The extensions are optional:
without a C compiler that has GCC's vector extensions (GCC or Clang), the
package installs without them and trains with NumPy and BLAS alone, at about
two thirds of the speed on dense data (``_fused``), and runs the hinge
solver's dual coordinate ascent through NumPy minibatches, much more slowly
(``_dual_sweep``). A build without one says so loudly in the build log (``pip
install -v``, ``python -m build``) and records why in its build record
(``sklinear/_build_status.json`` for ``_fused``, see BUILD_RECORDS), which
``import sklinear`` and ``sklinear.show_versions()`` read.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import BaseError, CCompilerError, CompileError

# The record of each extension's build, beside it; sklinear/_build_status.py
# reads them under the same names.
BUILD_RECORD = "_build_status.json"
BUILD_RECORDS = {
    "sklinear._fused": BUILD_RECORD,
    "sklinear._dual_sweep": "_build_status_dual_sweep.json",
    "sklinear._saga_sweep": "_build_status_saga_sweep.json",
}
# What goes slower without each extension (the failure banner says it).
SLOWER_PATHS = {
    "sklinear._fused": "training still works, through NumPy and BLAS,\nat lower speed.",
    "sklinear._dual_sweep": (
        "the hinge solver still works, through NumPy\nminibatches, at lower speed."
    ),
    "sklinear._saga_sweep": (
        "the certified solver still works, with minibatch\nsteps in NumPy, "
        "at lower speed."
    ),
}
# Lines of a compiler's output worth quoting: GCC's and Clang's "error:" and
# "fatal error:", MSVC's "error C2143:", linkers' undefined symbols. The colon
# keeps out the echoed command line's flags (-Werror=..., -Wno-error).
_ERROR_LINE = re.compile(
    r"\berror(?: [A-Z]+\d+)?:|undefined (?:reference|symbol)", re.I
)
_QUOTED_LINES = 5
_QUOTED_WIDTH = 300
# The kernel is GNU C (vector_size types, target attributes,
# __builtin_cpu_supports) on POSIX threads: MSVC, the compiler setuptools
# uses for CPython on Windows, has none of these. Trying would only print pages
# of syntax errors, so the build stops before compiling with this reason, which
# is reported and recorded like any failed build (Windows wheels then train
# through NumPy and BLAS, and say so on import).
MSVC_REASON = (
    "MSVC cannot compile it: the kernel needs GCC's vector extensions and "
    "POSIX threads, so Windows builds go without it"
)
# The dual sweep is plain C99, but no MSVC build of it has ever been tested:
# Windows builds go without it rather than ship untested code.
MSVC_REASONS = {
    "sklinear._dual_sweep": (
        "MSVC builds of the dual sweep are not tested, so Windows builds go without it"
    ),
    "sklinear._saga_sweep": (
        "MSVC builds of the SAGA sweep are not tested, so Windows builds go without it"
    ),
}


def record_name(extension):
    """The file of ``extension``'s build record (BUILD_RECORDS: each
    extension its own, so that one build's records do not overwrite each
    other)."""
    return BUILD_RECORDS.get(extension, BUILD_RECORD)


def write_build_record(directory, extension, reason):
    """Record that ``extension`` was built (``reason`` None) or why not."""
    os.makedirs(directory, exist_ok=True)
    record = {"extension": extension, "built": reason is None, "reason": reason}
    path = os.path.join(directory, record_name(extension))
    with open(path, "w", encoding="utf-8") as file:
        json.dump(record, file, indent=2)
        file.write("\n")


def failure_reason(error, output):
    """What failed, then the first few error lines of the compiler's output."""
    quoted = [
        line.strip()[:_QUOTED_WIDTH]
        for line in output.splitlines()
        if _ERROR_LINE.search(line)
    ]
    return "\n".join([_describe(error), *quoted[:_QUOTED_LINES]])


def _describe(error):
    # Newer setuptools wrap the failed command's own exception, whose text
    # lists every argument of the command: name the program only.
    cause = error.args[0] if len(error.args) == 1 else error
    if isinstance(cause, subprocess.CalledProcessError):
        program = os.path.basename(str(cause.cmd[0]))
        cause = f"{program} exited with status {cause.returncode}"
    return f"{type(error).__name__}: {cause}"


def _flush_standard_streams():
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


@contextlib.contextmanager
def _captured_output(into):
    """Collect what this process and the compiler write to stdout and stderr.

    The compiler writes to the inherited file descriptors, out of Python's
    reach, so descriptors 1 and 2 go to a temporary file meanwhile; its text
    is echoed to stderr afterwards, so the build log still shows it.
    """
    _flush_standard_streams()
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no standard streams (pythonw): nothing to quote
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            _flush_standard_streams()
            for descriptor, copy in zip((1, 2), saved):
                os.dup2(copy, descriptor)
                os.close(copy)
            capture.seek(0)
            into.append(capture.read().decode(errors="replace"))
            sys.stderr.write(into[-1])
            sys.stderr.flush()


_REINSTALL_ADVICE = """\
To build the kernel, install a C compiler with GCC's vector
extensions (GCC or Clang), then reinstall sklinear from source:
    pip install --force-reinstall --no-cache-dir --no-deps sklinear
(in a source checkout: pip install -e . again)."""
# Reinstalling would only meet MSVC again: there is nothing to do.
_MSVC_ADVICE = "This is expected on Windows, where setuptools compiles with MSVC."


def _print_failure_banner(extension, reason, advice=_REINSTALL_ADVICE):
    rule = "*" * 76
    slower = SLOWER_PATHS.get(extension, SLOWER_PATHS["sklinear._fused"])
    message = f"""\
{rule}
WARNING: the optional C extension {extension} was NOT built:
{textwrap.indent(reason, "    ")}
sklinear installs without it: {slower} {advice}
{rule}"""
    print(message, file=sys.stderr, flush=True)


class BuildExtOptimized(build_ext):
    """Optimize and link POSIX threads with GCC-like compilers; refuse MSVC."""

    def build_extension(self, ext):
        if self.compiler.compiler_type == "msvc":
            raise CompileError(MSVC_REASONS.get(ext.name, MSVC_REASON))
        if self.compiler.compiler_type == "unix":
            ext.extra_compile_args = ["-O3", "-pthread"]
            ext.extra_link_args = ["-pthread"]
        super().build_extension(ext)


class ReportingBuildExt(BuildExtOptimized):
    """Say loudly when an optional extension fails to build, and record why.

    setuptools logs one line and goes on without an optional extension. This
    also prints a banner with the compiler's error lines and writes
    BUILD_RECORD beside the extension's file: into the build directory (and so
    the wheel) and, for ``--inplace`` and editable installs, into the sources.
    It wraps the whole of BuildExtOptimized's build, whatever that tries.
    """

    def initialize_options(self):
        super().initialize_options()
        self._reasons = {}

    def run(self):
        super().run()
        # setuptools builds into build_lib even for --inplace and editable
        # installs, then copies the extensions into the sources: so must we.
        if self.inplace:
            for extension, reason in list(self._reasons.items()):
                self._record(extension, reason)

    def build_extension(self, ext):
        output = []
        try:
            with _captured_output(output):
                super().build_extension(ext)
        except (CCompilerError, BaseError) as error:
            reason = failure_reason(error, "".join(output))
            self._record(ext.name, reason)
            msvc = self.compiler.compiler_type == "msvc"
            _print_failure_banner(
                ext.name, reason, _MSVC_ADVICE if msvc else _REINSTALL_ADVICE
            )
            raise  # setuptools goes on without the optional extension
        self._record(ext.name, None)

    def _record(self, extension, reason):
        self._reasons[extension] = reason
        directory = os.path.dirname(self.get_ext_fullpath(extension))
        write_build_record(directory, extension, reason)


setup(
    ext_modules=[
        Extension(
            "sklinear._fused",
            sources=["sklinear/_fused.c"],
            depends=[
                "sklinear/_fused_impl.h",
                "sklinear/_fused_direct.h",
                "sklinear/_fused_check.h",
                "sklinear/_two_loop.h",
                "sklinear/_simd_kernels.h",
                "sklinear/_simd_twice.h",
                "sklinear/_vexp.h",
                "sklinear/_simd.h",
                "sklinear/_buffer_check.h",
            ],
            optional=True,
        ),
        Extension(
            "sklinear._dual_sweep",
            sources=["sklinear/_dual_sweep.c"],
            depends=[
                "sklinear/_dual_sweep_check.h",
                "sklinear/_dual_sweep_boundary.h",
                "sklinear/_prefetch.h",
                "sklinear/_buffer_check.h",
                "sklinear/_simd.h",
                "sklinear/_simd_twice.h",
                "sklinear/_simd_kernels.h",
            ],
            optional=True,
        ),
        # Per-sample SAGA epochs of the certified solver (without it, the
        # solver takes minibatch steps in NumPy).
        Extension(
            "sklinear._saga_sweep",
            sources=["sklinear/_saga_sweep.c"],
            depends=[
                "sklinear/_saga_sweep_impl.h",
                "sklinear/_vexp.h",
                "sklinear/_prefetch.h",
                "sklinear/_saga_sweep_dense.h",
                "sklinear/_saga_sweep_sparse.h",
                "sklinear/_saga_sweep_check.h",
                "sklinear/_csr_products.h",
                "sklinear/_buffer_check.h",
                "sklinear/_simd.h",
                "sklinear/_simd_twice.h",
                "sklinear/_simd_kernels.h",
            ],
            optional=True,
        ),
    ],
    cmdclass={"build_ext": ReportingBuildExt},
)
