"""Sphinx extension: "See also" links for the API pages, and scikit-learn's
inherited docstrings made safe to include.

The classes' and the dataset, plotting and feature-transformer docstrings
have their own "See Also" sections; the functions and small classes of the
lecture's building blocks get theirs here, from ``SEE_ALSO``, so that the
links live next to the API reference that shows them. A docstring that has a
"See Also" section of its own keeps it, and ``SEE_ALSO`` adds nothing to it.
Each link's description is the summary of the linked object's docstring, so
it cannot drift from what the object says of itself.
"""

import inspect
import pydoc
import re

# Documented name -> names it links to: relative to its module, or absolute.
SEE_ALSO = {
    "sklinear.show_versions": ["sklinear.KernelNotBuiltWarning"],
    "sklinear.KernelNotBuiltWarning": ["sklinear.show_versions"],
    "sklinear.features.hog": ["HOGFeatures", "hog_visualization"],
    "sklinear.features.hog_visualization": [
        "hog",
        "sklinear.plotting.HOGGlyphDisplay",
    ],
    "sklinear.features.hue_histogram": ["HueHistogram"],
    "sklinear.persistence.dump": ["load", "dumps", "untrusted_types"],
    "sklinear.persistence.dumps": ["loads", "dump"],
    "sklinear.persistence.load": ["dump", "loads", "untrusted_types"],
    "sklinear.persistence.loads": ["dumps", "load"],
    "sklinear.persistence.untrusted_types": ["load"],
    "sklinear.persistence.InconsistentVersionWarning": ["load"],
    "sklinear.scale.fit_incremental": [
        "transform_blocks",
        "sklinear.SoftmaxClassifier.partial_fit",
    ],
    "sklinear.scale.transform_blocks": ["fit_incremental"],
    "sklinear.losses.multiclass_hinge_loss": [
        "softmax_loss",
        "sklinear.LinearSVMClassifier",
    ],
    "sklinear.losses.softmax_loss": [
        "multiclass_hinge_loss",
        "sklinear.SoftmaxClassifier",
    ],
    "sklinear.penalties.Penalty": ["make_penalty"],
    "sklinear.penalties.NoPenalty": ["make_penalty"],
    "sklinear.penalties.L2": ["L1", "ElasticNet", "make_penalty"],
    "sklinear.penalties.L1": ["L2", "ElasticNet", "make_penalty"],
    "sklinear.penalties.ElasticNet": ["L2", "L1", "make_penalty"],
    "sklinear.penalties.MaxNorm": ["project_max_norm", "make_penalty"],
    "sklinear.penalties.make_penalty": ["L2", "L1", "ElasticNet", "MaxNorm"],
    "sklinear.penalties.project_max_norm": ["MaxNorm", "make_penalty"],
    "sklinear.objective.LinearObjective": [
        "sklinear.optimize.minibatch_sgd",
        "sklinear.gradient_check.gradient_check",
    ],
    "sklinear.optimize.random_search": ["gradient_descent", "minibatch_sgd"],
    "sklinear.optimize.gradient_descent": ["random_search", "minibatch_sgd"],
    "sklinear.optimize.minibatch_sgd": [
        "gradient_descent",
        "SGDState",
        "sklinear.LinearSVMClassifier",
        "sklinear.SoftmaxClassifier",
    ],
    "sklinear.optimize.OptimizeResult": [
        "random_search",
        "gradient_descent",
        "minibatch_sgd",
    ],
    "sklinear.optimize.SGDState": ["minibatch_sgd"],
    "sklinear.gradient_check.numerical_gradient": ["gradient_check"],
    "sklinear.gradient_check.gradient_check": [
        "numerical_gradient",
        "GradientCheckResult",
    ],
    "sklinear.gradient_check.GradientCheckResult": ["gradient_check"],
}

_HEADER = re.compile(r"See Also\s*$")
# Cross-references into scikit-learn's own documentation, which this one
# cannot resolve (score's ":ref:`accuracy <accuracy_score>`", set_output's
# ":ref:`user guide <df_output_transform>`" and its example): plain text,
# which names scikit-learn where "the user guide" would mean this one's.
_SKLEARN_REFS = (
    (re.compile(r":ref:`[Uu]ser [Gg]uide <[^>]+>`"), "user guide of scikit-learn"),
    (
        re.compile(r":ref:`sphx_glr_auto_examples_\w*?(plot_\w+\.py)`"),
        r"scikit-learn's example ``\1``",
    ),
    (re.compile(r":ref:`([^`<]+?) <[^>]+>`"), r"\1"),
)


def _summary(target, module):
    """The summary of ``target``'s docstring (``target`` relative to ``module``).

    The summary is the docstring's first paragraph, on one line.
    """
    obj = pydoc.locate(f"{module}.{target}") or pydoc.locate(target)
    if obj is None:
        raise ValueError(f"SEE_ALSO names {target!r}, which does not exist")
    paragraph = (inspect.getdoc(obj) or "").split("\n\n", 1)[0]
    return " ".join(paragraph.split()).rstrip(".")


def _add_see_also(app, what, name, obj, options, lines):
    targets = SEE_ALSO.get(name)
    if not targets or any(_HEADER.match(line.strip()) for line in lines):
        return
    module = name.rpartition(".")[0]
    lines += ["", "See Also", "--------"]
    lines += [f"{target} : {_summary(target, module)}." for target in targets]


def _unlink_sklearn_refs(app, what, name, obj, options, lines):
    """Plain text for the references into scikit-learn's documentation."""
    if not getattr(obj, "__module__", "").startswith("sklearn"):
        return
    for index, line in enumerate(lines):
        for reference, text in _SKLEARN_REFS:
            line = reference.sub(text, line)
        lines[index] = line


def setup(app):
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _add_see_also, priority=400)
    app.connect("autodoc-process-docstring", _unlink_sklearn_refs, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
