"""The objective as a function of one block of its parameters, for the
gradient checks of tests/test_gradient_check.py and tests/test_properties.py."""


def value_gradient_parts(objective, W, b):
    """``(of_W, of_b)``: the objective's value and gradient as functions of
    the weights alone (``b`` fixed) and of the intercepts alone (``W``
    fixed), in the form :func:`sklinear.gradient_check.gradient_check` takes."""

    def of_W(W_):
        value, grad_W, _ = objective.value_gradient(W_, b)
        return value, grad_W

    def of_b(b_):
        value, _, grad_b = objective.value_gradient(W, b_)
        return value, grad_b

    return of_W, of_b
