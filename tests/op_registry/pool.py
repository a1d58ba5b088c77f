"""Registry cases: max/avg pooling (1-D and 2-D), adaptive pooling, max-unpooling and nearest
resampling. Tiny shapes; every window form (overlapping, padding, dilation, ceil_mode,
count_include_pad, divisor_override), unbatched inputs, adaptive bins that do not divide the
input, and double-backward cases whose graphs hold the window-scatter op. Max pooling needs
inputs without ties: F() values are continuous random."""
from op_registry import OpCase, F


def _f(name, **kw):
    return lambda T, x: getattr(T.nn.functional, name)(x, **kw)


# windows must not overlap: an element that is the maximum of two windows is written once but
# gets the gradient of both (torch's rule too), which is no derivative
def _unpool(T, x):
    y, idx = T.nn.functional.max_pool2d(x, 2, return_indices=True)
    return T.nn.functional.max_unpool2d(y, idx, 2, output_size=x.shape[-2:])


def _unpool1d(T, x):
    y, idx = T.nn.functional.max_pool1d(x, 2, return_indices=True)
    return T.nn.functional.max_unpool1d(y, idx, 2)


def _double_backward(name, **kw):
    """The input gradient of a pooling taken with create_graph, then used as a value: its graph
    holds the pooling's backward op (linear in the output gradient v, which requires grad), so
    gradcheck checks that op's own backward."""
    def fn(T, x, v):
        y = getattr(T.nn.functional, name)(x, **kw)
        (gx,) = T.autograd.grad((y * v).sum(), (x,), create_graph=True)
        return (gx * gx).sum() + (gx * x).sum()
    return fn


