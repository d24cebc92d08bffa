"""Supervised segmentation: a compact U-Net trained from scratch on images with defect masks."""

from aoikit.models.unet import network as network
