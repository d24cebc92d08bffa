"""Segmentation loss: cross-entropy over the classes plus soft Dice on the defect probability."""

import torch
from torch import Tensor
from torch.nn import functional as F


def defect_probability(logits: Tensor) -> Tensor:
    """(N, 1, H, W): the probability that a pixel is any defect, 1 − P(background)."""
    return 1 - torch.softmax(logits.float(), dim=1)[:, :1]


def segmentation_loss(logits: Tensor, target: Tensor) -> dict[str, Tensor]:
    """``loss`` = cross-entropy against ``target`` ((N, H, W) class indices) + (1 − soft Dice) of defect pixels.

    The Dice term is computed over the whole batch, so a batch without defects costs only its false positives.
    """
    ce = F.cross_entropy(logits.float(), target)
    prob = defect_probability(logits)[:, 0]
    truth = (target > 0).float()
    dice = 1 - (2 * (prob * truth).sum() + 1) / (prob.sum() + truth.sum() + 1)
    return {"loss": ce + dice, "ce": ce, "dice": dice}
