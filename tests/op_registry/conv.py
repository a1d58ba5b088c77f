"""Registry cases: convolutions (conv1d/2d/3d, conv_transpose1d/2d/3d), unfold and fold.
Tiny shapes (gradcheck is quadratic in the input size); every padding form, stride, dilation,
groups, bias, unbatched input, and a double-backward case that reaches the weight-gradient op."""
from op_registry import OpCase, F


def _conv(name, **kw):
    return lambda T, x, w, *b: getattr(T.nn.functional, name)(x, w, *b, **kw)


def _unfold(**kw):
    return lambda T, x: T.nn.functional.unfold(x, **kw)


def _fold(**kw):
    return lambda T, x: T.nn.functional.fold(x, **kw)


def _double_backward(T, x, w, v):
    """Gradients of a strided grouped conv taken with create_graph, then differentiated again:
    reaches ConvTranspose and ConvWeight inside the graph."""
    y = T.nn.functional.conv2d(x, w, stride=2, padding=1, groups=2)
    gx, gw = T.autograd.grad((y * v).sum(), (x, w), create_graph=True)
    return (gx * gx).sum() + (gw * gw).sum() + (gw * w).sum()


def _full_double_backward(T, x, w, v):
    """The same through a conv whose kernel covers the input (the one-GEMM path)."""
    y = T.nn.functional.conv2d(x, w)
    gx, gw = T.autograd.grad((y * v).sum(), (x, w), create_graph=True)
    return (gx * gx).sum() + (gw * gw).sum() + (gw * w).sum()


