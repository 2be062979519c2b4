"""Optimizers for a :class:`~sklinear.objective.LinearObjective`.

The lecture's three strategies, from worst to best:

* :func:`random_search`: draw random weights, keep the best (a baseline);
* :func:`gradient_descent`: follow the full-batch gradient;
* :func:`minibatch_sgd`: follow the gradient of small batches, many cheap
  steps per pass over the data, with momentum and step-size schedules.

They know nothing of scikit-learn: they take an objective and weights and
return an :class:`OptimizeResult`. Minibatches are strided views
``X[k::n_batches]`` of the data, so no batch copies ``X`` (gathering shuffled
rows with fancy indexing costs a full extra copy of ``X`` per epoch) and every
batch samples the whole data set even when it is sorted by class; ``shuffle``
draws a new order of the batches every epoch.
"""

import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from ._sgd_epoch import (
    _batches,
    _bounded,
    _epoch_settings,
    _follow,
    _into_domain,
    _PlateauRule,
    _print_epoch,
    _record_epoch,
    _restore,
    _run_epoch,
)

__all__ = [
    "OptimizeResult",
    "SGDState",
    "gradient_descent",
    "minibatch_sgd",
    "random_search",
    "LEARNING_RATE_SCHEDULES",
]

LEARNING_RATE_SCHEDULES = ("constant", "invscaling", "adaptive")


@dataclass
class SGDState:
    """What minibatch SGD carries from one call to the next (``partial_fit``).

    Attributes
    ----------
    eta0 : float
        Initial step size.
    eta : float
        Current step size (the 'adaptive' schedule lowers it).
    t : int
        Number of weight updates so far.
    epochs : float
        Number of passes over the data so far (the 'invscaling' clock).
    velocity_W, velocity_b : ndarray or None
        Momentum buffers.
    preconditioner : ndarray of shape (n_features,) or None
        Per-feature step multipliers (a diagonal preconditioner).
    average_W, average_b, n_averaged : ndarray, ndarray, int
        Running average of the iterates (averaged SGD), when enabled.
    offset : ndarray or None
        The centering of the objective the state's intercepts refer to.
    """

    eta0: float
    eta: float = None
    t: int = 0
    epochs: float = 0.0
    velocity_W: np.ndarray = None
    velocity_b: np.ndarray = None
    preconditioner: np.ndarray = None
    average_W: np.ndarray = None
    average_b: np.ndarray = None
    n_averaged: int = 0
    offset: np.ndarray = None

    def __post_init__(self):
        if self.eta is None:
            self.eta = self.eta0


@dataclass
class OptimizeResult:
    """Weights found by an optimizer, and how it got there.

    Attributes
    ----------
    W : ndarray of shape (n_classes, n_features)
    b : ndarray of shape (n_classes,)
    n_iter : int
        Epochs run (trials for random search).
    converged : bool
        Whether the stopping rule fired before ``max_iter``.
    interrupted : bool
        Whether ``on_epoch_end`` asked to stop before the stopping rule or
        ``max_iter`` did.
    loss_curve : list of float
        Objective of every minibatch (every trial for random search), measured
        before the step it drove.
    loss_curve_epochs : list of int or None
        For a curve of checks (the certified solvers): the epochs run at
        each entry of ``loss_curve``; None where it has one entry per step.
    epoch_objectives : list of float
        Mean minibatch objective of each epoch.
    validation_scores : list of float
        Validation score after each epoch, when a validation function was given.
    state : SGDState or None
        Optimizer state to continue from.
    """

    W: np.ndarray
    b: np.ndarray
    n_iter: int = 0
    converged: bool = False
    interrupted: bool = False
    loss_curve: list = field(default_factory=list)
    loss_curve_epochs: list = None
    epoch_objectives: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    best_validation_score: float = None
    state: SGDState = None


def _generator(random_state):
    """A numpy Generator or RandomState as given; an int or None seeds a new
    Generator."""
    if isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return random_state
    return np.random.default_rng(random_state)


