"""What the elemwise kernel modules share: ``elemwise.pyx`` defines these, ``elemwise_unary.pyx``
cimports them."""
cimport numpy as cnp

ctypedef fused real:
    float
    double

cdef int float_type(object x, bint writable)
cdef bint clashes(cnp.ndarray x, cnp.ndarray out)
cdef int threads_for(Py_ssize_t n)
