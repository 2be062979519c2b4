"""Whether the compiled kernel ``sklinear._fused`` is there, and if not, why.

setup.py writes ``_build_status.json`` beside the extension when it builds the
package: whether the optional C extension was built and, if not, the
compiler's complaint. :func:`kernel_status` prefers that record to the bare
ImportError, which only says that the module is missing. The certified
solver's per-sample sweep ``sklinear._saga_sweep`` has its own record,
``_build_status_saga_sweep.json``, read by :func:`sweep_status`.
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

# Written by setup.py under the same name.
BUILD_RECORD = Path(__file__).with_name("_build_status.json")

_KERNEL = "sklinear._fused"
_MESSAGE = """\
sklinear's compiled kernel ({kernel}) is not available: {reason}
Training still works, through NumPy and BLAS, at lower speed. {advice}"""
_REBUILD = """To get the
kernel, install a C compiler (GCC or Clang) and reinstall sklinear from
source: pip install --force-reinstall --no-cache-dir --no-deps sklinear
(in a source checkout: pip install -e . again)."""
# The per-sample SAGA sweep of the certified solver, and its record (setup.py's
# record_name).
_SWEEP = "sklinear._saga_sweep"
SWEEP_RECORD = Path(__file__).with_name("_build_status_saga_sweep.json")
_SWEEP_MESSAGE = """\
sklinear's compiled SAGA sweep ({kernel}) is not available: {reason}
The certified solver still works, with minibatch steps in NumPy, at lower
speed. {advice}"""
# setup.py skips MSVC (see its MSVC_REASON): reinstalling would meet it again.
_NO_KERNEL_WITH_MSVC = "Builds with MSVC (Windows wheels) come without it."


class KernelNotBuiltWarning(UserWarning):
    """Warned once, at ``import sklinear``, when the compiled kernel is missing.

    The optional C extension ``sklinear._fused`` computes each minibatch's loss
    and gradient in one pass; without it training goes through NumPy and BLAS,
    more slowly. The message gives the reason: the compiler's error recorded
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
    return _status(_KERNEL, record)


def sweep_status(record=None):
    """Whether the compiled SAGA sweep imports, and its file or the reason.

    Parameters
    ----------
    record : path-like, default=None
        Its build record; None for the one beside this module.

    Returns
    -------
    built : bool
        Whether ``sklinear._saga_sweep`` imports.
    detail : str
        As for :func:`kernel_status`.
    """
    return _status(_SWEEP, record or SWEEP_RECORD)


def _status(name, record):
    try:
        module = importlib.import_module(name)
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
    extensions = (
        (_KERNEL, kernel_status, _MESSAGE),
        (_SWEEP, sweep_status, _SWEEP_MESSAGE),
    )
    for name, status, template in extensions:
        built, reason = status()
        if built:
            continue
        advice = _NO_KERNEL_WITH_MSVC if "MSVC" in reason else _REBUILD
        message = template.format(kernel=name, reason=reason, advice=advice)
        # 1: this function, 2: sklinear/__init__.py, 3: whoever imports it
        # (warnings skips importlib's frames in between).
        warnings.warn(message, KernelNotBuiltWarning, stacklevel=3)
