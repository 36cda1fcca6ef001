"""Writes ``vqgan_taming/``: a tiny taming-transformers VQGAN, converted, with its outputs.

Run once, outside the test suite, with the ``taming-transformers`` 0.0.1 wheel from PyPI unpacked
on ``PYTHONPATH`` (its ``diffusionmodules/model.py`` and ``vqvae/quantize.py`` need only torch and
numpy):

    PYTHONPATH=/path/to/unpacked/wheel python tests/generator/data/reference/make_vqgan_taming.py

taming's PyTorch modules are the model vqgan-jax ports, so the parity test compares our Flax
VQGAN with the original architecture, not with our own reading of it. Weights are converted to
the vqgan-jax names and stored as float16; the reference outputs are computed from those float16
values (cast back to float32), so rounding on disk does not blur the comparison.
"""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import torch
from flax.serialization import msgpack_serialize
from taming.modules.diffusionmodules.model import Decoder, Encoder
from taming.modules.vqvae.quantize import VectorQuantizer

OUT = pathlib.Path(__file__).parent / "vqgan_taming"
CONFIG = {
    "ch": 32,
    "ch_mult": [1, 2],
    "num_res_blocks": 1,
    "attn_resolutions": [8],
    "z_channels": 32,
    "resolution": 16,
    "n_embed": 24,
    "embed_dim": 16,
    "in_channels": 3,
    "out_ch": 3,
    "double_z": False,
    "dropout": 0.0,
    "resamp_with_conv": True,
    "give_pre_end": False,
    "num_resolutions": 2,
}


class TamingVQGAN(torch.nn.Module):
    """taming's VQModel without its losses and Lightning: encoder, quantizer, decoder."""

    def __init__(self) -> None:
        super().__init__()
        shape = {k: v for k, v in CONFIG.items() if k not in ("n_embed", "embed_dim")}
        del shape["num_resolutions"]
        self.encoder = Encoder(**shape)
        self.decoder = Decoder(**shape)
        self.quantize = VectorQuantizer(CONFIG["n_embed"], CONFIG["embed_dim"], beta=0.25)
        self.quant_conv = torch.nn.Conv2d(CONFIG["z_channels"], CONFIG["embed_dim"], 1)
        self.post_quant_conv = torch.nn.Conv2d(CONFIG["embed_dim"], CONFIG["z_channels"], 1)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        _, _, (_, _, codes) = self.quantize(self.quant_conv(self.encoder(images)))
        return codes.reshape(images.shape[0], -1)

    def decode_code(self, codes: torch.Tensor) -> torch.Tensor:
        side = int(codes.shape[1] ** 0.5)
        latents = self.quantize.embedding(codes).reshape(codes.shape[0], side, side, -1)
        return self.decoder(self.post_quant_conv(latents.permute(0, 3, 1, 2)))


def flax_name(torch_name: str) -> list[str]:
    """``decoder.up.1.attn.0.q.weight`` -> ``[decoder, up_1, attn_0, q, weight]``."""
    joined = re.sub(r"\.(down|up|block|attn)\.(\d+)(?=\.)", r".\1_\2", torch_name)
    return joined.split(".")


def flax_value(path: list[str], tensor: torch.Tensor) -> tuple[str, np.ndarray]:
    value = tensor.detach().numpy()
    if path[-1] == "bias":
        return "bias", value
    if value.ndim == 4:  # conv: OIHW -> HWIO
        return "kernel", value.transpose(2, 3, 1, 0)
    if path[-2] == "embedding":
        return "embedding", value
    return "scale", value  # GroupNorm


def main() -> None:
    torch.manual_seed(0)
    model = TamingVQGAN().eval()
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if name == "quantize.embedding.weight":
                tensor.copy_(torch.randn_like(tensor))  # spread codes: no near-ties in argmin
            else:
                tensor.add_(0.1 * torch.randn_like(tensor))  # no norm stays at 1 / 0
            tensor.copy_(tensor.half().float())  # what float16 on disk holds

    params: dict = {}
    for name, tensor in model.named_parameters():
        path = flax_name(name)
        leaf, value = flax_value(path, tensor)
        node = params
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[leaf] = value.astype(np.float16)

    generator = torch.Generator().manual_seed(1)
    images = torch.rand(3, 3, CONFIG["resolution"], CONFIG["resolution"], generator=generator)
    grid = (CONFIG["resolution"] // 2) ** 2
    codes_in = torch.randint(0, CONFIG["n_embed"], (3, grid), generator=generator)
    with torch.no_grad():
        codes = model.encode(images)
        decoded = model.decode_code(codes_in)

    OUT.mkdir(exist_ok=True)
    (OUT / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    (OUT / "flax_model.msgpack").write_bytes(msgpack_serialize(params))
    np.savez_compressed(
        OUT / "reference.npz",
        images_nhwc=images.permute(0, 2, 3, 1).numpy(),
        codes=codes.numpy().astype(np.int32),
        codes_in=codes_in.numpy().astype(np.int32),
        decoded_nhwc=decoded.permute(0, 2, 3, 1).numpy(),
        code_margin=_code_margin(model, images),
    )


def _code_margin(model: TamingVQGAN, images: torch.Tensor) -> np.ndarray:
    """Smallest gap between the nearest and second-nearest code: how robust ``codes`` are."""
    with torch.no_grad():
        z = model.quant_conv(model.encoder(images)).permute(0, 2, 3, 1).reshape(-1, 16)
        distance = torch.cdist(z, model.quantize.embedding.weight)
        two = distance.topk(2, largest=False).values
    return (two[:, 1] - two[:, 0]).min().numpy()


if __name__ == "__main__":
    main()
