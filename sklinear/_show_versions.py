"""sklinear.show_versions: the facts a bug report about speed or builds needs."""

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version

from threadpoolctl import threadpool_info

from . import _fused_pass
from ._build_status import (
    DUAL_SWEEP_RECORD,
    SWEEP_RECORD,
    build_record,
    dual_sweep_status,
    failed_build,
    kernel_status,
    sweep_status,
)
from ._versioned import __version__

__all__ = ["show_versions"]

# Distributions by their names on PyPI: the dependencies, then the optional ones.
_DEPENDENCIES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "scikit-image",
    "threadpoolctl",
    "joblib",
    "matplotlib",
    "dask",
    "skops",
)
# Limits that BLAS and OpenMP libraries (and the kernel) read at start-up.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _system_info():
    return {
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
    }


def _dependency_versions():
    versions = {"sklinear": __version__}
    for name in _DEPENDENCIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _usable_cpus():
    try:
        return len(os.sched_getaffinity(0))  # what this process may run on
    except AttributeError:  # no affinity API (macOS, Windows)
        return os.cpu_count()


def _cpu_info():
    info = {"usable CPUs": _usable_cpus(), "CPUs": os.cpu_count()}
    for variable in _THREAD_VARIABLES:
        info[variable] = os.environ.get(variable, "unset")
    return info


def _kernel_info():
    return _extension_info(
        kernel_status(), _fused_pass.fused_available(), build_record()
    )


def _dual_sweep_info():
    # At call time: the solvers are not part of import sklinear.
    from ._solvers import _dual_cd

    info = _extension_info(
        dual_sweep_status(),
        _dual_cd.sweep_available(),
        build_record(DUAL_SWEEP_RECORD),
    )
    return _with_isa(info, _dual_cd._dual_sweep)


def _saga_sweep_info():
    from ._solvers import _sample_saga

    info = _extension_info(
        sweep_status(), _sample_saga.sweep_available(), build_record(SWEEP_RECORD)
    )
    return _with_isa(info, _sample_saga._saga_sweep)


def _with_isa(info, module):
    """The dense kernels a sweep chose at import: 'avx2' or 'baseline'
    (``SKLINEAR_BASELINE_ISA`` set, or a CPU without AVX2 + FMA)."""
    if module is not None and hasattr(module, "isa"):
        info["dense kernels"] = module.isa
    return info


def _extension_info(status, available, record):
    built, detail = status
    if not built:
        return {"built": "no", "reason": detail}
    # Built, but the NumPy path may have been chosen by switching it off.
    in_use = "yes" if available else "no (switched off)"
    info = {"built": "yes", "in use": in_use, "file": detail}
    # An in-place or editable rebuild that fails leaves the old file behind.
    reason = failed_build(record)
    if reason:
        info["last build"] = f"failed, so this file is older: {reason}"
    return info


def _format(info):
    """``key: value`` lines, values aligned, continuation lines indented."""
    width = max(len(key) for key in info) + 1
    lines = []
    for key, value in info.items():
        value = str(value).replace("\n", "\n" + " " * (width + 5))
        lines.append(f"    {key + ':':<{width}} {value}")
    return "\n".join(lines)


def _threadpool_sections():
    # Every entry threadpoolctl finds: BLAS, OpenMP, and the kernel's own.
    sections = [_format(entry) for entry in threadpool_info()]
    return "\n\n".join(sections) or "    none found"


def show_versions():
    """Print the versions, BLAS, threads and compiled kernel of this install.

    Paste the output into bug reports, in particular about speed. It lists,
    in sections: the Python interpreter and platform; the versions of sklinear
    and of its dependencies (None for the optional ones that are not
    installed); the CPUs this process may use and the thread-limiting
    environment variables; every BLAS, OpenMP and other thread pool that
    threadpoolctl finds loaded, with its thread count; and whether the
    compiled kernel ``sklinear._fused`` and the certified solvers' compiled
    sweeps ``sklinear._dual_sweep`` and ``sklinear._saga_sweep`` are built and
    in use, or else why not.

    Examples
    --------
    The section titles and the kernel's line are the same on every machine:

    >>> from sklinear import show_versions
    >>> show_versions()  # doctest: +ELLIPSIS
    <BLANKLINE>
    System:
    ...
    Python dependencies:
        sklinear: ...
    ...
    CPUs and threads:
        usable CPUs: ...
    ...
    Thread pools (threadpoolctl):
    ...
    Compiled kernel (sklinear._fused):
        built: ...
    Compiled kernel (sklinear._dual_sweep):
        built: ...
    <BLANKLINE>
    Compiled kernel (sklinear._saga_sweep):
        built: ...
    """
    sections = {
        "System": _format(_system_info()),
        "Python dependencies": _format(_dependency_versions()),
        "CPUs and threads": _format(_cpu_info()),
        "Thread pools (threadpoolctl)": _threadpool_sections(),
        "Compiled kernel (sklinear._fused)": _format(_kernel_info()),
        "Compiled kernel (sklinear._dual_sweep)": _format(_dual_sweep_info()),
        "Compiled kernel (sklinear._saga_sweep)": _format(_saga_sweep_info()),
    }
    for title, body in sections.items():
        print(f"\n{title}:\n{body}")
