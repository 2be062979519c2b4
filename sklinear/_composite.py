"""Walking scikit-learn composites down to the estimators they hold."""


def leaf_estimators(estimator):
    """The estimators inside ``estimator``, depth first.

    A search is replaced by its ``best_estimator_``; pipelines (``steps``)
    and feature unions (``transformer_list``) are opened up, and their
    ``'drop'``, ``'passthrough'`` and ``None`` steps skipped. Anything else is
    a leaf.
    """
    estimator = getattr(estimator, "best_estimator_", estimator)
    parts = getattr(estimator, "steps", None) or getattr(
        estimator, "transformer_list", None
    )
    if parts is None:
        yield estimator
        return
    for _, part in parts:
        if part is not None and not (isinstance(part, str) and part in _SKIPPED):
            yield from leaf_estimators(part)


def final_estimator(estimator):
    """The estimator that holds a composite's fitted model: the last step of
    a pipeline, the best estimator of a search, however deeply nested."""
    while True:
        estimator = getattr(estimator, "best_estimator_", estimator)
        steps = getattr(estimator, "steps", None)  # a Pipeline
        if not steps:
            return estimator
        estimator = steps[-1][1]


_SKIPPED = ("drop", "passthrough")
