"""A :class:`~sklinear.objective.LinearObjective` over all its rows, as a
function of one float64 vector ``[W.ravel(), b]``: what full-batch methods
(L-BFGS) call.

The compiled pass writes its gradients straight into the vector's halves
(no concatenation), and the caller may give the penalty to add: OWL-QN
adds the smooth part's (the elastic net's L2 part) here and the L1 part
itself. The value and gradient are
:meth:`~sklinear.objective.LinearObjective.value_gradient`'s, bit for bit:
the same operations in the same order. (A call costs the pass over X and
about 15 us more on digits, 1,797 x 64 with 10 classes: 1 to 5 us less than
``value_gradient`` and a concatenation, within the machine's noise.)
"""

import numpy as np

__all__ = ["FullBatch"]


class FullBatch:
    """``x -> (value, gradient)`` of ``objective`` on every row.

    Parameters
    ----------
    objective : LinearObjective
    n_classes : int
        Rows of ``W``: ``x`` holds ``n_classes * n_features`` weights, then
        ``n_classes`` intercept parameters.
    penalty : Penalty, default=None
        The penalty to add (its value and gradient); None: the objective's.
        (OWL-QN gives the elastic net's L2 part alone, and adds the L1 part
        itself.)
    """

    def __init__(self, objective, n_classes, penalty=None):
        self.objective = objective
        self.penalty = objective.penalty if penalty is None else penalty
        self.shape = (n_classes, objective.X.shape[1])
        self.n_weights = n_classes * objective.X.shape[1]
        self.size = self.n_weights + n_classes
        self._factors = objective._factors(slice(None), objective.n_samples)
        self._float64 = objective.dtype == np.float64

    def split(self, x):
        """``(W, b)`` of the vector ``x`` in X's dtype (views for float64)."""
        dtype = self.objective.dtype
        return (
            x[: self.n_weights].reshape(self.shape).astype(dtype, copy=False),
            x[self.n_weights :].astype(dtype, copy=False),
        )

    def __call__(self, x):
        """The objective's value (float) and gradient (a new float64 vector)
        at ``x``."""
        objective = self.objective
        W, b = self.split(x)
        gradient = np.empty(self.size)
        weights, intercepts = gradient[: self.n_weights], gradient[self.n_weights :]
        if self._float64:  # the kernel writes into the vector's halves
            out = weights.reshape(self.shape), intercepts
        else:
            out = np.empty(self.shape, objective.dtype), np.empty_like(b)
        fused = objective._fused
        computed = None
        if fused is not None:
            shift = objective._shift(W, b)
            computed = fused(
                objective.X, slice(None), W, shift, self._factors, objective.margin,
                out=out,
            )  # fmt: skip
        if computed is None:  # the BLAS path, as loss_gradient takes it
            value, grad_W, grad_b = objective.loss_gradient(W, b)
        else:  # as loss_gradient finishes the kernel's result
            value, grad_W, grad_b = computed
            if not objective.fit_intercept:
                grad_b[...] = 0
            if objective.offset is not None:
                grad_W -= np.multiply.outer(grad_b, objective.offset)
        # As value_gradient adds the penalty.
        grad_W += self.penalty.gradient(W)
        value += self.penalty.value(W)
        if computed is None or not self._float64:
            weights[...], intercepts[...] = grad_W.ravel(), grad_b
        return float(value), gradient
