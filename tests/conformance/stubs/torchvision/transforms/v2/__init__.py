"""Stand-in torchvision.transforms.v2 (conformance runs only)."""
