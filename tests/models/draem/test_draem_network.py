"""The DRAEM network: shapes, configuration checks, the registry."""

import pytest
import torch

from aoikit.errors import AoikitError
from aoikit.models import create_model
from aoikit.models.draem import DRAEM, DRAEMConfig


@pytest.mark.parametrize("stem", [1, 2, 4])
def test_outputs_have_the_input_size_and_do_not_depend_on_mode(stem: int) -> None:
    model = DRAEM(DRAEMConfig(recon_width=4, disc_width=4, depth=2, stem=stem))
    x = torch.rand(2, 1, 32, 48)
    model.eval()
    with torch.no_grad():
        out = model(x)
    assert out.reconstruction.shape == x.shape and out.logits.shape == (2, 1, 32, 48)
    assert float(out.reconstruction.min()) >= 0.0 and float(out.reconstruction.max()) <= 1.0
    model.train()
    assert model(x).logits.shape == out.logits.shape


def test_config_is_checked_and_built_by_name() -> None:
    assert DRAEMConfig(depth=3, stem=4).multiple == 32
    with pytest.raises(ValueError, match="stem"):
        DRAEMConfig(stem=3)
    with pytest.raises(AoikitError, match="unknown config key"):
        create_model("draem", width=8)
    assert isinstance(create_model("draem", recon_width=4, disc_width=4), DRAEM)
