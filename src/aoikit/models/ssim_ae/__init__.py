"""The SSIM autoencoder family (Bergmann et al. 2018): network and patch-wise detector."""

from aoikit.models.ssim_ae import network as network
