"""torch's namespaces that device-picking and seeding snippets touch: ``cuda``, ``backends``,
``accelerator``, ``utils.data``, ``use_deterministic_algorithms``. chainrule has no GPU
backend yet, so each must answer as torch does on a machine without one."""
import pytest

import chainrule as cr


def test_cuda_reports_no_device():
    assert cr.cuda.is_available() is False
    assert cr.cuda.device_count() == 0
    assert cr.cuda.is_initialized() is False
    # seeding and cache release are silently ignored, as in torch without CUDA
    assert cr.cuda.manual_seed(0) is None and cr.cuda.manual_seed_all(1) is None
    assert cr.cuda.seed() is None and cr.cuda.seed_all() is None
    assert cr.cuda.empty_cache() is None


@pytest.mark.parametrize("call", [lambda: cr.cuda.current_device(),
                                  lambda: cr.cuda.set_device(0),
                                  lambda: cr.cuda.synchronize(),
                                  lambda: cr.cuda.get_device_name(0)])
def test_cuda_calls_that_need_a_device_raise(call):
    with pytest.raises(RuntimeError, match=r"chainrule\.cuda\.\w+: device 'cuda' is not "
                                           r"available.*CuPy"):
        call()


def test_device_selection_idiom_gives_cpu():
    device = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    assert device == "cpu" and device == cr.device("cpu") and str(device) == "cpu"
    x = cr.randn(2, 3).to(device)
    assert x.device == device and x.device.type == "cpu"
    m = cr.nn.Linear(3, 1).to(device)
    assert next(m.parameters()).device == device
    dev = cr.accelerator.current_accelerator().type if cr.accelerator.is_available() else "cpu"
    assert dev == "cpu"
    dev = "cuda" if cr.cuda.is_available() else "mps" if cr.backends.mps.is_available() \
        else "cpu"
    assert dev == "cpu"


def test_namespaces_match_torch_without_a_gpu():
    torch = pytest.importorskip("torch")
    assert cr.accelerator.is_available() is False
    assert cr.accelerator.current_accelerator() is None
    assert cr.accelerator.device_count() == 0
    assert cr.backends.mps.is_available() is False and cr.backends.mps.is_built() is False
    assert cr.backends.cudnn.is_available() is False and cr.backends.cudnn.version() is None
    assert cr.backends.cuda.is_built() is False
    for flag in ("enabled", "benchmark", "deterministic"):
        assert getattr(cr.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag), flag


def test_backend_flags_keep_what_is_assigned():
    import chainrule.backends.cudnn as cudnn
    old = cudnn.deterministic, cudnn.benchmark, cr.backends.cuda.matmul.allow_tf32
    try:
        cr.backends.cudnn.deterministic = True
        cudnn.benchmark = True
        cr.backends.cuda.matmul.allow_tf32 = True
        assert cudnn.deterministic is True and cr.backends.cudnn.benchmark is True
        assert cr.backends.cuda.matmul.allow_tf32 is True
    finally:
        cudnn.deterministic, cudnn.benchmark, cr.backends.cuda.matmul.allow_tf32 = old


def test_use_deterministic_algorithms():
    assert cr.are_deterministic_algorithms_enabled() is False
    try:
        cr.use_deterministic_algorithms(True, warn_only=True)
        assert cr.are_deterministic_algorithms_enabled() is True
        assert cr.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        cr.use_deterministic_algorithms(False)
    assert cr.are_deterministic_algorithms_enabled() is False
    with pytest.raises(TypeError, match="use_deterministic_algorithms.*bool, got str"):
        cr.use_deterministic_algorithms("yes")


def test_utils_data_is_chainrule_data():
    from chainrule.utils.data import DataLoader, Dataset, TensorDataset, random_split
    import chainrule.data as data
    assert DataLoader is data.DataLoader and TensorDataset is data.TensorDataset
    assert Dataset is data.Dataset and random_split is data.random_split
    assert cr.utils.data.DataLoader is data.DataLoader
    loader = cr.utils.data.DataLoader(TensorDataset(cr.arange(5)), batch_size=2)
    assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3], [4]]
