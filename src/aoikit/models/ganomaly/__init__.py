"""The GANomaly family: encoder–decoder–encoder generator, discriminator, losses, scores, presets, detector."""

from aoikit.models.ganomaly import network as network
