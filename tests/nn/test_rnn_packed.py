"""nn.RNN / LSTM / GRU on a PackedSequence, against torch (float64): the packed output's data,
batch_sizes and indices, h_n / c_n in the caller's batch order (each sequence's final state at
its own last step; a reverse direction starts there), and the gradients of the padded input,
the initial states and every parameter. Plus the checks on packed input and the tutorial
pattern embedding -> pack -> LSTM -> unpack -> Linear trained a few steps."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as cnn
from chainrule.nn.utils import rnn as R

IN, HID = 3, 4


@pytest.fixture
def torch(torch):
    """torch with one thread while the test runs (tiny calls on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def _pair(torch, ctor: str):
    """The same constructor call in both libraries (float64); torch's weights loaded into
    chainrule."""
    t_mod = eval(ctor, {"nn": torch.nn}).double()
    c_mod = eval(ctor, {"nn": cnn})
    result = c_mod.load_state_dict({k: v.detach().numpy().astype(np.float64)
                                    for k, v in t_mod.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    c_mod = c_mod.double()
    return c_mod, t_mod


def _run(lib, utils, mod, padded, lengths, states, *, lstm, batch_first, enforce_sorted):
    """pack (caller's order) -> module -> a weighted sum of the packed data and final states
    -> backward. Returns (packed output, [h_n(, c_n)], grads of the padded input, the states
    and every parameter)."""
    x = lib.tensor(padded if not batch_first else padded.transpose(1, 0, 2),
                   requires_grad=True)
    packed = utils.pack_padded_sequence(x, list(lengths), batch_first=batch_first,
                                        enforce_sorted=enforce_sorted)
    st = [lib.tensor(s, requires_grad=True) for s in states]
    if st:
        out, h = mod(packed, tuple(st) if lstm else st[0])
    else:
        out, h = mod(packed)
    finals = list(h) if lstm else [h]
    loss = 0
    for k, r in enumerate([out.data] + finals):
        w = np.cos(np.arange(r.numel()) * (0.3 + k)).reshape(tuple(r.shape))
        loss = loss + (r * lib.tensor(w)).sum()
    loss.backward()
    grads = [x.grad] + [s.grad for s in st] + [p.grad for p in mod.parameters()]
    return out, finals, grads


def _np(t):
    return None if t is None else t.detach().numpy()


CASES = [
    # ctor, lengths (caller's order), enforce_sorted, with initial states
    ("nn.LSTM(3, 4)", (5, 3, 3, 1), True, True),
    ("nn.LSTM(3, 4, batch_first=True)", (2, 5, 2, 4, 5), False, True),
    ("nn.LSTM(3, 4, num_layers=2, bidirectional=True)", (3, 5, 1, 3), False, True),
    ("nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)", (4, 4, 2), True,
     False),
    ("nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)", (3, 5, 1, 3), False,
     True),
    ("nn.GRU(3, 4, num_layers=2, bidirectional=True)", (2, 4, 4, 1, 3), False, False),
    ("nn.GRU(3, 4, batch_first=True)", (3, 1, 3), False, True),
    ("nn.RNN(3, 4, bidirectional=True, batch_first=True)", (1, 4, 2, 4), False, True),
    ("nn.RNN(3, 4, num_layers=2, nonlinearity='relu')", (5, 5, 2), True, True),
    ("nn.RNN(3, 4)", (3, 3, 3), False, True),          # one length: a single pass
]


@pytest.mark.parametrize("ctor,lengths,enforce_sorted,with_states", CASES)
def test_packed_forward_and_backward_match_torch(torch, ctor, lengths, enforce_sorted,
                                                 with_states):
    c_mod, t_mod = _pair(torch, ctor)
    lstm = "LSTM" in ctor
    rng = np.random.default_rng(len(ctor) + sum(lengths))
    steps, batch = max(lengths), len(lengths)
    padded = rng.standard_normal((steps, batch, IN))
    count = t_mod.num_layers * (2 if t_mod.bidirectional else 1)
    sizes = [getattr(t_mod, "proj_size", 0) or HID, HID][:2 if lstm else 1]     # h's, c's
    states = [rng.standard_normal((count, batch, size)) for size in sizes] if with_states else []
    kw = dict(lstm=lstm, batch_first=t_mod.batch_first, enforce_sorted=enforce_sorted)
    c_out, c_fin, c_grads = _run(cr, R, c_mod, padded, lengths, states, **kw)
    t_out, t_fin, t_grads = _run(torch, torch.nn.utils.rnn, t_mod, padded, lengths, states,
                                 **kw)
    assert isinstance(c_out, R.PackedSequence)
    np.testing.assert_allclose(_np(c_out.data), _np(t_out.data), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(c_out.batch_sizes.numpy(), t_out.batch_sizes.numpy())
    for name in ("sorted_indices", "unsorted_indices"):
        c_idx, t_idx = getattr(c_out, name), getattr(t_out, name)
        assert (c_idx is None) == (t_idx is None) == enforce_sorted
        if c_idx is not None:
            np.testing.assert_array_equal(c_idx.numpy(), t_idx.numpy())
    assert len(c_fin) == len(t_fin) == (2 if lstm else 1)
    for c, t, size in zip(c_fin, t_fin, sizes):
        assert tuple(c.shape) == tuple(t.shape) == (count, batch, size)
        np.testing.assert_allclose(_np(c), _np(t), rtol=1e-10, atol=1e-12)
    assert len(c_grads) == len(t_grads)
    for c, t in zip(c_grads, t_grads):
        np.testing.assert_allclose(_np(c), _np(t), rtol=1e-9, atol=1e-11)


def test_final_state_is_each_sequences_own_last_step():
    """h_n of a sequence of length n equals the padded run of that sequence alone, cut at n;
    for the reverse direction, the reverse pass over its n steps."""
    cr.manual_seed(0)
    gru = cnn.GRU(IN, HID, bidirectional=True).double()
    rng = np.random.default_rng(3)
    lengths = (2, 5, 3)
    padded = cr.tensor(rng.standard_normal((5, 3, IN)))
    with cr.no_grad():
        out, h_n = gru(R.pack_padded_sequence(padded, list(lengths), enforce_sorted=False))
        unpacked, _ = R.pad_packed_sequence(out)
        for b, n in enumerate(lengths):
            alone_out, alone_h = gru(padded[:n, b:b + 1])
            np.testing.assert_allclose(h_n[:, b].numpy(), alone_h[:, 0].numpy(), rtol=1e-12)
            np.testing.assert_allclose(unpacked[:n, b].numpy(), alone_out[:, 0].numpy(),
                                       rtol=1e-12)
            assert np.all(unpacked[n:, b].numpy() == 0)


def test_packed_input_checks():
    lstm = cnn.LSTM(IN, HID)
    packed = R.pack_sequence([cr.randn(3, IN), cr.randn(2, IN)])
    good = (cr.zeros(1, 2, HID), cr.zeros(1, 2, HID))
    out, (h, c) = lstm(packed, good)
    assert tuple(h.shape) == tuple(c.shape) == (1, 2, HID)
    with pytest.raises(RuntimeError, match=r"Expected hx\[0\] size \[1, 2, 4\], got \[1, 3, 4\]"):
        lstm(packed, (cr.zeros(1, 3, HID), cr.zeros(1, 2, HID)))
    with pytest.raises(RuntimeError, match=r"batched 3-D input, hx\[1\] should also be 3-D"):
        lstm(packed, (cr.zeros(1, 2, HID), cr.zeros(2, HID)))
    with pytest.raises(TypeError, match="LSTM: expected hx to be a tuple"):
        lstm(packed, cr.zeros(1, 2, HID))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        lstm(R.pack_sequence([cr.randn(3, IN + 1)]))
    with pytest.raises(ValueError, match="input must have the type"):
        lstm(R.pack_sequence([cr.randn(3, IN).double()]))
    with pytest.raises(ValueError, match="PackedSequence's data must be 2-D"):
        lstm(packed._replace(data=packed.data.unsqueeze(0)))
    with pytest.raises(TypeError, match="PackedSequence's data to be a Tensor"):
        lstm(packed._replace(data=np.zeros((5, IN), dtype=np.float32)))
    gru = cnn.GRU(IN, HID)
    with pytest.raises(RuntimeError, match=r"Expected hx size \[1, 2, 4\]"):
        gru(packed, cr.zeros(1, 1, HID))


def test_tutorial_pattern_trains_like_torch(torch):
    """Embedding -> pack_padded_sequence(enforce_sorted=False) -> LSTM -> pad_packed_sequence
    -> Linear on each sequence's steps, a few SGD steps: the same losses and parameters."""
    vocab, emb, classes = 10, 5, 3
    rng = np.random.default_rng(7)
    lengths = [4, 2, 6, 2, 5]
    tokens = rng.integers(1, vocab, size=(len(lengths), max(lengths)))
    for b, n in enumerate(lengths):
        tokens[b, n:] = 0
    targets = rng.integers(0, classes, size=(len(lengths), max(lengths)))

    def build(nn):
        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(vocab, emb, padding_idx=0)
                self.lstm = nn.LSTM(emb, HID, batch_first=True, bidirectional=True)
                self.fc = nn.Linear(2 * HID, classes)

            def forward(self, x, lens, utils):
                packed = utils.pack_padded_sequence(self.embed(x), lens, batch_first=True,
                                                    enforce_sorted=False)
                out, (h, _) = self.lstm(packed)
                padded, _ = utils.pad_packed_sequence(out, batch_first=True)
                return self.fc(padded), h
        return Tagger()

    t_model = build(torch.nn).double()
    c_model = build(cnn).double()
    c_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
    mask = np.arange(max(lengths))[None, :] < np.array(lengths)[:, None]

    def sgd_step(params):
        """torch's update by hand (torch.optim's first use costs seconds of imports)."""
        with torch.no_grad():
            for p in params:
                p -= 0.5 * p.grad
                p.grad = None

    def train(lib, model, utils, step):
        x = lib.tensor(tokens)
        y = lib.tensor(np.where(mask, targets, -100))
        losses = []
        for _ in range(4):
            logits, h = model(x, lib.tensor(lengths), utils)
            loss = lib.nn.functional.cross_entropy(logits.reshape(-1, classes), y.reshape(-1),
                                                   ignore_index=-100) + 0.1 * h.pow(2).mean()
            loss.backward()
            step()
            losses.append(loss.item())
        return losses

    t_losses = train(torch, t_model, torch.nn.utils.rnn,
                     lambda: sgd_step(list(t_model.parameters())))
    opt = cr.optim.SGD(c_model.parameters(), lr=0.5)

    def c_step():
        opt.step()
        opt.zero_grad()
    c_losses = train(cr, c_model, R, c_step)
    np.testing.assert_allclose(c_losses, t_losses, rtol=1e-9)
    assert c_losses[-1] < c_losses[0]
    t_state = t_model.state_dict()
    for k, v in c_model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), t_state[k].detach().numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=k)
