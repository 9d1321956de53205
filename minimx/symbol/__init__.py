"""``mx.sym``: build graphs of the same ops as ``mx.nd``, run them, save them as MXNet's JSON.

>>> data = mx.sym.var('data')
>>> fc = mx.sym.FullyConnected(data, num_hidden=8, name='fc1')
>>> fc.list_arguments()
['data', 'fc1_weight', 'fc1_bias']
>>> fc.infer_shape(data=(2, 5))[0]
[(2, 5), (8, 5), (8,)]

``HybridBlock.hybridize()`` builds these graphs from ``hybrid_forward(F=mx.sym, ...)``.
"""
from . import _internal, contrib, linalg, random
from .creation import (arange, eye, full, histogram, hypot, linspace, maximum, minimum, ones, pow,
                       power, split_v2, zeros)
from .executor import Executor
from .json_io import fromjson, load, load_json
from .symbol import Group, Symbol, Variable, var
# BEGIN generated imports (tools/gen_sym_api.py)
from .gen_elemwise import (  # noqa: F401
    Cast, abs, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, broadcast_add, broadcast_div,
    broadcast_equal, broadcast_greater, broadcast_greater_equal, broadcast_hypot, broadcast_lesser,
    broadcast_lesser_equal, broadcast_logical_and, broadcast_logical_or, broadcast_logical_xor,
    broadcast_maximum, broadcast_minimum, broadcast_minus, broadcast_mod, broadcast_mul,
    broadcast_not_equal, broadcast_plus, broadcast_power, broadcast_sub, cast, cbrt, ceil, clip,
    cos, cosh, degrees, elemwise_add, elemwise_div, elemwise_mul, elemwise_sub, erf, erfinv, exp,
    expm1, fix, floor, gamma, gammaln, hard_sigmoid, identity, log, log10, log1p, log2,
    logical_not, negative, radians, rcbrt, reciprocal, relu, rint, round, rsqrt, sigmoid, sign,
    sin, sinh, softsign, sqrt, square, tan, tanh, trunc,
)
from .gen_init import (  # noqa: F401
    ones_like, zeros_like,
)
from .gen_shape import (  # noqa: F401
    Concat, Flatten, Pad, Reshape, SliceChannel, SwapAxis, broadcast_axes, broadcast_axis,
    broadcast_like, broadcast_to, concat, crop, depth_to_space, diag, expand_dims, flatten, flip,
    pad, repeat, reshape, reshape_like, reverse, shape_array, size_array, slice, slice_axis,
    slice_like, space_to_depth, split, squeeze, stack, swapaxes, tile, transpose, where,
)
from .gen_reduce import (  # noqa: F401
    argmax, argmax_channel, argmin, cumsum, max, max_axis, mean, min, min_axis, moments, nanprod,
    nansum, norm, prod, sum, sum_axis,
)
from .gen_sort import (  # noqa: F401
    argsort, sort, topk,
)
from .gen_indexing import (  # noqa: F401
    Embedding, SequenceMask, batch_take, choose_element_0index, gather_nd, one_hot, pick,
    scatter_nd, take,
)
from .gen_linalg import (  # noqa: F401
    FullyConnected, batch_dot, dot, khatri_rao, linalg_gemm, linalg_gemm2, linalg_potrf,
    linalg_syrk, linalg_trsm,
)
from .gen_conv import (  # noqa: F401
    Convolution, Deconvolution,
)
from .gen_pool import (  # noqa: F401
    Pooling,
)
from .gen_nn import (  # noqa: F401
    Activation, BlockGrad, Dropout, ElementWiseSum, LeakyReLU, LinearRegressionOutput,
    LogisticRegressionOutput, MAERegressionOutput, MakeLoss, Softmax, SoftmaxActivation,
    SoftmaxOutput, add_n, log_softmax, make_loss, smooth_l1, softmax, softmax_cross_entropy,
    softmin, stop_gradient,
)
from .gen_norm import (  # noqa: F401
    BatchNorm, GroupNorm, InstanceNorm, L2Normalization, LRN, LayerNorm,
)
from .gen_random import (  # noqa: F401
    normal, random_exponential, random_gamma, random_generalized_negative_binomial,
    random_negative_binomial, random_normal, random_poisson, random_randint, random_uniform,
    sample_exponential, sample_gamma, sample_generalized_negative_binomial, sample_multinomial,
    sample_negative_binomial, sample_normal, sample_poisson, sample_uniform, shuffle, uniform,
)
from .gen_optim import (  # noqa: F401
    adam_update, all_finite, ftml_update, ftrl_update, lamb_update_phase1, lamb_update_phase2,
    mp_lamb_update_phase1, mp_lamb_update_phase2, mp_nag_mom_update, mp_sgd_mom_update,
    mp_sgd_update, multi_all_finite, multi_lars, multi_mp_sgd_mom_update, multi_mp_sgd_update,
    multi_sgd_mom_update, multi_sgd_update, multi_sum_sq, nag_mom_update,
    preloaded_multi_mp_sgd_mom_update, preloaded_multi_mp_sgd_update,
    preloaded_multi_sgd_mom_update, preloaded_multi_sgd_update, reset_arrays, rmsprop_update,
    rmspropalex_update, sgd_mom_update, sgd_update, signsgd_update, signum_update,
)
from .gen_sequence import (  # noqa: F401
    SequenceLast, SequenceReverse, amp_cast, amp_multicast, cast_storage, fill_element_0index,
    ravel_multi_index, unravel_index,
)
from .gen_vision import (  # noqa: F401
    BilinearSampler, CTCLoss, Correlation, Crop, GridGenerator, IdentityAttachKLSparseReg,
    ROIPooling, SVMOutput, SpatialTransformer, UpSampling, ctc_loss,
)
from .gen_linalg_la import (  # noqa: F401
    linalg_det, linalg_extractdiag, linalg_extracttrian, linalg_gelqf, linalg_inverse,
    linalg_makediag, linalg_maketrian, linalg_potri, linalg_slogdet, linalg_sumlogdiag,
    linalg_syevd, linalg_trmm,
)
from .gen_rnn import (  # noqa: F401
    RNN,
)
from .gen_random_pdf import (  # noqa: F401
    random_pdf_dirichlet, random_pdf_exponential, random_pdf_gamma,
    random_pdf_generalized_negative_binomial, random_pdf_negative_binomial, random_pdf_normal,
    random_pdf_poisson, random_pdf_uniform,
)
from .gen_im2col_ops import (  # noqa: F401
    col2im, im2col,
)
from .gen_custom import (  # noqa: F401
    Custom,
)
# END generated imports

__all__ = ["Symbol", "Variable", "var", "Group", "load", "fromjson", "load_json", "Executor",
           "contrib", "linalg", "random", "zeros", "ones", "full", "arange", "linspace", "eye",
           "maximum", "minimum", "pow", "power", "hypot", "histogram", "split_v2"]