def minibatch_sgd(
    objective,
    W,
    b,
    *,
    learning_rate_init,
    batch_size=256,
    max_iter=100,
    learning_rate="adaptive",
    power_t=0.5,
    momentum=0.9,
    tol=1e-4,
    n_iter_no_change=5,
    shuffle=True,
    max_norm=None,
    random_state=None,
    validation_score=None,
    state=None,
    stop_early=True,
    average=False,
    verbose=0,
    on_epoch_begin=None,
    on_epoch_end=None,
):
    """Minimize ``objective`` by minibatch stochastic gradient descent.

    Each epoch visits every sample once, in batches of about ``batch_size``
    rows. A step is ``v <- momentum * v - eta * g``, ``W <- W + v``; a
    non-smooth penalty (an L1 part, a ``max_norm``) is then applied by its
    proximal step of size ``eta / (1 - momentum)``: exact zeros, and every
    class row of ``W`` projected onto the ball of radius ``max_norm``, the
    L2 part then also applied by its proximal step. ``v`` is
    ``-eta / (1 - momentum)`` times an exponential moving average of the
    gradients, so this is proximal SGD on the averaged gradient, whose fixed
    points are the minimizers of the objective.

    Parameters
    ----------
    objective : LinearObjective
        What to minimize.
    W : ndarray of shape (n_classes, n_features)
        Starting weights, updated in place.
    b : ndarray of shape (n_classes,)
        Starting intercepts, updated in place.
    learning_rate_init : float
        The initial step size ``eta0``.
    batch_size : int, default=256
        The largest number of rows per minibatch. The data is split into
        ``m = ceil(n_samples / batch_size)`` strided batches of equal size (up
        to one row), so batches can be smaller: 100 rows with
        ``batch_size=64`` give two batches of 50.
    max_iter : int, default=100
        Maximum number of epochs.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='adaptive'
        Step-size schedule: ``eta0`` throughout; ``eta0 / (1 + epochs) **
        power_t``; or ``eta0`` divided by 5 each time the stopping criterion
        has not improved for ``n_iter_no_change`` epochs. With 'adaptive',
        training stops when a lowering is followed by ``n_iter_no_change``
        epochs without improvement (the plateau was convergence, not noise).
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    momentum : float, default=0.9
        Heavy-ball momentum in [0, 1).
    tol : float or None, default=1e-4
        An epoch improves when the criterion (the epoch's mean training
        objective, or the validation score) beats the best so far by ``tol``.
        None runs all ``max_iter`` epochs at the scheduled step, as
        ``stop_early=False`` does.
    n_iter_no_change : int, default=5
        Epochs without improvement before the step shrinks ('adaptive') or
        training stops.
    shuffle : bool, default=True
        Visit the batches in a new random order every epoch.
    max_norm : float, default=None
        Radius of the max-norm constraint on each row of ``W``: shorthand for
        an objective whose penalty is wrapped in
        :class:`~sklinear.penalties.MaxNorm` (which this function does, on a
        shallow copy of ``objective``). Starting weights outside the ball are
        first projected onto it.
    random_state : int, numpy.random.Generator, RandomState or None, default=None
        Source of the batch order; an int seeds a new Generator, None draws
        a fresh one.
    validation_score : callable, default=None
        ``validation_score(W, b) -> float`` (higher is better), evaluated after
        each epoch (on the averaged weights when ``average``). When given, it
        is the stopping criterion and the weights with the best score are
        returned (and, when ``average``, put in ``state.average_W`` and
        ``state.average_b`` too).
    state : SGDState, default=None
        State to continue from (momentum, step count, current step size).
    stop_early : bool, default=True
        Apply the stopping rule (and the 'adaptive' lowering); False runs
        exactly ``max_iter`` epochs at the scheduled step, as ``partial_fit``
        needs.
    average : bool, default=False
        Keep the running average of the iterates in ``state.average_W`` and
        ``state.average_b`` (averaged SGD).
    verbose : int, default=0
        Print one line per epoch when positive.
    on_epoch_begin : callable, default=None
        Called as ``on_epoch_begin(epoch)`` (0-based) before each epoch.
    on_epoch_end : callable, default=None
        Called as ``on_epoch_end(epoch, W, b)`` after each epoch, with the
        model so far (the averaged weights when ``average``); the arrays are
        the optimizer's own, so copy what you keep. A true return value stops
        training after this epoch (``result.interrupted``). Not called per
        minibatch: a hook costs at most one call per pass over the data.

    Returns
    -------
    result : OptimizeResult

    Raises
    ------
    ValueError
        If the objective becomes inf or NaN, or grows ten thousand fold: the
        step size is too large. The message names it. Also if ``max_norm``
        is not a positive number, or differs from the ``max_norm`` of the
        objective's penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from sklinear.objective import LinearObjective
    >>> from sklinear.optimize import minibatch_sgd
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> objective = LinearObjective(X, y, loss="softmax")
    >>> W, b = objective.initial_weights(n_classes=2)
    >>> result = minibatch_sgd(objective, W, b, learning_rate_init=0.5,
    ...                        batch_size=32, max_iter=20, random_state=rng)
    >>> result.epoch_objectives[-1] < result.epoch_objectives[0]
    True
    """
    _check_sgd_arguments(learning_rate, learning_rate_init, batch_size, momentum)
    objective = _bounded(objective, max_norm)
    _into_domain(objective.penalty, W)
    rng = _generator(random_state)
    state = _starting_state(W, b, state, learning_rate_init, average)
    settings = _epoch_settings(learning_rate, power_t, momentum)
    batches = _batches(objective.n_samples, batch_size)
    result = OptimizeResult(W=W, b=b, state=state)
    if tol is None:
        tol, stop_early = 0.0, False
    plateau = _PlateauRule(tol, n_iter_no_change, learning_rate == "adaptive")
    best_weights = None
    for epoch in range(max_iter):
        if on_epoch_begin is not None:
            on_epoch_begin(epoch)
        started = time.perf_counter()
        order = rng.permutation(len(batches)) if shuffle else range(len(batches))
        start = result.loss_curve[0] if result.loss_curve else None
        values, epoch_value = _run_epoch(
            objective, W, b, state, [batches[k] for k in order], settings, epoch, start
        )
        # With averaging, the model is the average of the iterates: score it.
        model = (state.average_W, state.average_b) if average else (W, b)
        criterion = _record_epoch(result, values, epoch_value, model, validation_score)
        if verbose:
            _print_epoch(result, criterion, validation_score, state, started)
        if validation_score is not None and criterion > plateau.best:
            best_weights = (model[0].copy(), model[1].copy())
        # Decide first: it brings plateau.best (reported as the best
        # validation score) up to this epoch, as best_weights already is.
        decision = plateau.decide(criterion, state)
        if on_epoch_end is not None and on_epoch_end(epoch, *model):
            result.interrupted = True
            break
        if stop_early and _follow(decision, state, result, verbose):
            break
    if best_weights is not None:
        _restore(best_weights, W, b, state if average else None)
        result.best_validation_score = plateau.best
    return result


