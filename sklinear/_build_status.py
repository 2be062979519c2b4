"""Whether the compiled kernels are there, and if not, why.

setup.py writes a build record beside each optional C extension when it
builds the package (``_build_status.json`` for the kernel ``sklinear._fused``,
``_build_status_dual_sweep.json`` for the hinge solver's ``sklinear._dual_sweep``,
``_build_status_saga_sweep.json`` for the certified solver's
``sklinear._saga_sweep``): whether it was built and, if not, the compiler's
complaint. :func:`kernel_status`, :func:`dual_sweep_status` and
:func:`sweep_status` prefer that record to the bare ImportError, which only
says that the module is missing.
"""

import importlib
import json
import warnings
from pathlib import Path

__all__ = [
    "KernelNotBuiltWarning",
    "build_record",
    "failed_build",
    "kernel_status",
    "sweep_status",
    "warn_if_kernel_missing",
]

# Written by setup.py under the same names (its BUILD_RECORDS).
BUILD_RECORD = Path(__file__).with_name("_build_status.json")
DUAL_SWEEP_RECORD = Path(__file__).with_name("_build_status_dual_sweep.json")
SWEEP_RECORD = Path(__file__).with_name("_build_status_saga_sweep.json")

_KERNEL = "sklinear._fused"
_DUAL_SWEEP = "sklinear._dual_sweep"
_SWEEP = "sklinear._saga_sweep"
_MESSAGE = """\
sklinear's compiled kernel ({kernel}) is not available: {reason}
Training still works, through NumPy and BLAS, at lower speed. {advice}"""
_DUAL_SWEEP_MESSAGE = """\
sklinear's compiled kernel ({kernel}) is not available: {reason}
The hinge solver's dual coordinate ascent still works, through NumPy
minibatches, at lower speed. {advice}"""
_SWEEP_MESSAGE = """\
sklinear's compiled SAGA sweep ({kernel}) is not available: {reason}
The certified solver still works, with minibatch steps in NumPy, at lower
speed. {advice}"""
_REBUILD = """To get the
kernel, install a C compiler (GCC or Clang) and reinstall sklinear from
source: pip install --force-reinstall --no-cache-dir --no-deps sklinear
(in a source checkout: pip install -e . again)."""
# setup.py skips MSVC (see its MSVC_REASON): reinstalling would meet it again.
_NO_KERNEL_WITH_MSVC = "Builds with MSVC (Windows wheels) come without it."


class KernelNotBuiltWarning(UserWarning):
    """Warned once, at ``import sklinear``, when the compiled kernel is missing.

    The optional C extension ``sklinear._fused`` computes each minibatch's loss
    and gradient in one pass; without it training goes through NumPy and BLAS,
    more slowly. The optional ``sklinear._dual_sweep`` runs the hinge solver's
    dual coordinate ascent one sample at a time; without it that goes through
    NumPy minibatches, more slowly. One warning names every missing kernel,
    each with its reason: the compiler's error recorded
    when the package was built, or else why the module could not be imported.
    As it is warned while sklinear is being imported, filter it by its message
    beforehand to silence it.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.filterwarnings("ignore", message="sklinear's compiled kernel")
    ...     import sklinear
    >>> issubclass(sklinear.KernelNotBuiltWarning, UserWarning)
    True
    """


def build_record(path=None):
    """The record that setup.py wrote of the build (at ``path``), or None."""
    try:
        record = json.loads(Path(path or BUILD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def kernel_status(record=None):
    """Whether the compiled kernel can be imported, and its file or the reason.

    Parameters
    ----------
    record : path-like, default=None
        The build record that setup.py wrote; None for the one beside this
        module.

    Returns
    -------
    built : bool
        Whether ``sklinear._fused`` imports.
    detail : str
        The extension's file when it imports; else the build failure that the
        record names, or the ImportError's message when there is none.
    """
    return _status(_KERNEL, record or BUILD_RECORD)


def dual_sweep_status(record=None):
    """:func:`kernel_status` for the dual sweep ``sklinear._dual_sweep``.

    Parameters
    ----------
    record : path, default=None
        The build record to read; None reads the installed one.

    Returns
    -------
    built : bool
    detail : str
    """
    return _status(_DUAL_SWEEP, record or DUAL_SWEEP_RECORD)


def sweep_status(record=None):
    """:func:`kernel_status` for the SAGA sweep ``sklinear._saga_sweep``.

    Parameters
    ----------
    record : path-like, default=None
        Its build record; None for the one beside this module.

    Returns
    -------
    built : bool
    detail : str
    """
    return _status(_SWEEP, record or SWEEP_RECORD)


def _status(module_name, record):
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return False, _reason(error, build_record(record))
    return True, module.__file__


def failed_build(record):
    """The reason a build record gives for a failed build, else None."""
    if record and record.get("built") is False:
        return record.get("reason") or "no reason recorded"
    return None


def _reason(import_error, record):
    # A failed build is the cause; the ImportError would only repeat that the
    # module is missing. A record of success means the file went missing or
    # does not load here (another platform, a deleted file): say why.
    reason = failed_build(record)
    if reason:
        return f"its build failed: {reason}"
    return f"it does not import: {import_error}"


def warn_if_kernel_missing():
    """Warn a :class:`KernelNotBuiltWarning` if the kernel does not import.

    Called once, by ``import sklinear``: the warning points at the line that
    imports sklinear.
    """
    parts = []
    for status, template, kernel in (
        (kernel_status, _MESSAGE, _KERNEL),
        (dual_sweep_status, _DUAL_SWEEP_MESSAGE, _DUAL_SWEEP),
        (sweep_status, _SWEEP_MESSAGE, _SWEEP),
    ):
        built, reason = status()
        if not built:
            advice = _NO_KERNEL_WITH_MSVC if "MSVC" in reason else _REBUILD
            parts.append(template.format(kernel=kernel, reason=reason, advice=advice))
    if parts:
        # 1: this function, 2: sklinear/__init__.py, 3: whoever imports it
        # (warnings skips importlib's frames in between).
        warnings.warn("\n".join(parts), KernelNotBuiltWarning, stacklevel=3)
