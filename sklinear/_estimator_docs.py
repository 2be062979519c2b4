"""The parameters and attributes that both classifiers document.

Private: :mod:`sklinear.linear_model` puts them into the docstrings of
:class:`~sklinear.LinearSVMClassifier` and :class:`~sklinear.SoftmaxClassifier`
(in place of ``{parameters}`` and ``{attributes}``).
"""

_SHARED_PARAMETERS = """
    penalty : {'l2', 'l1', 'elasticnet'} or None, default='l2'
        The regularizer :math:`R(W)` (the intercept is never penalized):
        ``'l2'`` is :math:`\\frac12\\|W\\|_F^2`, ``'l1'`` is :math:`\\|W\\|_1`,
        ``'elasticnet'`` is :math:`\\rho\\|W\\|_1 + \\frac{1-\\rho}{2}\\|W\\|_F^2`
        with :math:`\\rho` = ``l1_ratio``. The L1 parts are applied by a
        proximal (soft-thresholding) step, so they give exact zeros.
    alpha : float, default=1e-2
        Regularization strength, as in :class:`~sklearn.linear_model.
        SGDClassifier`: the objective is ``mean loss + alpha * R(W)``. The
        lecture writes :math:`\\lambda \\sum W^2`, so :math:`\\lambda = \\alpha/2`
        for ``'l2'``; ``alpha = 1 / (C * n_samples)`` is the same objective as
        :class:`~sklearn.linear_model.LogisticRegression` with ``C`` for three
        or more classes (``2 / (C * n_samples)`` for two, where both class
        rows are penalized). The default suits standardized features (rows
        of squared norm about ``n_features``); the penalty weighs more as the
        rows get shorter, so rows of unit norm (tf-idf) want an ``alpha``
        orders of magnitude smaller, such as ``1e-4``.
    l1_ratio : float, default=0.15
        Elastic net mixing :math:`\\rho` in [0, 1]; only for ``'elasticnet'``.
    max_norm : float, default=None
        If set, after every step each class's weight row is projected onto the
        L2 ball of this radius (max-norm regularization). The projection is
        the nearest point in the metric of the per-feature step sizes, so
        training converges to the constrained minimizer (a few Newton steps
        per update: 0.5 to 1.5 ms for 10 x 3,072 weights, the more in
        float64). With two classes, ``coef_`` is the difference of the two
        rows, so its norm can reach twice this.
    fit_intercept : bool, default=True
        Whether to learn an (unpenalized) intercept per class.
    solver : {'auto', 'saga', 'sdca', 'lbfgs', 'sgd', 'gd', 'random_search'}, \
default='auto'
        The certified solvers minimize the objective until its relative
        duality gap is below ``tol`` (see ``duality_gap_``):
        ``'saga'``, minibatch proximal SAGA (either loss; the hinge through a
        smoothing homotopy, which is slow to close the gap); ``'sdca'``,
        minibatch stochastic dual coordinate ascent (the hinge loss with an
        L2 part in the penalty, with or without ``max_norm``); ``'lbfgs'``,
        the quasi-Newton method L-BFGS on the whole data (the softmax without
        ``max_norm``: with ``penalty='l2'``, or with an L1 part in its
        orthant-wise form OWL-QN, whose iterates hold exact zeros; SAGA's
        epochs finish where it stops short of ``tol``). The lecture's
        solvers:
        ``'sgd'``, minibatch stochastic gradient descent with the schedule
        below; ``'gd'``, full-batch gradient descent (``max_iter`` steps);
        ``'random_search'``, ``max_iter`` random weight matrices, keeping the
        best (``partial_fit`` and ``warm_start`` keep the current model
        unless a trial beats it on the new data). ``'auto'``: ``'sdca'`` for
        the hinge with an L2 part, ``'saga'`` for the softmax (``'lbfgs'``
        with ``penalty='l2'`` alone on dense data beyond the smallest
        problems, with ``'l1'`` or ``'elasticnet'`` on dense data and on
        sparse data of at most 5,000,000 stored values (where L-BFGS's
        pairs are not many times larger than the data), and with ``'l2'`` on
        sparse data where SAGA's steps would be short: a small ``alpha`` for
        rows of large norm), and
        ``'sgd'``
        for the hinge without an L2 part (L1, or ``max_norm`` alone), with
        ``early_stopping``,
        ``average`` or a numeric ``learning_rate_init``, without any
        penalty (no certificate applies), and on float32 data far from zero
        (whose float32 products lose the digits the certified solvers need;
        float64 data is certified). The
        solver that ran is ``solver_``. ``partial_fit`` always takes SGD
        steps (trials for ``'random_search'``).
    batch_size : int or 'auto', default='auto'
        The largest number of samples per minibatch (``'sgd'``): an epoch has
        ``m = ceil(n_samples / batch_size)`` batches of equal size (up to one
        sample), so 100 samples with ``batch_size=64`` give two batches of 50.
        ``'auto'`` aims at 30 steps per epoch with batches of 32 to 2048
        samples. Batches are strided views of ``X`` (rows ``k, k + m, k + 2m,
        ...``), so no data is copied per batch. The certified solvers choose
        their own with ``'auto'``: single samples through their compiled
        sweeps (small, medium and sparse data), or minibatches of up to 128
        rows (``'saga'`` on large dense data); a number sets ``'saga'``'s
        batch size too (``'sdca'`` visits single samples whenever its
        compiled sweep runs).
    max_iter : int, default=1000
        Maximum number of epochs (``'saga'``, ``'sdca'``, ``'sgd'``), steps
        (``'gd'``), or trials (``'random_search'``).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='adaptive'
        Step-size schedule of ``'sgd'`` and ``'gd'`` (the certified solvers
        choose their steps from the data's curvature, and so ignore
        ``learning_rate``, ``learning_rate_init``, ``power_t``, ``momentum``,
        ``n_iter_no_change`` and ``shuffle``). ``'constant'``: :math:`\\eta_0`;
        ``'invscaling'``: :math:`\\eta_0 / (1 + \\text{epochs})^{\\text{power\\_t}}`;
        ``'adaptive'``: :math:`\\eta_0`, divided by 5 whenever the training
        objective (or the validation score) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; training stops when such a plateau
        follows a lowering with no improvement in between (the plateau was
        convergence, not noise), or once the step is below
        :math:`10^{-4} \\eta_0`.
    learning_rate_init : float or 'auto', default='auto'
        The initial step size :math:`\\eta_0`. ``'auto'`` takes
        :math:`(1 - \\text{momentum}) / (2L)` (an effective step of
        :math:`1/(2L)` once momentum builds up, the usual stable step for
        stochastic gradients), with :math:`L` an estimate of the curvature of the
        objective (the loss curvature times the largest eigenvalue of the
        data's second-moment matrix, plus the L2 strength): a safe step for raw
        0-255 pixels and standardized features alike. The eigenvalue comes
        from at most 1,024 evenly spaced rows; with many more features than
        that, sampling noise inflates it (2.9x on 40,000 x 3,072 standardized
        features), which only makes the step more cautious. The value used
        is ``learning_rate_``.
    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.
    momentum : float, default=0.9
        Heavy-ball momentum in [0, 1): each step adds ``momentum`` times the
        previous one. Not in the lecture; it speeds up training a lot.
    tol : float or None, default=1e-3
        Stopping tolerance. ``'saga'`` and ``'sdca'``: the fit stops once the
        relative duality gap is at most ``tol``, i.e. once the training
        objective is certified to be at most ``100 * tol`` percent above its
        minimum (tiny problems, of at most :math:`10^5` multiply-adds per
        epoch, go on to ``1e-10``, the optimum to rounding, at a cost of
        microseconds per epoch: for at most half of ``max_iter``, and not at
        all where the gap's rate so far says it would take longer).
        ``'sgd'`` and ``'gd'``: an epoch counts as an improvement when the
        mean training objective drops (or, with ``early_stopping``, the
        validation accuracy rises) by more than ``tol``. None runs all
        ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Epochs without improvement before the step shrinks or training stops.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop on its accuracy, and keep the weights with the best one.
        An option of ``'sgd'`` and ``'gd'`` (``'auto'`` then runs ``'sgd'``;
        ``'saga'`` and ``'sdca'`` raise a ValueError); ignored by
        ``solver='random_search'``, which has no epochs to stop.
    validation_fraction : float, default=0.1
        Share of the training data held out by ``early_stopping``.
    shuffle : bool, default=True
        Visit the minibatches in a new random order each epoch.
    class_weight : dict, 'balanced' or None, default=None
        Weights ``{label: weight}`` multiplied into the sample weights;
        ``'balanced'`` gives each class the weight ``total / (n_classes *
        class_total)``, with the sample weights summed over all samples and
        over the class's (``n_samples / (n_classes * bincount(y))`` without
        ``sample_weight``), so that a weight of ``k`` still counts as ``k``
        copies of a sample.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution. Only the weights carry over:
        the step size, momentum, schedule and averaging start afresh from the
        current parameters (``partial_fit`` is the way to continue the
        optimizer's state). The classes and number of features must match.
    random_state : int, RandomState instance or None, default=None
        Seeds the batch order, the validation split and random search. The
        weights start at zero, so the same seed gives bit-identical results
        on the same machine for any number of threads of the compiled pass
        and of BLAS (steps that go through NumPy and BLAS, e.g. on sparse
        data, may differ in the last bits with the BLAS thread count).
    verbose : int, default=0
        Print one line per epoch when positive.
    average : bool, default=False
        Averaged SGD (``'sgd'`` and ``'gd'`` only, like ``early_stopping``):
        ``coef_`` and ``intercept_`` are the running mean of all
        the iterates instead of the last one. Much less noisy at a constant
        step, so it suits ``partial_fit`` on streams, where the 'adaptive'
        schedule cannot lower the step."""