def _check_sgd_arguments(learning_rate, learning_rate_init, batch_size, momentum):
    if learning_rate not in LEARNING_RATE_SCHEDULES:
        raise ValueError(
            f"learning_rate must be one of {LEARNING_RATE_SCHEDULES}, "
            f"got {learning_rate!r}."
        )
    if not (isinstance(learning_rate_init, numbers.Real) and learning_rate_init > 0):
        raise ValueError(
            f"learning_rate_init must be positive, got {learning_rate_init!r}."
        )
    if not (isinstance(batch_size, numbers.Integral) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if not (isinstance(momentum, numbers.Real) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}.")


def _starting_state(W, b, state, learning_rate_init, average):
    """``state``, or a new one, with its momentum and average buffers."""
    state = SGDState(eta0=float(learning_rate_init)) if state is None else state
    if state.velocity_W is None:
        state.velocity_W = np.zeros_like(W)
        state.velocity_b = np.zeros_like(b)
    if average and state.average_W is None:
        state.average_W, state.average_b = W.copy(), b.copy()
    return state


def gradient_descent(objective, W, b, *, learning_rate_init, max_iter=100, **kwargs):
    """Full-batch gradient descent: :func:`minibatch_sgd` with one batch.

    Every step uses the gradient on all samples, so one iteration costs as
    much as a whole epoch of minibatch SGD but moves the weights only once.

    Parameters
    ----------
    objective : LinearObjective
        What to minimize.
    W : ndarray of shape (n_classes, n_features)
        Starting weights, updated in place.
    b : ndarray of shape (n_classes,)
        Starting intercepts, updated in place.
    learning_rate_init : float
        The initial step size.
    max_iter : int, default=100
        Maximum number of steps (each one an epoch).
    **kwargs : dict
        Other keyword arguments of :func:`minibatch_sgd` (``momentum``,
        ``learning_rate``, ``tol``, ...); ``shuffle`` defaults to False and
        ``batch_size`` is always the number of samples.

    Returns
    -------
    result : OptimizeResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklinear.objective import LinearObjective
    >>> from sklinear.optimize import gradient_descent
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> objective = LinearObjective(X, np.array([0, 1, 1, 0]), loss="softmax")
    >>> W, b = objective.initial_weights(n_classes=2)
    >>> result = gradient_descent(objective, W, b, learning_rate_init=1.0,
    ...                           max_iter=50, momentum=0.0)
    >>> len(result.loss_curve), result.loss_curve[-1] < result.loss_curve[0]
    (50, True)
    """
    kwargs.setdefault("shuffle", False)
    return minibatch_sgd(
        objective,
        W,
        b,
        learning_rate_init=learning_rate_init,
        batch_size=objective.n_samples,
        max_iter=max_iter,
        **kwargs,
    )


def random_search(
    objective,
    n_classes,
    *,
    n_trials=100,
    scale=1.0,
    random_state=None,
    incumbent=None,
    on_epoch_begin=None,
    on_epoch_end=None,
):
    """The lecture's first, very bad idea: try random weights, keep the best.

    Each trial draws ``W`` and ``b`` with independent normal entries of
    standard deviation ``scale`` and evaluates the full objective (a penalty
    with a ``max_norm`` first projects the drawn class rows onto its ball).

    Parameters
    ----------
    objective : LinearObjective
        What to minimize.
    n_classes : int
        Number of rows of ``W``.
    n_trials : int, default=100
        Number of random weight matrices to try.
    scale : float, default=1.0
        Standard deviation of the random weights.
    random_state : int, numpy.random.Generator, RandomState or None, default=None
        Source of the random weights; an int seeds a new Generator.
    incumbent : (W, b) or None, default=None
        Weights to beat, e.g. the model found on earlier data: they are kept
        unless a trial does better on this objective.
    on_epoch_begin, on_epoch_end : callable, default=None
        The per-iteration hooks of :func:`minibatch_sgd`, called around each
        trial; ``on_epoch_end`` sees the best weights so far, and a true
        return value stops the search after this trial.

    Returns
    -------
    result : OptimizeResult
        The best weights; ``loss_curve`` holds the best objective so far after
        every trial, ``n_iter`` the number of trials run.

    Examples
    --------
    >>> import numpy as np
    >>> from sklinear.objective import LinearObjective
    >>> from sklinear.optimize import random_search
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> objective = LinearObjective(X, (X[:, 0] > 0).astype(int), loss="hinge")
    >>> result = random_search(objective, n_classes=2, n_trials=50,
    ...                        random_state=rng)
    >>> result.loss_curve[-1] < objective.value(*objective.initial_weights(2))
    True
    """
    rng = _generator(random_state)
    best_W, best_b = objective.initial_weights(n_classes)
    best_value = np.inf
    if incumbent is not None:
        shapes = (best_W.shape, best_b.shape)
        best_W, best_b = (np.array(part, dtype=best_W.dtype) for part in incumbent)
        if (best_W.shape, best_b.shape) != shapes:
            raise ValueError(
                f"incumbent must be weights of shapes {shapes[0]} and "
                f"{shapes[1]} (n_classes={n_classes}), got {best_W.shape} and "
                f"{best_b.shape}."
            )
        best_value = objective.value(best_W, best_b)
    result = OptimizeResult(W=best_W, b=best_b, converged=True)
    for trial in range(n_trials):
        if on_epoch_begin is not None:
            on_epoch_begin(trial)
        W = (scale * rng.standard_normal(best_W.shape)).astype(best_W.dtype)
        _into_domain(objective.penalty, W)
        b = (scale * rng.standard_normal(best_b.shape)).astype(best_b.dtype)
        if not objective.fit_intercept:
            b[:] = 0
        value = objective.value(W, b)
        if value < best_value:
            best_value, result.W, result.b = value, W, b
        result.loss_curve.append(best_value)
        result.n_iter = trial + 1
        if on_epoch_end is not None and on_epoch_end(trial, result.W, result.b):
            result.interrupted = True
            break
    result.epoch_objectives = list(result.loss_curve)
    return result
