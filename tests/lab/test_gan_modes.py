"""The gan-modes experiment: its checks on made-up numbers, the quick variant end to end."""
import json

import pytest

from chainrule.lab import gan_modes as M


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan-modes")
    return out, M.run(quick=True, out=out)


def made_up(modes=8, hq=0.9, ratio=0.05, finite=True, budget=M.FULL) -> dict:
    variant = {"final_modes": modes, "final_hq": hq, "distance_ratio": ratio,
               "finite": finite}
    return {"budget": budget, "variants": {v: dict(variant) for v in M.VARIANTS}}


def test_quick_variant_passes_and_writes_its_files(quick):
    out, found = quick
    assert [c.passed for c in found] == [True, True], [str(c) for c in found]
    numbers = json.loads((out / "gan_modes.json").read_text())
    assert set(numbers["variants"]) == set(M.VARIANTS)
    wgp = numbers["variants"]["wgan-gp"]
    assert [p["step"] for p in wgp["curve"]] == [0, 100, 200, 300]
    assert "wasserstein" in wgp["curve"][-1] and "gp" in wgp["curve"][-1]
    assert 0 <= wgp["final_modes"] <= 8 and 0.0 <= wgp["final_hq"] <= 1.0
    assert (out / "gan_modes.png").read_bytes()[:4] == b"\x89PNG"


def test_full_checks_pass_on_good_numbers_and_fail_on_bad_ones():
    assert all(c.passed for c in M.checks(made_up()))
    outcome = {c.name: c.passed for c in M.checks(made_up(modes=7, hq=0.79, ratio=0.2,
                                                          finite=False))}
    assert outcome == {"WGAN-GP pulls its samples onto the modes": False,
                       "WGAN-GP covers the modes of 8 Gaussians": False,
                       "WGAN-GP samples are high quality": False,
                       "every variant's losses stay finite": False}


def test_quick_checks_skip_the_mode_counts():
    names = [c.name for c in M.checks(made_up(modes=0, hq=0.0, ratio=0.5, budget=M.QUICK))]
    assert names == ["WGAN-GP pulls its samples onto the modes",
                     "every variant's losses stay finite"]
    assert not M.checks(made_up(ratio=0.71, budget=M.QUICK))[0].passed
