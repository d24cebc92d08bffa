"""Anomaly models, built by name through an explicit registry."""

from aoikit.models import baselines as baselines
from aoikit.models import draem as draem
from aoikit.models import ganomaly as ganomaly
from aoikit.models import patchcore as patchcore
from aoikit.models import ssim_ae as ssim_ae
from aoikit.models import unet as unet
from aoikit.models.registry import create_model, list_models, load_network, register_model
from aoikit.training.checkpoint import model_config

__all__ = ["create_model", "list_models", "load_network", "model_config", "register_model"]
