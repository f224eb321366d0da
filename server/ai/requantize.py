"""Re-encode a GGUF's weight matrices in another block format, without changing anything
else in the file.

The built-in model ships as Q4_1 (4-bit codes with a scale and an offset per block of 32).
llama.cpp evaluates prompts with Q4_1 weights slower than with Q8_0 ones. Measured on
2-core x86_64 machines (``bench/quant_quality.py``, figures in ``bench/RESULTS.md``): the
Q8_0 re-encoding evaluates prompts about 1.6x faster, generates tokens as fast, and its
perplexity on gold SQL is within 1% of the shipped file's, since every Q4_1 block is
represented almost exactly by Q8_0's 255 levels. (Q4_0, which llama.cpp's kernels also
generate with faster, cannot hold Q4_1's offsets: it raised perplexity by a third, so it
is not used.)

:func:`requantize` dequantizes every tensor stored as ``source`` and quantizes it again as
``target`` with the ``gguf`` package (numpy); every other tensor (F32 norms, the Q8_0
token embedding) and all metadata are copied unchanged, except ``general.file_type``. The
result is written to a temporary file next to the destination and renamed into place, so
an interrupted run never leaves a half-written model behind. The output is deterministic:
the same input gives the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelError

# llama.cpp's LlamaFileType for a file whose matrices are all of one quantization type.
_FILE_TYPES = {"Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9}


def requantize(
    src: Path,
    dst: Path,
    *,
    source: str = "Q4_1",
    target: str = "Q8_0",
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write ``dst``: ``src`` with its ``source``-typed tensors re-quantized to ``target``.
    Raises ``ModelError`` when ``src`` is not a readable GGUF or the gguf package is
    missing."""
    try:
        import gguf
        import numpy as np
    except ImportError:
        raise ModelError("re-encoding a model needs the gguf package: pip install gguf") from None
    quant = gguf.GGMLQuantizationType
    try:
        source_type, target_type = quant[source], quant[target]
    except KeyError as exc:
        raise ModelError(f"unknown GGUF quantization type {exc.args[0]}") from None
    say = progress or (lambda _message: None)
    try:
        reader = gguf.GGUFReader(src)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {src} as GGUF: {exc}") from None

    dst.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{dst.name}.", dir=dst.parent)
    os.close(handle)
    partial = Path(name)
    try:
        writer = gguf.GGUFWriter(partial, _string_field(reader, "general.architecture"))
        for key, field in reader.fields.items():
            if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
                continue
            _copy_field(writer, field, gguf.GGUFValueType)
        if target in _FILE_TYPES:
            writer.add_file_type(_FILE_TYPES[target])
        changed = 0
        for tensor in reader.tensors:
            if tensor.tensor_type == source_type:
                shape = tuple(int(n) for n in reversed(tensor.shape))  # numpy order
                values = gguf.quants.dequantize(tensor.data, source_type).reshape(shape)
                data = gguf.quants.quantize(values.astype(np.float32), target_type)
                writer.add_tensor(tensor.name, data, raw_dtype=target_type)
                changed += 1
            elif tensor.tensor_type in (quant.F32, quant.F16):
                writer.add_tensor(tensor.name, np.asarray(tensor.data))
            else:
                writer.add_tensor(tensor.name, np.asarray(tensor.data), raw_dtype=tensor.tensor_type)
        say(f"re-encoding {changed} {source} tensors of {src.name} as {target}")
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        partial.chmod(0o644)
        os.replace(partial, dst)
    finally:
        partial.unlink(missing_ok=True)
    return dst


def _string_field(reader: Any, key: str) -> str:
    field = reader.fields.get(key)
    if field is None:
        raise ModelError(f"GGUF file has no {key}")
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def _copy_field(writer: Any, field: Any, value_type: Any) -> None:
    """Copy one metadata field (scalars, strings and flat arrays: what model files hold)."""
    kind = field.types[0]
    if kind == value_type.ARRAY:
        item = field.types[1]
        if item == value_type.STRING:
            values: list[Any] = [bytes(field.parts[i]).decode("utf-8", "surrogateescape") for i in field.data]
        elif item == value_type.ARRAY:
            raise ModelError(f"GGUF field {field.name} nests arrays; not supported")
        else:
            values = [field.parts[i][0].item() for i in field.data]
        writer.add_key_value(field.name, values, kind, sub_type=item)
    elif kind == value_type.STRING:
        writer.add_key_value(field.name, bytes(field.parts[field.data[0]]).decode("utf-8", "surrogateescape"), kind)
    else:
        writer.add_key_value(field.name, field.parts[field.data[0]][0].item(), kind)
