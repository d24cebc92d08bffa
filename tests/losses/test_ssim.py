"""SSIM against scikit-image, a direct NumPy reference, and small property checks."""

import numpy as np
import pytest
import torch
from skimage.data import camera
from skimage.metrics import structural_similarity

from aoikit.losses import SSIMLoss, dssim, ssim, ssim_map
from aoikit.losses.ssim import gaussian_kernel1d


def _pair(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A textured crop of the camera image and a noisy, shifted copy, both in [0, 1]."""
    rng = np.random.default_rng(seed)
    img = camera().astype(np.float64) / 255.0
    r, c = rng.integers(0, img.shape[0] - size - 2, 2)
    a = img[r : r + size, c : c + size]
    b = np.clip(img[r + 1 : r + 1 + size, c + 2 : c + 2 + size] + rng.normal(0, 0.05, (size, size)), 0, 1)
    return a, b


def _t(a: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.from_numpy(a).to(dtype)[None, None]


def _reference_map(a: np.ndarray, b: np.ndarray, window_size: int, sigma: float = 1.5) -> np.ndarray:
    """Explicit per-pixel weighted window sums over a reflect-padded image (float64)."""
    half = window_size // 2
    g = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    w = np.outer(g, g) / np.outer(g, g).sum()
    ap, bp = np.pad(a, half, mode="reflect"), np.pad(b, half, mode="reflect")
    c1, c2 = 0.01**2, 0.03**2
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            wa, wb = ap[i : i + window_size, j : j + window_size], bp[i : i + window_size, j : j + window_size]
            mx, my = (w * wa).sum(), (w * wb).sum()
            vx, vy = (w * (wa - mx) ** 2).sum(), (w * (wb - my) ** 2).sum()
            cxy = (w * (wa - mx) * (wb - my)).sum()
            out[i, j] = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return out


def test_kernel_taps_and_validation() -> None:
    for n in (3, 7, 11, 15):
        k = gaussian_kernel1d(n)
        assert k.shape == (n,) and torch.isclose(k.sum(), torch.tensor(1.0))
        assert torch.equal(k, k.flip(0))
    for bad in (1, 2, 10):
        with pytest.raises(ValueError):
            gaussian_kernel1d(bad)


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_skimage_at_window_11(seed: int) -> None:
    a, b = _pair(64, seed)
    _, expected = structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, full=True
    )
    got = ssim_map(_t(a), _t(b))[0, 0].numpy()
    crop = 11  # the borders differ: skimage pads with edge repetition ("symmetric"), we reflect
    np.testing.assert_allclose(got[crop:-crop, crop:-crop], expected[crop:-crop, crop:-crop], atol=1e-3)


@pytest.mark.parametrize("window_size", [7, 15])
def test_matches_numpy_reference(window_size: int) -> None:
    a, b = _pair(24, seed=2)
    got = ssim_map(_t(a, torch.float64), _t(b, torch.float64), window_size=window_size)[0, 0].numpy()
    np.testing.assert_allclose(got, _reference_map(a, b, window_size), atol=1e-6)


def test_window_size_changes_result() -> None:
    a, b = _pair(32, seed=3)
    m7, m15 = ssim_map(_t(a), _t(b), window_size=7), ssim_map(_t(a), _t(b), window_size=15)
    assert (m7 - m15).abs().max() > 1e-2


def test_identical_images_give_one() -> None:
    a, _ = _pair(32)
    for x in (_t(a), torch.full((2, 1, 16, 16), 0.3), torch.zeros(1, 1, 16, 16)):
        torch.testing.assert_close(ssim_map(x, x), torch.ones_like(x), atol=1e-6, rtol=0)
    assert dssim(_t(a), _t(a)).abs() < 1e-6


def test_gradcheck_float64() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 2, 7, 7, dtype=torch.float64, generator=g, requires_grad=True)
    y = torch.rand(1, 2, 7, 7, dtype=torch.float64, generator=g)
    assert torch.autograd.gradcheck(lambda t: ssim_map(t, y, window_size=5), (x,))


def test_function_equals_module() -> None:
    a, b = _pair(32, seed=4)
    torch.testing.assert_close(SSIMLoss()(_t(a), _t(b)), dssim(_t(a), _t(b)), atol=0, rtol=0)
    x64, y64 = _t(a, torch.float64), _t(b, torch.float64)
    torch.testing.assert_close(SSIMLoss(7)(x64, y64), dssim(x64, y64, window_size=7), atol=0, rtol=0)
    assert SSIMLoss().state_dict() == {}


def test_multichannel_is_per_channel() -> None:
    pairs = [_pair(32, seed=s) for s in range(3)]
    x = torch.cat([_t(a) for a, _ in pairs], dim=1)
    y = torch.cat([_t(b) for _, b in pairs], dim=1)
    m = ssim_map(x, y)
    assert m.shape == (1, 3, 32, 32)
    for ch, (a, b) in enumerate(pairs):
        torch.testing.assert_close(m[:, ch : ch + 1], ssim_map(_t(a), _t(b)))
    assert ssim(x.expand(4, -1, -1, -1), y.expand(4, -1, -1, -1)).shape == (4,)


def test_autocast_bfloat16_computes_in_float32() -> None:
    a, b = _pair(32, seed=5)
    x, y = _t(a), _t(b)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        m = ssim_map(x, y)
        loss = SSIMLoss()(x, y)
    assert m.dtype == torch.float32 and loss.dtype == torch.float32
    torch.testing.assert_close(m, ssim_map(x, y), atol=0, rtol=0)
    half = ssim_map(x.bfloat16(), y.bfloat16())
    assert half.dtype == torch.float32


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        ssim_map(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 9))
    with pytest.raises(ValueError):
        ssim_map(torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 4), window_size=11)


@pytest.mark.parametrize("window_size", [7, 11, 15])
def test_one_image_in_inference_mode_takes_opencv_to_the_same_map(window_size: int) -> None:
    a, b = _pair(40, seed=4)
    x, y = _t(a), _t(b)
    with torch.inference_mode():
        one = ssim_map(x, y, window_size=window_size)  # one float32 image: OpenCV
        batched = ssim_map(torch.cat([x, y]), torch.cat([y, x]), window_size=window_size)[:1]  # torch's convolutions
    assert one.shape == x.shape and one.dtype == torch.float32
    np.testing.assert_allclose(one.numpy(), batched.numpy(), atol=2e-4)  # float32 rounding of E[x²] − E[x]²
    np.testing.assert_allclose(one[0, 0].numpy(), _reference_map(a, b, window_size), atol=2e-4)
    np.testing.assert_allclose(one.numpy(), ssim_map(x, y, window_size=window_size).numpy(), atol=2e-4)
