/* Per-sample proximal SAGA epochs for sklinear's certified solver.
 *
 * A minibatch step in Python achieves about what one single-sample step
 * does, so an epoch of n single-sample steps needs compiled code (as
 * scikit-learn's sag_fast does for SAG and SAGA). One call runs one epoch:
 * the samples in the order given, each with its scores, loss gradient,
 * SAGA direction from the memory of past gradients, and proximal step
 * (_saga_sweep_impl.h). Dense X updates all weights at each step; CSR X
 * touches only the columns of the sample's nonzeros, the other columns
 * catching up lazily when next touched (or at the end of the epoch).
 *
 * The boundary: every array comes in through the buffer protocol and is
 * checked before anything runs (dtype, shape, strides, alignment, writable
 * outputs that are C-contiguous and overlap nothing else, every label, every
 * order index, every CSR pointer and column index, no duplicate columns in
 * a row); then the epoch runs with the GIL released, single-threaded and
 * deterministic. Nothing is kept between calls.
 *
 * The module also holds the CSR products of the certificate's checks and
 * of the solvers' set-up (_csr_products.h), which read X as the sparse
 * epochs do.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_HINGE 0
#define SWEEP_SOFTMAX 1

#include "_prefetch.h"
#include "_saga_sweep_impl.h"
#include "_saga_sweep_check.h"
#include "_csr_products.h"

PyDoc_STRVAR(epoch_doc,
"epoch(X, indices, indptr, y, factors, scales, order, offset, W, b, memory,\n"
"      sum_W, sum_b, loss, eta, margin, mu, l1, l2, max_norm, fit_intercept)\n"
"--\n\n"
"One epoch of per-sample proximal SAGA steps over the samples in `order`,\n"
"in place on W (n_classes, n_features), b (n_classes,), memory (n_samples,\n"
"n_classes), sum_W and sum_b, all float64 and C-contiguous. Dense X\n"
"(n_samples, n_features) with indices and indptr None, or the data of a\n"
"CSR matrix with its int32 or int64 indices and indptr (then offset must be\n"
"None: sparse epochs run uncentered). X is float32 or float64; factors\n"
"(n_samples,), scales (n_samples,) and offset (n_features,) float64; y and\n"
"order hold integers in [0, n_classes) and [0, n_samples). scales[i] is the\n"
"SAGA multiplier of sample i's new gradient (1 / p_i for a sample drawn\n"
"with probability p_i: n_samples for uniform sampling). loss is HINGE or\n"
"SOFTMAX; eta the step, mu the hinge smoothing, l1 and l2 the penalty's\n"
"strengths, max_norm the bound on each row's norm (0: none). Raises\n"
"ValueError for anything else.");

static PyObject *py_epoch(PyObject *self, PyObject *args)
{
    PyObject *objects[N_ARRAYS];
    struct arrays arrays = {0};
    struct sweep s = {0};
    int fit_intercept;
    (void)self;
    if (!PyArg_ParseTuple(
            args, "OOOOOOOOOOOOOiddddddp:epoch", &objects[A_X],
            &objects[A_INDICES], &objects[A_INDPTR], &objects[A_Y],
            &objects[A_FACTORS], &objects[A_SCALES], &objects[A_ORDER],
            &objects[A_OFFSET], &objects[A_W], &objects[A_B],
            &objects[A_MEMORY], &objects[A_SUM_W], &objects[A_SUM_B],
            &s.loss, &s.eta, &s.margin, &s.mu, &s.l1, &s.l2, &s.max_norm,
            &fit_intercept))
        return NULL;
    s.fit_intercept = fit_intercept;
    if (check_scalars(&s) < 0 || prepare_sweep(&s, &arrays, objects) < 0) {
        release_arrays(&arrays);
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = run_sweep(&s);
    Py_END_ALLOW_THREADS
    release_arrays(&arrays);
    if (status < 0)
        return PyErr_Format(PyExc_ValueError,
                            "CSR row %zd changed during the epoch (its "
                            "pointers or columns are no longer valid).",
                            s.bad_row);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"epoch", py_epoch, METH_VARARGS, epoch_doc},
    {"csr_scores", py_csr_scores, METH_VARARGS, csr_scores_doc},
    {"csr_transposed_product", py_csr_transposed_product, METH_VARARGS,
     csr_transposed_product_doc},
    {"csr_class_sums", py_csr_class_sums, METH_VARARGS, csr_class_sums_doc},
    {"csr_row_norms", py_csr_row_norms, METH_VARARGS, csr_row_norms_doc},
    {"csr_duplicate_row", py_csr_duplicate_row, METH_VARARGS,
     csr_duplicate_row_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef sweep_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_saga_sweep",
    .m_doc = "Per-sample proximal SAGA epochs (dense and CSR) and the CSR "
             "products of their checks, checked boundary.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__saga_sweep(void)
{
    const char *isa = choose_isa();
    PyObject *module = PyModule_Create(&sweep_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddIntConstant(module, "HINGE", SWEEP_HINGE) < 0
        || PyModule_AddIntConstant(module, "SOFTMAX", SWEEP_SOFTMAX) < 0
        || PyModule_AddStringConstant(module, "isa", isa) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
