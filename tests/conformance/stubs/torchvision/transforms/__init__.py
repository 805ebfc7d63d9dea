"""Stand-in torchvision.transforms (conformance runs only)."""

from torchvision.transforms.v2.functional import InterpolationMode  # noqa: F401
