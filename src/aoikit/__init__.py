"""aoikit: automated optical inspection from images of good parts."""

import os

# PyTorch's OpenMP runtime (libgomp) reads OMP_WAIT_POLICY once, when torch loads. By default its idle
# workers spin, and two threads fall to a fraction of one thread's speed as soon as another process
# holds a core (docs/RESULTS.md); passive workers sleep instead. Set before any aoikit module imports
# torch (the `aoikit` command imports this package first); a value already in the environment is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