_SHARED_ATTRIBUTES = """
    coef_ : ndarray of shape (n_classes, n_features) or (1, n_features)
        Weights, in the dtype of the training data. With two classes, the
        single row :math:`w_1 - w_0` of scikit-learn's binary convention
        (positive scores mean ``classes_[1]``).
    intercept_ : ndarray of shape (n_classes,) or (1,)
        Intercepts, likewise :math:`b_1 - b_0` for two classes.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.
    n_iter_ : int
        Epochs run (steps for ``'gd'``, trials for ``'random_search'``);
        ``partial_fit`` adds one per call.
    solver_ : str
        The solver that ``fit`` ran (``solver`` with ``'auto'`` resolved).
    objective_ : float
        The training objective (mean weighted loss plus penalty) at
        ``coef_`` and ``intercept_``, after ``fit``.
    duality_gap_ : float
        The relative duality gap ``(P - D) / P`` after ``fit``: ``P`` is
        ``objective_`` and ``D`` the value of a feasible dual point, a lower
        bound on the minimum, so ``objective_`` exceeds the minimum by at
        most ``100 * duality_gap_`` percent of its own value (at the
        optimum, rounding can leave it a few times 1e-16 below 0). Measured for
        every solver (``inf`` without a penalty, where no finite bound
        exists). Where ``'auto'`` ran ``'sgd'`` on a penalized objective (the
        hinge without an L2 part, float32 data far from zero), a gap above
        ``tol`` gives a ConvergenceWarning that says so.
    t_ : int
        Number of weight updates (minibatch steps) so far.
    learning_rate_ : float
        The initial step size used (the resolved ``'auto'``); for
        ``'random_search'``, ``'saga'`` and ``'sdca'``, the one that
        ``partial_fit``'s SGD steps continue from.
    loss_curve_ : list of float
        The training objective of every minibatch, before its step (for
        ``'random_search'``: the best objective after every trial; for
        ``'saga'`` and ``'sdca'``: the objective at every certificate check).
    loss_curve_epochs_ : list of int or None
        For ``'saga'`` and ``'sdca'`` fits, the epochs run at each entry of
        ``loss_curve_`` (checks are spaced by the rate the gap falls at);
        None where ``loss_curve_`` has one entry per step (and after a
        ``partial_fit``).
    validation_scores_ : list of float or None
        Validation accuracy after every epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        Best validation accuracy, with ``early_stopping``."""


def with_shared_docs(estimator):
    """Fill the shared parameters and attributes into ``estimator``'s docstring."""
    estimator.__doc__ = estimator.__doc__.replace(
        "{parameters}", _SHARED_PARAMETERS.strip()
    ).replace("{attributes}", _SHARED_ATTRIBUTES.strip())
    return estimator
