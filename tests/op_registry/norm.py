"""Registry cases: batch norm (training and evaluation, with and without affine parameters,
2-D, 3-D and 4-D inputs), layer norm over one and two trailing dims, group norm, instance norm
and local response norm. Running statistics are made inside the case functions, so the many
calls of gradcheck each start from the same state."""
from op_registry import OpCase, F, P


def _batch_norm_train(T, x, *affine):
    c = x.shape[1]
    mean, var = T.zeros(c, dtype=x.dtype), T.ones(c, dtype=x.dtype)
    return T.nn.functional.batch_norm(x, mean, var, *affine, training=True, momentum=0.3)


def _batch_norm_eval(T, x, mean, var, *affine):
    return T.nn.functional.batch_norm(x, mean, var, *affine, training=False, eps=1e-3)


def _batch_norm_double_backward(T, x, w, b, v):
    """Gradients of training-mode batch norm taken with create_graph, then differentiated."""
    y = T.nn.functional.batch_norm(x, None, None, w, b, training=True)
    gx, gw = T.autograd.grad((y * v).sum(), (x, w), create_graph=True)
    return (gx * gx).sum() + (gw * gw).sum() + (gx * x).sum()


def _f(name, *args, **kw):
    return lambda T, x, *params: getattr(T.nn.functional, name)(x, *args, *params, **kw)


def _instance_norm_running(T, x, w, b):
    c = x.shape[1]
    mean, var = T.zeros(c, dtype=x.dtype), T.ones(c, dtype=x.dtype)
    return T.nn.functional.instance_norm(x, mean, var, w, b)


CASES = [
    OpCase("batch_norm.train", _batch_norm_train, (F(4, 3, 3, 3), F(3), F(3))),
    OpCase("batch_norm.train_no_affine", _batch_norm_train, (F(3, 2, 4, 4),)),
    OpCase("batch_norm.train_2d", _batch_norm_train, (F(5, 3), F(3), F(3))),
    OpCase("batch_norm.train_3d", _batch_norm_train, (F(3, 2, 4), F(2), F(2))),
    # float32 inputs near 100 that differ by ~0.01 keep only ~3 digits of their deviations
    OpCase("batch_norm.train_large_mean",
           lambda T, x, w, b: _batch_norm_train(T, x * 0.01 + 100, w, b),
           (F(4, 2, 3, 3), F(2), F(2)), parity_atol32=3e-3),
    OpCase("batch_norm.eval", _batch_norm_eval,
           (F(3, 3, 2, 2), F(3, grad=False), P(3, grad=False), F(3), F(3))),
    OpCase("batch_norm.eval_no_affine", _batch_norm_eval,
           (F(4, 3), F(3, grad=False), P(3, grad=False))),
    OpCase("batch_norm.double_backward", _batch_norm_double_backward,
           (F(3, 2, 2, 2), F(2), F(2), F(3, 2, 2, 2, grad=False))),
    OpCase("layer_norm", _f("layer_norm", (4,)), (F(3, 4), F(4), F(4))),
    OpCase("layer_norm.two_dims", _f("layer_norm", (3, 4)), (F(2, 3, 4), F(3, 4), F(3, 4))),
    OpCase("layer_norm.no_affine", _f("layer_norm", (2, 3), eps=1e-3), (F(2, 2, 2, 3),)),
    OpCase("group_norm", _f("group_norm", 2), (F(2, 4, 3, 3), F(4), F(4))),
    OpCase("group_norm.no_affine", _f("group_norm", 3), (F(2, 6, 4),)),
    OpCase("group_norm.one_group", _f("group_norm", 1), (F(2, 3, 2, 2), F(3), F(3))),
    OpCase("instance_norm", _f("instance_norm"), (F(2, 3, 3, 3),)),
    OpCase("instance_norm.affine", lambda T, x, w, b: T.nn.functional.instance_norm(
        x, None, None, w, b), (F(2, 2, 4), F(2), F(2))),
    OpCase("instance_norm.running", _instance_norm_running, (F(2, 2, 3, 3), F(2), F(2))),
    OpCase("instance_norm.running_stats", lambda T, x, m, v: T.nn.functional.instance_norm(
        x, m, v, use_input_stats=False), (F(2, 3, 2, 2), F(3, grad=False), P(3, grad=False))),
    OpCase("local_response_norm", _f("local_response_norm", 3), (F(2, 4, 3, 3),)),
    OpCase("local_response_norm.3d", _f("local_response_norm", 2, alpha=0.1, beta=0.5, k=2.0),
           (F(2, 5, 4),)),
]
