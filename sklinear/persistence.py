"""Saving and loading fitted models, safely.

``pickle`` and ``joblib`` work on every sklinear estimator and give back
identical predictions, but loading a pickle runs whatever code the file
names: load only files you made or trust. The `skops
<https://skops.readthedocs.io>`_ format (extra ``pip install
"sklinear[skops]"``) does not run code: loading checks every type named in
the file against a list of trusted ones and refuses the rest.

This module publishes that list for sklinear, :data:`TRUSTED_TYPES` (the
estimators and transformers of the package; their fitted attributes are
only NumPy arrays, numbers, strings, ``None``, lists, tuples and dicts), and
:func:`load` / :func:`loads`, which trust those types on top of the ones
skops trusts by default (scikit-learn's estimators, NumPy and SciPy types,
Python builtins) and nothing else unless asked. A fitted ``GridSearchCV``
also names scikit-learn's cross-validation splitter and scorer, which skops
does not trust by default: save ``search.best_estimator_``, or pass the
names :func:`untrusted_types` reports as ``trusted``.

Saved sklinear estimators record the sklinear version that saved them, and
loading one from another version warns (:class:`InconsistentVersionWarning`).

Trusted types are not trusted values: a file can hold weights of the wrong
shape, NaN, or a damaged optimizer state. :func:`load` and :func:`loads`
check the fitted classifiers they load (in pipelines and searches too):
every array the model predicts or trains from must have its exact shape, a
float dtype and finite values, and a ValueError names the first that does
not. ``predict``, ``partial_fit`` and warm starts check again before use,
which also covers pickles and models changed after loading.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from sklinear import SoftmaxClassifier
>>> from sklinear.persistence import dumps, loads
>>> X, y = load_iris(return_X_y=True)
>>> model = SoftmaxClassifier(random_state=0).fit(X, y)
>>> restored = loads(dumps(model))
>>> bool((restored.predict_proba(X) == model.predict_proba(X)).all())
True
"""

from ._composite import leaf_estimators
from ._state import _has_fitted_state, check_training_state
from ._versioned import InconsistentVersionWarning
from .features import HOGFeatures, HueHistogram
from .linear_model import LinearSVMClassifier, SoftmaxClassifier, _BaseLinearClassifier

__all__ = [
    "InconsistentVersionWarning",
    "TRUSTED_TYPES",
    "dump",
    "dumps",
    "load",
    "loads",
    "untrusted_types",
]

_TRUSTED_CLASSES = (HOGFeatures, HueHistogram, LinearSVMClassifier, SoftmaxClassifier)

#: Fully qualified names of the sklinear types that :func:`load` trusts: every
#: estimator and transformer of the package, named as saved files name them.
TRUSTED_TYPES = tuple(
    sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in _TRUSTED_CLASSES)
)


def _skops_io():
    try:
        import skops.io
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Saving in the skops format needs skops: install it with "
            "pip install 'sklinear[skops]'."
        ) from error
    return skops.io


def _trusted(trusted):
    if trusted is None:
        trusted = ()
    if isinstance(trusted, str):
        raise ValueError(
            f"trusted must be a list of type names, got the string {trusted!r}; "
            f"use [{trusted!r}]."
        )
    if isinstance(trusted, bool) or not hasattr(trusted, "__iter__"):
        raise ValueError(
            f"trusted must be a list of type names, got {trusted!r}. Trusting "
            "every type is not offered: list the ones untrusted_types() "
            "reports, after checking them."
        )
    return [*TRUSTED_TYPES, *trusted]


def dump(obj, file):
    """Save ``obj`` (e.g. a fitted estimator or pipeline) in the skops format.

    Parameters
    ----------
    obj : object
        What to save.
    file : str, path-like or binary file object
        Where to write it (a ``.skops`` file by convention).
    """
    _skops_io().dump(obj, file)


def dumps(obj):
    """Serialize ``obj`` to bytes in the skops format.

    Parameters
    ----------
    obj : object
        What to serialize.

    Returns
    -------
    data : bytes
    """
    return _skops_io().dumps(obj)


def untrusted_types(file=None, *, data=None):
    """Types named in a skops file that :func:`load` would refuse.

    Parameters
    ----------
    file : str, path-like, binary file object or bytes, default=None
        A skops file, or its contents (as :func:`dumps` makes them).
    data : bytes, default=None
        Or its contents.

    Returns
    -------
    types : list of str
        Fully qualified names, neither trusted by skops by default nor in
        :data:`TRUSTED_TYPES`. Look at them before passing any to ``trusted``.
    """
    if isinstance(file, bytes | bytearray) and data is None:
        file, data = None, bytes(file)
    found = _skops_io().get_untrusted_types(file=file, data=data)
    return sorted(set(found) - set(TRUSTED_TYPES))


def load(file, *, trusted=()):
    """Load a skops file, trusting only sklinear's and skops' default types.

    Parameters
    ----------
    file : str, path-like or binary file object
        A file written by :func:`dump` (or ``skops.io.dump``).
    trusted : sequence of str or None, default=()
        Further fully qualified type names to trust, for files holding other
        types (check them with :func:`untrusted_types` first). None trusts no
        further type.

    Returns
    -------
    obj : object
        The loaded object.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        If the file names any other type; nothing from it is built.
    ValueError
        If a fitted sklinear classifier in it has attributes that do not fit
        together (wrong shape or dtype, NaN, missing).
    """
    return _check_loaded(_skops_io().load(file, trusted=_trusted(trusted)))


def loads(data, *, trusted=()):
    """Load skops bytes, trusting only sklinear's and skops' default types.

    Parameters
    ----------
    data : bytes
        Made by :func:`dumps` (or ``skops.io.dumps``).
    trusted : sequence of str or None, default=()
        Further fully qualified type names to trust; None trusts no further
        type.

    Returns
    -------
    obj : object
        The loaded object.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        If the data name any other type; nothing from them is built.
    ValueError
        If a fitted sklinear classifier in them has attributes that do not
        fit together (wrong shape or dtype, NaN, missing).
    """
    return _check_loaded(_skops_io().loads(data, trusted=_trusted(trusted)))


def _check_loaded(obj):
    """Check the fitted sklinear classifiers in a loaded object.

    A cheap structural check right after loading, so that a damaged file is
    reported where it is read; ``predict``, ``partial_fit`` and warm starts
    check again at use, which covers pickles and objects changed after
    loading.

    Parameters
    ----------
    obj : object
        What was loaded: an estimator, a pipeline or search holding one, or
        anything else (left alone).

    Returns
    -------
    obj : object
        The same object.

    Raises
    ------
    ValueError
        If a fitted classifier in it fails ``check_training_state``.
    """
    for leaf in leaf_estimators(obj):
        # The rule partial_fit and warm starts use for "a model to continue".
        if isinstance(leaf, _BaseLinearClassifier) and _has_fitted_state(leaf):
            check_training_state(leaf)
    return obj
