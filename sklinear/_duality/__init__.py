r"""A certified measure of optimality: the duality gap of the training objective.

:func:`duality_gap` returns the objective :math:`P(W, b)`, the value
:math:`D` of a feasible dual point built from :math:`(W, b)`, and ``P - D``,
which bounds :math:`P(W, b) - \min P` from above.

The primal problem
------------------
With normalized sample weights :math:`a_i = w_i / \sum_j w_j`, scores
:math:`s_i = W x_i + b` and a loss :math:`\ell_i` per sample, the estimators
minimize

.. math::

    P(W, b) = \sum_i a_i\, \ell_i(W x_i + b) + g(W), \qquad
    g(W) = \alpha_1 \|W\|_1 + \frac{\alpha_2}{2} \|W\|_F^2
           + \iota\{\|W_c\|_2 \le M \ \forall c\}

(``'l2'``: :math:`\alpha_2 = \alpha`; ``'l1'``: :math:`\alpha_1 = \alpha`;
``'elasticnet'``: :math:`\alpha_1 = \alpha\rho, \alpha_2 = \alpha(1 - \rho)`;
``max_norm`` :math:`M` bounds the L2 norm of each class row :math:`W_c`, and
:math:`\iota` is 0 inside that set and :math:`+\infty` outside). The
intercept :math:`b` is free, or fixed at 0 without ``fit_intercept``.

The dual and why the bound holds
--------------------------------
Take one vector :math:`\theta_i \in \mathbb{R}^C` per sample and let
:math:`Z = \sum_i a_i \theta_i x_i^T`. The Fenchel-Young inequalities
:math:`\ell_i(s) \ge -\langle\theta_i, s\rangle - \ell_i^*(-\theta_i)` and
:math:`g(W) \ge \langle Z, W\rangle - g^*(Z)`, summed with weights, give
for **every** :math:`(W, b)`

.. math::

    P(W, b) \ge D(\Theta) - \Big\langle \sum_i a_i \theta_i, b \Big\rangle,
    \qquad
    D(\Theta) = -\sum_i a_i\, \ell_i^*(-\theta_i) - g^*(Z).

So when :math:`\sum_i a_i \theta_i = 0` (the *intercept constraint*; not
needed without an intercept, where :math:`b = 0`) and every conjugate is
finite, :math:`D(\Theta) \le P^* \le P(W, b)`: the gap :math:`P - D` bounds
the suboptimality :math:`P(W, b) - P^*`. It is 0 exactly when
:math:`-\theta_i \in \partial \ell_i(s_i)` and :math:`Z \in \partial g(W)`,
i.e. at an optimum with its optimal dual point. Here
:math:`\theta_i = -\nabla \ell_i(s_i)` at the current scores (minus the
per-sample gradient that the solver computes anyway), made feasible below.

Conjugates of the losses (with :math:`\theta` in their domain)
    *Softmax* :math:`\ell(s) = -s_y + \log\sum_c e^{s_c}`: with
    :math:`p = e_y - \theta`, :math:`-\ell^*(-\theta) = -\sum_c p_c \log p_c`
    (the entropy of :math:`p`) if :math:`p` lies in the simplex, else
    :math:`\ell^* = +\infty`.

    *Weston-Watkins hinge* :math:`\ell(s) = \sum_{c \ne y} \max(0, s_c - s_y
    + \Delta) = \max_{\beta \in [0,1]^{C-1}} \sum_{c \ne y} \beta_c (s_c -
    s_y + \Delta)`: with :math:`\theta_c = -\beta_c \in [-1, 0]` for
    :math:`c \ne y` and :math:`\theta_y = \sum_{c \ne y} \beta_c`,
    :math:`-\ell^*(-\theta) = \Delta\, \theta_y`; any other :math:`\theta`
    has :math:`\ell^* = +\infty`.

Conjugate of the penalty, row by row, with the soft-thresholded rows
:math:`r_c = \operatorname{sign}(z_c) \max(|z_c| - \alpha_1, 0)`
    :math:`g^*(Z) = \sum_c \sup_{\|w\|_2 \le M} \langle z_c, w\rangle -
    \alpha_1 \|w\|_1 - \frac{\alpha_2}{2}\|w\|^2`. Entries with
    :math:`|z_{cj}| \le \alpha_1` get :math:`w_j = 0`, the others the sign of
    :math:`z_{cj}`, which leaves :math:`\sup_{\|w\| \le M} \langle r_c,
    w\rangle - \frac{\alpha_2}{2}\|w\|^2`, attained at :math:`w = r_c /
    \max(\alpha_2, \|r_c\|/M)`: a Huber function of :math:`\rho = \|r_c\|`,

    - :math:`\rho^2 / (2\alpha_2)` if :math:`\rho \le \alpha_2 M` (all of it
      without ``max_norm``: the L2 and elastic-net gap),
    - :math:`M\rho - \alpha_2 M^2/2` otherwise (:math:`M\rho` for ``max_norm``
      alone or with L1).

    Exact and finite everywhere, except for L1 or no penalty without
    ``max_norm`` (:math:`\alpha_2 = 0, M = \infty`): then :math:`g^*` is the
    indicator of :math:`\|Z\|_\infty \le \alpha_1`.

Making the dual point feasible
------------------------------
1. *Intercept constraint.* Let :math:`\pi_k = \sum_{y_i = k} a_i` (weighted
   class frequencies). First a common shift :math:`\theta_i' = \theta_i +
   \varepsilon`, :math:`\varepsilon = -\sum_i a_i \theta_i`, satisfies the
   constraint; :math:`\varepsilon` sums to 0 over the classes (every
   :math:`\theta_i` does), so the structure of both domains is kept, but
   some entries may leave them (a negative probability, a :math:`\beta`
   outside :math:`[0, 1]`). Then mix with a point :math:`v_{y_i}` (depending
   only on the label) that satisfies the constraint and lies strictly inside
   the domain, :math:`\theta_i'' = (1 - t)\theta_i' + t v_{y_i}` with the
   smallest :math:`t \in [0, 1)` that brings every entry back (the domains
   are convex, the constraint is linear):

   - softmax: :math:`v_k = e_k - \pi` (:math:`p = \pi > 0`):
     :math:`\sum_i a_i (e_{y_i} - \pi) = \pi - \pi = 0`;
   - hinge: :math:`\beta_{ic} = \gamma / \pi_{y_i}` with :math:`\gamma =
     \min_k \pi_k / 2`, in :math:`(0, 1/2]`; class :math:`c` then receives
     :math:`\sum_{k \ne c} \pi_k \gamma/\pi_k - \pi_c (C-1)\gamma/\pi_c = 0`.

   Classes of zero total weight (absent, or only zero-weight samples) force
   :math:`\theta_{ic} = 0` for :math:`c \ne y_i`: they are left out (softmax
   over the other classes; :math:`\beta_{ic} = 0`) before all this, and
   :math:`C` above counts the remaining classes. Zero-weight samples get
   :math:`\theta_i = 0` (they appear nowhere). At an optimum of a smooth loss
   the gradient already satisfies the constraint (stationarity in
   :math:`b`), so :math:`\varepsilon = 0, t = 0` and nothing is lost.
2. *Penalty domain* (L1 or no penalty without ``max_norm``): scale
   :math:`\Theta` by :math:`s = \min(1, \alpha_1 / \|Z\|_\infty)`. Scaling
   keeps the intercept constraint (linear) and both loss domains, which are
   convex and contain :math:`\theta = 0` (:math:`p = e_y`, resp.
   :math:`\beta = 0`). With no penalty at all (:math:`\alpha_1 = 0`) this
   gives :math:`\Theta = 0` and :math:`D = 0`: the trivial bound :math:`P^*
   \ge 0`, so the gap is :math:`P` itself (the unpenalized optimum need not
   be attained; no finite certificate is cheap there).

All of this is affine in :math:`\Theta`, so :math:`Z` follows in closed
form from sums gathered in one pass over ``X`` (:math:`\sum_i a_i \theta_i
x_i^T` and the per-class sums :math:`\sum_{y_i = k} a_i x_i`); a first pass
computes the scores, unless the caller passes them. Several starting points
share that pass, and the feasible point of largest :math:`D` is kept (each
one is a valid bound):

- the caller's ``theta`` if given, else minus the loss gradients;
- softmax with an intercept: also minus the gradients at the scores
  :math:`s_i + \delta`, with :math:`\delta` the best intercept change for
  this :math:`W` (a few Newton steps on :math:`C` variables). They meet the
  intercept constraint by themselves (it is the stationarity in :math:`b`),
  so no mixing pulls them away; near the optimum this makes the gap
  quadratic, not linear, in the distance to it;
- hinge: the polished points below.

Tightness, and polishing the hinge's dual point
-----------------------------------------------
For the softmax loss, :math:`\theta_i = -\nabla\ell_i(s_i)` is the optimal
dual point at the optimum, so the gap goes to 0 as the solver converges
(continuously in :math:`(W, b)`). The hinge loss is not differentiable: at
the optimum the pairs :math:`(i, c)` *on* the margin need fractional
:math:`\beta_{ic}`, which no gradient at a single point provides; its gap at
the exact optimum is then typically several times :math:`P` itself. So for
the hinge the pairs nearest the margin get their :math:`\beta` from the
stationarity conditions (a small least-squares problem, see
:mod:`sklinear._duality._polish`), for a few distances to the margin, and the
feasible point of largest :math:`D` is kept. Any :math:`\Theta` made
feasible gives a valid bound, so this only tightens it: at an optimum it
recovers the optimal dual point (gap at rounding level), near one the gap is
close to the true suboptimality. A dual point maintained by the solver (e.g.
an average of per-sample subgradients) can also be passed as ``theta``.

Which relative gap ``tol`` should use
-------------------------------------
``relative_gap = gap / P``. Both losses and every penalty are non-negative,
so :math:`P \ge P^* \ge 0`, and with a penalty (:math:`\alpha > 0`) and two
classes of positive weight :math:`P > 0` (the softmax loss is positive; no
:math:`(W, b)` puts every sample of two classes beyond the hinge's margin
with a zero penalty). Only the hinge without a penalty (or with ``max_norm``
alone) can reach :math:`P = 0`, on separable data; ``relative_gap`` is then
0 if the gap is not positive, else ``inf``. If
``relative_gap <= tol`` then :math:`P - P^* \le \mathrm{tol}\, P`, i.e.
:math:`(P - P^*)/P^* \le \mathrm{tol}/(1 - \mathrm{tol})`. Dividing by
:math:`|D|` instead would blow up where :math:`D` crosses 0 (early on), and
an absolute gap would depend on the scale of the loss. For separable data
and a small ``alpha`` with the hinge, :math:`P^*` is small but so is every
term of the gap, and the ratio stays meaningful; its floor is the rounding of
:math:`P` (about ``1e-7`` relative for float32 scores passed in, ``1e-15``
for the float64 scores computed here).
"""

from ._gap import (
    DualityGap,
    PreparedGap,
    duality_gap,
    penalty_arguments,
    penalty_strengths,
)

__all__ = [
    "DualityGap",
    "PreparedGap",
    "duality_gap",
    "penalty_arguments",
    "penalty_strengths",
]
