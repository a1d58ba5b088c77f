"""Registry cases: the functionals of chainrule.nn.functional that are not elementwise ops or
losses: linear maps, embedding, dropout (its masks seeded: chainrule only), prelu and the small
activations, in-place activations, normalize and the distances."""
import numpy as np

from op_registry import OpCase, F, P

EMBED_IDX = np.array([[0, 2, 4], [2, 1, 0]])


def _F(T):
    return T.nn.functional


def _seeded(call):
    """Dropout with a fixed mask (the global generator reseeded at each call), so that gradcheck
    sees a deterministic function. Masks differ from torch's: chainrule only."""
    def fn(T, x):
        T.manual_seed(0)
        return call(_F(T), x)
    return fn


CASES = [
    # ---------------------------------------------------------------- linear maps
    OpCase("linear", lambda T, x, w, b: _F(T).linear(x, w, b), (F(4, 3), F(2, 3), F(2))),
    OpCase("linear.nobias_3d", lambda T, x, w: _F(T).linear(x, w), (F(2, 3, 4), F(5, 4))),
    OpCase("linear.1d", lambda T, x, w, b: _F(T).linear(x, w, b), (F(3,), F(2, 3), F(2))),
    OpCase("bilinear", lambda T, a, b, w, c: _F(T).bilinear(a, b, w, c),
           (F(3, 2), F(3, 4), F(5, 2, 4), F(5))),
    # ---------------------------------------------------------------- embedding
    OpCase("embedding", lambda T, w: _F(T).embedding(T.tensor(EMBED_IDX), w), (F(5, 3),)),
    # the padding row enters the output but gets no gradient (as torch): parity only
    OpCase("embedding.padding_idx", lambda T, w: _F(T).embedding(T.tensor(EMBED_IDX), w,
                                                                 padding_idx=2), (F(5, 3),),
           gradcheck=False, gradgradcheck=False),
    # ---------------------------------------------------------------- dropout
    OpCase("dropout", _seeded(lambda F_, x: F_.dropout(x, 0.4)), (F(4, 5),), torch=False),
    OpCase("dropout2d", _seeded(lambda F_, x: F_.dropout2d(x, 0.5)), (F(2, 3, 2, 2),),
           torch=False),
    OpCase("dropout.eval", lambda T, x: _F(T).dropout(x, 0.4, training=False) * 2, (F(4, 5),)),
    # ---------------------------------------------------------------- activations
    OpCase("prelu", lambda T, x, w: _F(T).prelu(x, w), (F(2, 3, 4), P(3))),
    OpCase("prelu.shared", lambda T, x, w: _F(T).prelu(x, w), (F(2, 3), P(1))),
    OpCase("celu", lambda T, x: _F(T).celu(x, 0.7), (F(3, 4),)),
    OpCase("softsign", lambda T, x: _F(T).softsign(x), (F(3, 4),)),
    OpCase("tanhshrink", lambda T, x: _F(T).tanhshrink(x), (F(3, 4),)),
    OpCase("threshold", lambda T, x: _F(T).threshold(x, 0.3, -2.0), (F(3, 4),)),
    OpCase("softmin", lambda T, x: _F(T).softmin(x, 1), (F(3, 4),)),
    OpCase("relu.inplace", lambda T, x: _F(T).relu(x * 1.5, inplace=True), (F(3, 4),)),
    OpCase("leaky_relu.inplace", lambda T, x: _F(T).leaky_relu(x * 1.5, 0.2, inplace=True),
           (F(3, 4),)),
    OpCase("elu.inplace", lambda T, x: _F(T).elu(x + 0, inplace=True), (F(3, 4),)),
    OpCase("hardtanh.inplace", lambda T, x: _F(T).hardtanh(x * 2, inplace=True), (F(3, 4),)),
    # ---------------------------------------------------------------- distances
    OpCase("normalize", lambda T, x: _F(T).normalize(x), (F(3, 4),)),
    OpCase("normalize.p1_dim0", lambda T, x: _F(T).normalize(x, p=1.0, dim=0), (F(3, 4),)),
    OpCase("cosine_similarity", lambda T, a, b: _F(T).cosine_similarity(a, b),
           (F(3, 4), F(3, 4))),
    OpCase("cosine_similarity.broadcast_dim0", lambda T, a, b: _F(T).cosine_similarity(
        a, b, dim=0), (F(3, 4), F(3, 1))),
    OpCase("pairwise_distance", lambda T, a, b: _F(T).pairwise_distance(a, b),
           (F(3, 4), F(3, 4))),
    OpCase("pairwise_distance.p1_keepdim", lambda T, a, b: _F(T).pairwise_distance(
        a, b, p=1.0, keepdim=True), (F(3, 4), F(3, 4))),
]
