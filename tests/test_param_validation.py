"""Every public callable rejects invalid parameters with a clear error.

The sweep is generated, so that nothing public is left out: the callables
are those in ``__all__`` of the package and of its subpackages, and the
invalid values come from the constraints each declares
(``_parameter_constraints`` of an estimator, ``validate_params`` of a
function), as scikit-learn's own common tests derive them. Each must raise
scikit-learn's ``InvalidParameterError``, naming the parameter and the
callable.
"""

import inspect

import numpy as np
import pytest

import sklinear
import sklinear.datasets
import sklinear.features
import sklinear.plotting
from sklinear._sklearn_compat import InvalidParameterError, generate_invalid_param_val

NAMESPACES = [sklinear, sklinear.features, sklinear.datasets, sklinear.plotting]

# Public callables with no parameters to validate, and why.
WITHOUT_PARAMETERS = {
    "show_versions": "takes no parameters",
    # Displays hold data, not settings; plot() checks its few options.
    "HOGGlyphDisplay": "a display",
    "LossCurveDisplay": "a display",
    "WeightTemplateDisplay": "a display",
}

# Valid values of the required arguments of each function: the sweep changes
# one parameter at a time and leaves the others valid.
REQUIRED = {
    "hog": {"images": np.zeros((1, 8, 8))},
    "hog_visualization": {"image": np.zeros((8, 8))},
    "hue_histogram": {"images": np.zeros((1, 4, 4, 3))},
    "load_cifar10": {"path": "no/such/folder"},
    "load_photo_patches": {},
    "numerical_gradient": {"f": np.sum, "x": np.ones(2)},
}


def _public_callables():
    found = {}
    for namespace in NAMESPACES:
        for name in namespace.__all__:
            value = getattr(namespace, name)
            if inspect.ismodule(value) or not callable(value):
                continue
            if isinstance(value, type) and issubclass(value, Warning | Exception):
                continue
            found.setdefault(name, value)
    return found


PUBLIC = _public_callables()


def _constraints(value):
    if isinstance(value, type):
        return getattr(value, "_parameter_constraints", None)
    return getattr(value, "_skl_parameter_constraints", None)


SWEPT = sorted(name for name in PUBLIC if name not in WITHOUT_PARAMETERS)


def test_every_public_callable_declares_its_constraints():
    assert set(WITHOUT_PARAMETERS) <= set(PUBLIC)
    missing = [name for name in SWEPT if _constraints(PUBLIC[name]) is None]
    assert not missing, f"no parameter constraints on {missing}"


class _BadType:
    """A value of a type that no constraint accepts."""


def _invalid_values(constraints):
    """(value, description) pairs that break the constraints of one parameter."""
    yield _BadType(), "a value of a foreign type"
    for constraint in constraints:
        try:
            value = generate_invalid_param_val(constraint)
        except NotImplementedError:  # constraints without a known invalid value
            continue
        # Sorted, not the set's own order (which differs between processes:
        # pytest-xdist's workers must collect the same test ids).
        options = getattr(constraint, "options", None)
        described = (
            f"{type(constraint).__name__} {sorted(map(str, options))}"
            if isinstance(options, (set, frozenset))
            else str(constraint)
        )
        yield value, f"outside {described}"


def _call(name, params):
    target = PUBLIC[name]
    if isinstance(target, type):
        X = np.zeros((4, 16))
        estimator = target().set_params(**params)
        fit = estimator.fit
        return (
            fit(X, [0, 1, 0, 1]) if "y" in inspect.signature(fit).parameters else fit(X)
        )
    return target(**{**REQUIRED[name], **params})


def _cases():
    for name in SWEPT:
        constraints = _constraints(PUBLIC[name]) or {}
        for param, options in constraints.items():
            for value, description in _invalid_values(options):
                yield pytest.param(
                    name, param, value, id=f"{name}-{param}-{description}"
                )


@pytest.mark.parametrize("name, param, value", list(_cases()))
def test_invalid_parameter_raises_a_clear_error(name, param, value):
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of {name}"):
        _call(name, {param: value})
