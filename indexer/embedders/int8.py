"""Int8 linear layers for embedding questions: a lone question's forward pass is most of a
search's time on CPU, and int8 weights and activations make it about 1.7x faster than bf16
where the CPU has int8 dot products (docs/performance.md, "Questions embedded in int8").

Weights are quantised once, symmetrically, one scale per output channel; each call quantises
its input with that input's own range (dynamic quantisation). Unlike torch's
`quantize_dynamic`, the input keeps all 8 bits: torch's dynamic Linear reduces it to 7 to
avoid an overflow of AVX2's 16-bit multiply-add, which VNNI and AMX do not have; the question
vector's median cosine to fp32 is 0.994 with 8 bits against 0.980 with 7. int8 is offered only
where those instructions exist (`available`), and a model whose int8 vectors stray from fp32
on probe sentences is not used (`check`).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from indexer.embedding import cpu_flags

# Sentences a question model is checked on before it is used: a question's length and a
# passage's, in the corpus's own registers.
PROBES = (
    "what was said on e-commerce?",
    "How did Fiji describe the threat of sea level rise to its villages at the UN in 2019?",
    "Decides that all States shall cease forthwith any provision of arms and related matériel "
    "of all types, including the sale or transfer of weapons and ammunition.",
)
MIN_COSINE = 0.97  # the shipped questions' lowest is 0.98; an overflow gives far less


def available() -> bool:
    """AVX-512 VNNI or AMX-INT8 (int8 dot products into 32 bits) and a quantised engine in
    torch: where int8 questions are faster than bf16 and cannot overflow."""
    engines = set(torch.backends.quantized.supported_engines)
    return bool({"avx512_vnni", "amx_int8"} & cpu_flags()) and bool({"x86", "fbgemm"} & engines)


class Int8Linear(nn.Module):
    """`linear` with int8 weights (per output channel) and int8 inputs (per call)."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scales = (weight.abs().amax(1).clamp(min=1e-8) / 127).double()
        zeros = torch.zeros(len(scales), dtype=torch.int64)
        bias = None if linear.bias is None else linear.bias.detach().float()
        with warnings.catch_warnings():
            # torch 2.13 warns that quantised tensors will go in a later release: the
            # torch pinned here has them, and `check` falls back to bf16 where they fail.
            warnings.simplefilter("ignore")
            quantised = torch.quantize_per_channel(weight, scales, zeros, 0, torch.qint8)
            self.packed = torch.ops.quantized.linear_prepack(quantised, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(x, self.packed, False)  # all 8 bits


def quantise(module: nn.Module) -> nn.Module:
    """`module` with each of its Linear layers replaced by an Int8Linear, in place."""
    for name, child in module.named_children():
        if isinstance(child, nn.Linear):
            setattr(module, name, Int8Linear(child))
        else:
            quantise(child)
    return module


def check(expected: torch.Tensor, got: torch.Tensor) -> None:
    """Raise ValueError when the int8 vectors of the probes (`got`) stray from fp32's."""
    cosine = float(nn.functional.cosine_similarity(got, expected, dim=-1).min())
    if cosine < MIN_COSINE:
        raise ValueError(f"int8 vectors differ from fp32 (cosine {cosine:.3f} < {MIN_COSINE})")
