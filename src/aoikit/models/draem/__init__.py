"""DRAEM: a reconstructive and a discriminative network trained on good images with synthetic anomalies."""

from aoikit.models.draem.network import DRAEM, DRAEMConfig, DRAEMOutput

__all__ = ["DRAEM", "DRAEMConfig", "DRAEMOutput"]
