"""The few torchvision v2 functions transformers' image processors call, in plain torch."""

import enum

import numpy as np
import torch
import torch.nn.functional as F


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def pil_to_tensor(image):
    return torch.from_numpy(np.array(image, copy=True)).permute(2, 0, 1).contiguous()


def resize(image, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    mode = interpolation.value if isinstance(interpolation, InterpolationMode) else "bilinear"
    if mode not in ("nearest", "bilinear", "bicubic"):
        mode = "bilinear"
    squeeze = image.dim() == 3
    x = image[None] if squeeze else image
    dtype = x.dtype
    kw = {} if mode == "nearest" else {"align_corners": False, "antialias": bool(antialias)}
    out = F.interpolate(x.float(), size=list(size), mode=mode, **kw)
    if dtype == torch.uint8:
        out = out.round().clamp(0, 255).to(torch.uint8)
    return out[0] if squeeze else out


def normalize(image, mean, std, inplace=False):
    mean = torch.as_tensor(mean, dtype=image.dtype).view(-1, 1, 1)
    std = torch.as_tensor(std, dtype=image.dtype).view(-1, 1, 1)
    return (image - mean) / std


def crop(image, top, left, height, width):
    return image[..., top : top + height, left : left + width]


def pad(image, padding, fill=0, padding_mode="constant"):
    if isinstance(padding, int):
        padding = [padding] * 4
    if len(padding) == 2:
        padding = [padding[0], padding[1], padding[0], padding[1]]
    left, top, right, bottom = padding
    return F.pad(image, (left, right, top, bottom), value=fill)