CASES = [
    # max pooling
    OpCase("max_pool2d", _f("max_pool2d", kernel_size=2), (F(2, 3, 4, 4),)),
    OpCase("max_pool2d.odd_size", _f("max_pool2d", kernel_size=2), (F(2, 2, 5, 5),)),
    OpCase("max_pool2d.overlap", _f("max_pool2d", kernel_size=3, stride=1), (F(2, 2, 5, 5),)),
    OpCase("max_pool2d.padding", _f("max_pool2d", kernel_size=3, stride=2, padding=1),
           (F(2, 2, 5, 5),)),
    OpCase("max_pool2d.dilation", _f("max_pool2d", kernel_size=2, stride=1, dilation=2),
           (F(1, 2, 5, 5),)),
    OpCase("max_pool2d.dilation_stride", _f("max_pool2d", kernel_size=3, stride=2, dilation=2),
           (F(1, 2, 7, 7),)),
    OpCase("max_pool2d.ceil_mode", _f("max_pool2d", kernel_size=2, ceil_mode=True),
           (F(2, 2, 5, 5),)),
    OpCase("max_pool2d.ceil_overlap", _f("max_pool2d", kernel_size=3, stride=2, ceil_mode=True),
           (F(1, 2, 6, 6),)),
    OpCase("max_pool2d.rect", _f("max_pool2d", kernel_size=(2, 3), stride=(1, 2),
                                 padding=(1, 1), dilation=(1, 2)), (F(2, 2, 4, 6),)),
    OpCase("max_pool2d.unbatched", _f("max_pool2d", kernel_size=2), (F(3, 4, 4),)),
    OpCase("max_pool2d.return_indices", _f("max_pool2d", kernel_size=3, stride=2, padding=1,
                                           return_indices=True), (F(2, 2, 5, 5),)),
    OpCase("max_pool2d.double_backward", _double_backward("max_pool2d", kernel_size=3,
                                                          stride=1),
           (F(1, 2, 4, 4), F(1, 2, 2, 2))),
    OpCase("max_pool1d", _f("max_pool1d", kernel_size=2), (F(2, 3, 6),)),
    OpCase("max_pool1d.options", _f("max_pool1d", kernel_size=3, stride=2, padding=1,
                                    dilation=1, ceil_mode=True), (F(2, 2, 6),)),
    OpCase("max_pool1d.unbatched", _f("max_pool1d", kernel_size=2, stride=1), (F(3, 5),)),
    # avg pooling
    OpCase("avg_pool2d", _f("avg_pool2d", kernel_size=2), (F(2, 3, 4, 4),)),
    OpCase("avg_pool2d.overlap", _f("avg_pool2d", kernel_size=3, stride=1), (F(2, 2, 5, 5),)),
    OpCase("avg_pool2d.padding", _f("avg_pool2d", kernel_size=3, stride=2, padding=1),
           (F(2, 2, 5, 5),)),
    OpCase("avg_pool2d.exclude_pad", _f("avg_pool2d", kernel_size=3, stride=2, padding=1,
                                        count_include_pad=False), (F(2, 2, 5, 5),)),
    OpCase("avg_pool2d.ceil_mode", _f("avg_pool2d", kernel_size=2, ceil_mode=True),
           (F(2, 2, 5, 5),)),
    OpCase("avg_pool2d.ceil_exclude_pad", _f("avg_pool2d", kernel_size=3, stride=2, padding=1,
                                             ceil_mode=True, count_include_pad=False),
           (F(1, 2, 6, 6),)),
    OpCase("avg_pool2d.divisor_override", _f("avg_pool2d", kernel_size=(2, 3), stride=(2, 1),
                                             padding=(1, 1), divisor_override=4),
           (F(2, 2, 4, 5),)),
    OpCase("avg_pool2d.unbatched", _f("avg_pool2d", kernel_size=2), (F(3, 4, 4),)),
    OpCase("avg_pool2d.double_backward", _double_backward("avg_pool2d", kernel_size=3,
                                                          stride=2, padding=1),
           (F(1, 2, 5, 5), F(1, 2, 3, 3))),
    OpCase("avg_pool1d", _f("avg_pool1d", kernel_size=3, stride=2, padding=1,
                            count_include_pad=False), (F(2, 3, 6),)),
    OpCase("avg_pool1d.ceil_mode", _f("avg_pool1d", kernel_size=2, ceil_mode=True), (F(3, 5),)),
    # adaptive pooling
    OpCase("adaptive_avg_pool2d", _f("adaptive_avg_pool2d", output_size=2), (F(2, 3, 4, 4),)),
    OpCase("adaptive_avg_pool2d.uneven", _f("adaptive_avg_pool2d", output_size=(3, 2)),
           (F(2, 2, 5, 5),)),
    OpCase("adaptive_avg_pool2d.none", _f("adaptive_avg_pool2d", output_size=(None, 3)),
           (F(2, 4, 5),)),
    OpCase("adaptive_avg_pool2d.global", _f("adaptive_avg_pool2d", output_size=1),
           (F(2, 3, 3, 5),)),
    OpCase("adaptive_avg_pool1d", _f("adaptive_avg_pool1d", output_size=4), (F(2, 2, 7),)),
    OpCase("adaptive_avg_pool3d", _f("adaptive_avg_pool3d", output_size=(2, 3, 2)),
           (F(1, 2, 3, 4, 3),)),
    OpCase("adaptive_max_pool2d", _f("adaptive_max_pool2d", output_size=(3, 2)),
           (F(2, 2, 5, 5),)),
    OpCase("adaptive_max_pool2d.return_indices", _f("adaptive_max_pool2d", output_size=3,
                                                    return_indices=True), (F(2, 4, 4),)),
    OpCase("adaptive_max_pool1d", _f("adaptive_max_pool1d", output_size=3), (F(2, 2, 7),)),
    # max-unpooling
    OpCase("max_unpool2d", _unpool, (F(2, 2, 5, 5),)),
    OpCase("max_unpool1d", _unpool1d, (F(2, 2, 7),)),
    # interpolate
    OpCase("interpolate.nearest", _f("interpolate", scale_factor=2), (F(2, 2, 3, 3),)),
    OpCase("interpolate.nearest_size", _f("interpolate", size=(5, 7)), (F(2, 2, 3, 4),)),
    OpCase("interpolate.nearest_fraction", _f("interpolate", scale_factor=(1.5, 0.7)),
           (F(1, 2, 4, 5),)),
    OpCase("interpolate.nearest_1d", _f("interpolate", scale_factor=3), (F(2, 2, 4),)),
    OpCase("interpolate.nearest_3d", _f("interpolate", size=(3, 2, 5)), (F(1, 2, 2, 2, 3),)),
    OpCase("interpolate.nearest_exact", _f("interpolate", size=(5, 3), mode="nearest-exact"),
           (F(1, 2, 3, 4),)),
    OpCase("interpolate.area", _f("interpolate", size=(2, 3), mode="area"), (F(2, 2, 5, 4),)),
]
