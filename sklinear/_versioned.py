"""Saved models remember the sklinear version that made them.

scikit-learn records its own version in the pickles of its estimators and
warns when a file comes from another release; it does that only for classes
of its own package. This mixin does the same for sklinear's estimators, in
pickle, joblib and skops files alike (all go through ``__getstate__``).
"""

import importlib.metadata
import warnings

try:
    # The one version source: the installed distribution's metadata, which the
    # build writes from pyproject.toml.
    __version__ = importlib.metadata.version("sklinear")
except importlib.metadata.PackageNotFoundError:  # sources on sys.path, not installed
    __version__ = "0+unknown"

_VERSION_KEY = "_sklinear_version"


class InconsistentVersionWarning(UserWarning):
    """A model saved by another sklinear release was loaded."""


class VersionedStateMixin:
    """Put ``_sklinear_version`` in the saved state; warn on a mismatch."""

    def __getstate__(self):
        return {**super().__getstate__(), _VERSION_KEY: __version__}

    def __setstate__(self, state):
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            # What pickle or skops restores must be a dict of attribute names;
            # anything else is a damaged file, not a model.
            raise ValueError(
                f"Cannot restore a {type(self).__name__} from a saved state of "
                f"type {type(state).__name__}: expected a dict of attribute "
                "names. The file is damaged or was not made by sklinear."
            )
        state = dict(state)
        saved = state.pop(_VERSION_KEY, None)
        if saved is not None and saved != __version__:
            warnings.warn(
                f"Loading a {type(self).__name__} saved by sklinear {saved} with "
                f"sklinear {__version__}: it may predict differently or fail. "
                "Refit it, or load it with the version that saved it.",
                InconsistentVersionWarning,
                stacklevel=2,
            )
        super().__setstate__(state)
