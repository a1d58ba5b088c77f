"""Registry cases: elementwise arithmetic, unary math, activations, casts."""
from op_registry import OpCase, F, P, U, B

CASES = [
    OpCase("add", lambda T, a, b: T.add(a, b), (F(3, 4), F(4))),
    OpCase("add.alpha", lambda T, a, b: T.add(a, b, alpha=2.5), (F(2, 3), F(2, 1))),
    OpCase("add.scalar", lambda T, a: a + 2.0, (F(3),)),
    OpCase("sub", lambda T, a, b: T.sub(a, b), (F(2, 1, 3), F(4, 1))),
    OpCase("rsub.scalar", lambda T, a: 1.5 - a, (F(3),)),
    OpCase("mul", lambda T, a, b: a * b, (F(3, 4), F(3, 1))),
    OpCase("div", lambda T, a, b: a / b, (F(3, 4), F(4))),
    OpCase("rdiv.scalar", lambda T, a: 2.0 / a, (F(5),)),
    OpCase("pow.tensor", lambda T, a, b: a ** b, (P(3, 2), F(2))),
    OpCase("pow.scalar", lambda T, a: a ** 3, (F(4),)),
    OpCase("pow.fractional", lambda T, a: a ** 1.5, (P(4),)),
    OpCase("pow.square", lambda T, a: a ** 2, (F(4),)),
    OpCase("rpow", lambda T, a: 2.0 ** a, (F(4),)),
    OpCase("remainder", lambda T, a, b: T.remainder(a, b), (F(5), P(5))),
    OpCase("fmod", lambda T, a, b: T.fmod(a, b), (F(5), P(5))),
    OpCase("neg", lambda T, a: -a, (F(3, 2),)),
    OpCase("abs", lambda T, a: T.abs(a), (F(6),)),
    OpCase("sign", lambda T, a: T.sign(a) * a, (F(6),)),
    OpCase("exp", lambda T, a: T.exp(a), (F(2, 3),)),
    OpCase("exp2", lambda T, a: T.exp2(a), (F(2, 3),)),
    OpCase("log", lambda T, a: T.log(a), (P(2, 3),)),
    OpCase("log2", lambda T, a: T.log2(a), (P(4),)),
    OpCase("log10", lambda T, a: T.log10(a), (P(4),)),
    OpCase("log1p", lambda T, a: T.log1p(a), (P(2, 3),)),
    OpCase("expm1", lambda T, a: T.expm1(a), (F(2, 3),)),
    OpCase("sqrt", lambda T, a: T.sqrt(a), (P(5),)),
    OpCase("rsqrt", lambda T, a: T.rsqrt(a), (P(5),)),
    OpCase("square", lambda T, a: T.square(a), (F(5),)),
    OpCase("reciprocal", lambda T, a: T.reciprocal(a), (P(5),)),
    OpCase("sin", lambda T, a: T.sin(a), (F(5),)),
    OpCase("cos", lambda T, a: T.cos(a), (F(5),)),
    OpCase("tan", lambda T, a: T.tan(a), (U(5),)),
    OpCase("atan", lambda T, a: T.atan(a), (F(5),)),
    OpCase("asin", lambda T, a: T.asin(a), (U(5),)),
    OpCase("acos", lambda T, a: T.acos(a), (U(5),)),
    OpCase("sinh", lambda T, a: T.sinh(a), (F(5),)),
    OpCase("cosh", lambda T, a: T.cosh(a), (F(5),)),
    OpCase("tanh", lambda T, a: T.tanh(a), (F(3, 4),)),
    OpCase("sigmoid", lambda T, a: T.sigmoid(a), (F(3, 4),)),
    OpCase("erf", lambda T, a: T.erf(a), (F(6),)),
    OpCase("relu", lambda T, a: T.relu(a), (F(3, 4),)),
    OpCase("leaky_relu", lambda T, a: T.nn.functional.leaky_relu(a, 0.2), (F(3, 4),)),
    OpCase("leaky_relu.steep", lambda T, a: T.nn.functional.leaky_relu(a, 1.5), (F(3, 4),)),
    OpCase("leaky_relu.negative_slope", lambda T, a: T.nn.functional.leaky_relu(a, -0.3),
           (F(3, 4),)),
    OpCase("elu", lambda T, a: T.nn.functional.elu(a, 0.7), (F(3, 4),)),
    OpCase("selu", lambda T, a: T.nn.functional.selu(a), (F(3, 4),)),
    OpCase("gelu", lambda T, a: T.nn.functional.gelu(a), (F(3, 4),)),
    OpCase("gelu.tanh", lambda T, a: T.nn.functional.gelu(a, approximate="tanh"), (F(3, 4),)),
    OpCase("softplus", lambda T, a: T.nn.functional.softplus(a, beta=2.0, threshold=3.0),
           (F(3, 4),)),
    OpCase("silu", lambda T, a: T.nn.functional.silu(a), (F(3, 4),)),
    OpCase("mish", lambda T, a: T.nn.functional.mish(a), (F(3, 4),)),
    OpCase("logsigmoid", lambda T, a: T.nn.functional.logsigmoid(a), (F(3, 4),)),
    OpCase("hardtanh", lambda T, a: T.nn.functional.hardtanh(a, -0.5, 0.7), (F(3, 4),)),
    OpCase("clamp", lambda T, a: T.clamp(a, -0.5, 0.5), (F(3, 4),)),
    OpCase("clamp.min", lambda T, a: T.clamp(a, min=0.2), (F(3, 4),)),
    OpCase("clamp.tensor", lambda T, a, lo: T.clamp(a, min=lo), (F(3, 4), F(4))),
    OpCase("maximum", lambda T, a, b: T.maximum(a, b), (F(3, 4), F(4))),
    OpCase("minimum", lambda T, a, b: T.minimum(a, b), (F(3, 4), F(3, 1))),
    OpCase("where", lambda T, c, a, b: T.where(c, a, b), (B(3, 4), F(3, 4), F(4))),
    OpCase("lerp", lambda T, a, b, w: T.lerp(a, b, w), (F(3, 4), F(3, 4), F(4))),
    OpCase("xlogy", lambda T, a, b: T.xlogy(a, b), (F(3, 4), P(3, 4))),
    OpCase("floor", lambda T, a: T.floor(a) + a, (F(5),)),
    OpCase("ceil", lambda T, a: T.ceil(a) + a, (F(5),)),
    OpCase("round", lambda T, a: T.round(a) + a, (F(5),)),
    OpCase("trunc", lambda T, a: T.trunc(a) + a, (F(5),)),
    OpCase("frac", lambda T, a: T.frac(a), (F(5),)),
    # float32 rounding defeats central differences in float64: checked by parity instead
    OpCase("to.float32", lambda T, a: a.to(T.float32) * 2, (F(4),), gradcheck=False,
           gradgradcheck=False),
    OpCase("to.promote", lambda T, a, b: a.to(T.float32) * b, (F(4), F(4)), gradcheck=False,
           gradgradcheck=False),
    OpCase("clone", lambda T, a: a.clone() * a, (F(4),)),
]


def _tanh_double_backward(T, a, w):
    """The gradient of sum(w * tanh(a)) as a function: reaches TanhBackward."""
    (g,) = T.autograd.grad((T.tanh(a) * w).sum(), a, create_graph=True)
    return g


CASES.append(OpCase("tanh.double_backward", _tanh_double_backward, (F(3, 4), F(3, 4))))


def _relu_double_backward(T, a, w):
    """The gradient of sum(w * relu(a)) as a function: reaches ReluBackward."""
    (g,) = T.autograd.grad((T.relu(a) * w).sum(), a, create_graph=True)
    return g * w


CASES.append(OpCase("relu.double_backward", _relu_double_backward, (F(3, 4), F(3, 4))))


def _leaky_relu_double_backward(T, a, w):
    """The gradient of sum(w * leaky_relu(a)) as a function: reaches LeakyReluBackward."""
    (g,) = T.autograd.grad((T.nn.functional.leaky_relu(a, 0.1) * w).sum(), a,
                           create_graph=True)
    return g * w


CASES.append(OpCase("leaky_relu.double_backward", _leaky_relu_double_backward,
                    (F(3, 4), F(3, 4))))
