"""`import chainrule` stays light: no heavy optional library is imported at module level."""
import subprocess
import sys

HEAVY = ["torch", "matplotlib", "tqdm", "gymnasium", "cupy", "scipy", "hypothesis"]


def test_import_chainrule_loads_no_heavy_library():
    code = ("import sys, chainrule; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"import chainrule imported: {out}"


def test_top_level_api_names_exist():
    import chainrule as cr
    for name in ["tensor", "zeros", "ones", "randn", "no_grad", "enable_grad", "manual_seed",
                 "float32", "float64", "int64", "bool", "Tensor", "Size", "autograd",
                 "get_default_dtype", "set_default_dtype", "from_numpy", "arange"]:
        assert hasattr(cr, name), name