CASES = [
    # conv2d
    OpCase("conv2d", _conv("conv2d"), (F(2, 3, 5, 5), F(4, 3, 3, 3), F(4))),
    OpCase("conv2d.no_bias", _conv("conv2d", padding=1), (F(2, 3, 4, 4), F(2, 3, 3, 3))),
    OpCase("conv2d.stride", _conv("conv2d", stride=2, padding=1),
           (F(2, 2, 5, 5), F(3, 2, 3, 3), F(3))),
    OpCase("conv2d.stride_tuple", _conv("conv2d", stride=(2, 3), padding=(1, 2)),
           (F(2, 2, 5, 6), F(3, 2, 3, 2))),
    OpCase("conv2d.same", _conv("conv2d", padding="same"), (F(2, 2, 4, 5), F(3, 2, 2, 3))),
    OpCase("conv2d.same_dilation", _conv("conv2d", padding="same", dilation=(2, 1)),
           (F(1, 2, 5, 4), F(2, 2, 2, 2), F(2))),
    OpCase("conv2d.valid", _conv("conv2d", padding="valid"), (F(2, 2, 4, 5), F(3, 2, 2, 3))),
    OpCase("conv2d.dilation", _conv("conv2d", padding=2, dilation=2),
           (F(1, 2, 5, 5), F(2, 2, 3, 3), F(2))),
    OpCase("conv2d.groups", _conv("conv2d", padding=1, groups=2),
           (F(2, 4, 4, 4), F(4, 2, 3, 3), F(4))),
    OpCase("conv2d.depthwise", _conv("conv2d", stride=2, groups=3),
           (F(2, 3, 5, 5), F(6, 1, 3, 3))),
    OpCase("conv2d.unbatched", _conv("conv2d", padding=1), (F(2, 4, 4), F(3, 2, 3, 3), F(3))),
    # fewer (input channel, tap) rows than output channels: the dense grid (see ops/conv.py)
    OpCase("conv2d.dense_grid", _conv("conv2d", stride=2, padding=1),
           (F(2, 1, 5, 5), F(5, 1, 2, 2), F(5))),
    OpCase("conv2d.dense_grid_groups", _conv("conv2d", padding=(0, 1), groups=2),
           (F(2, 2, 3, 4), F(8, 1, 2, 2))),
    OpCase("conv2d.full_kernel", _conv("conv2d"), (F(3, 2, 3, 4), F(4, 2, 3, 4), F(4))),
    OpCase("conv2d.full_kernel_no_bias", _conv("conv2d"), (F(2, 3, 2, 2), F(2, 3, 2, 2))),
    OpCase("conv2d.full_kernel_double_backward", _full_double_backward,
           (F(2, 2, 3, 3), F(3, 2, 3, 3), F(2, 3, 1, 1))),
    OpCase("conv2d.double_backward", _double_backward,
           (F(2, 4, 4, 4), F(4, 2, 3, 3), F(2, 4, 2, 2))),
    # conv1d, conv3d
    OpCase("conv1d", _conv("conv1d", stride=2, padding=1), (F(2, 3, 7), F(4, 3, 3), F(4))),
    OpCase("conv1d.same_dilation", _conv("conv1d", padding="same", dilation=3, groups=2),
           (F(2, 4, 6), F(2, 2, 2))),
    OpCase("conv1d.unbatched", _conv("conv1d"), (F(3, 6), F(2, 3, 3))),
    OpCase("conv3d", _conv("conv3d", stride=(1, 2, 1), padding=1),
           (F(1, 2, 3, 4, 3), F(2, 2, 2, 3, 2), F(2))),
    # transposed
    OpCase("conv_transpose2d", _conv("conv_transpose2d"), (F(2, 3, 3, 3), F(3, 2, 3, 3), F(2))),
    OpCase("conv_transpose2d.full_kernel", _conv("conv_transpose2d"),
           (F(3, 4, 1, 1), F(4, 2, 3, 2), F(2))),
    OpCase("conv_transpose2d.full_kernel_no_bias", _conv("conv_transpose2d"),
           (F(2, 3, 1, 1), F(3, 2, 4, 4))),
    OpCase("conv_transpose2d.output_padding",
           _conv("conv_transpose2d", stride=2, padding=1, output_padding=1),
           (F(2, 2, 3, 3), F(2, 3, 3, 3), F(3))),
    OpCase("conv_transpose2d.stride_tuple",
           _conv("conv_transpose2d", stride=(1, 3), padding=(1, 0), output_padding=(0, 2)),
           (F(1, 2, 3, 3), F(2, 2, 2, 3))),
    OpCase("conv_transpose2d.dilation_output_padding",
           _conv("conv_transpose2d", dilation=2, output_padding=1),
           (F(1, 2, 3, 3), F(2, 2, 2, 2))),
    OpCase("conv_transpose2d.groups", _conv("conv_transpose2d", stride=2, groups=2),
           (F(2, 4, 2, 3), F(4, 1, 3, 2), F(2))),
    OpCase("conv_transpose2d.unbatched", _conv("conv_transpose2d", stride=2),
           (F(2, 3, 3), F(2, 2, 2, 2))),
    OpCase("conv_transpose2d.dense_grid", _conv("conv_transpose2d", stride=2, padding=1),
           (F(2, 5, 3, 3), F(5, 1, 2, 2), F(1))),
    OpCase("conv_transpose1d", _conv("conv_transpose1d", stride=3, padding=1, output_padding=2),
           (F(2, 3, 4), F(3, 2, 3), F(2))),
    OpCase("conv_transpose3d", _conv("conv_transpose3d", stride=2, padding=(0, 1, 0)),
           (F(1, 2, 2, 3, 2), F(2, 2, 2, 3, 2))),
    # im2col / col2im
    OpCase("unfold", _unfold(kernel_size=(2, 3), padding=1, stride=2), (F(2, 2, 4, 5),)),
    OpCase("unfold.dilation_unbatched", _unfold(kernel_size=2, dilation=2), (F(2, 4, 5),)),
    OpCase("fold", _fold(output_size=(4, 5), kernel_size=(2, 3), padding=1, stride=2),
           (F(2, 12, 9),)),
    OpCase("fold.unbatched_overlap", _fold(output_size=(3, 4), kernel_size=2),
           (F(8, 6),)),
]
