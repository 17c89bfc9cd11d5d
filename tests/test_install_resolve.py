"""``vtinker-install resolve`` on temporary folders laid out like each platform's."""

from __future__ import annotations

import argparse
import ast
import importlib.util
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
from fakes.resolve import make_scene

from vtinker_installer import resolve as installer

pytestmark = pytest.mark.host

USER_SCRIPTS = {
    "linux": ("HOME", ".local/share/DaVinciResolve/Fusion/Scripts"),
    "darwin": (
        "HOME",
        "Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
    ),
    "windows": ("APPDATA", "Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts"),
}


def _run(*argv: str) -> list[str]:
    parser = argparse.ArgumentParser()
    installer.add_arguments(parser)
    return list(installer.run(parser.parse_args(list(argv))))


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("HOME", "APPDATA", "PROGRAMDATA"):
        folder = tmp_path / variable.lower()
        folder.mkdir()
        monkeypatch.setenv(variable, str(folder))
    return tmp_path


@pytest.mark.parametrize("platform", ["linux", "darwin", "windows"])
def test_install_writes_utility_only_and_uninstall_removes_exactly_that(
    homes: Path, platform: str
) -> None:
    """Utility is listed on every page: a second copy in Edit listed the entry twice there."""
    variable, relative = USER_SCRIPTS[platform]
    base = homes / variable.lower()
    (base / "keep.txt").write_text("the user's")
    before = _tree(homes)
    scripts = base / relative

    lines = _run("--platform", platform)
    written = [scripts / "Utility" / "VTinker Retime.py"]
    assert [f"wrote {p}" for p in written] == lines[:1]
    assert all(p.exists() for p in written)
    assert not (scripts / "Edit").exists()
    text = written[0].read_text(encoding="utf-8")
    assert text.startswith(installer.MARKER + "\n")
    assert f"ENGINE_BIN = {str(installer.engine_bin())!r}" in text
    assert f"ADAPTER_DIR = {str(installer.adapter_dir())!r}" in text
    assert f"SCRIPT_LIB = {installer.SCRIPT_LIB[platform]!r}" in text
    ast.parse(text, feature_version=(3, 6))

    assert _run("--platform", platform)[:1] == [f"up to date: {p}" for p in written]
    assert written[0].read_text(encoding="utf-8") == text

    removed = _run("--platform", platform, "--uninstall")
    assert f"removed {written[0]}" in removed
    assert _tree(homes) == before


def test_an_earlier_install_in_edit_too_is_reduced_to_utility(homes: Path) -> None:
    scripts = homes / "home" / USER_SCRIPTS["linux"][1]
    _run("--platform", "linux", "--category", "Utility", "--category", "Edit")
    assert (scripts / "Edit" / "VTinker Retime.py").is_file()
    lines = _run("--platform", "linux")
    assert f"removed {scripts / 'Edit' / 'VTinker Retime.py'}" in lines
    assert not (scripts / "Edit" / "VTinker Retime.py").exists()
    assert (scripts / "Utility" / "VTinker Retime.py").is_file()
    _run("--platform", "linux", "--uninstall")
    assert not scripts.exists()


def test_uninstall_leaves_what_was_there_before(homes: Path) -> None:
    scripts = homes / "home" / USER_SCRIPTS["linux"][1]
    (scripts / "Utility").mkdir(parents=True)
    (scripts / "Utility" / "Mine.py").write_text("print('mine')\n")
    before = _tree(homes)
    _run("--platform", "linux")
    assert (scripts / "Utility" / "VTinker Retime.py").exists()
    _run("--platform", "linux", "--uninstall")
    assert _tree(homes) == before


def test_all_users_on_windows_uses_programdata(homes: Path) -> None:
    _run("--platform", "windows", "--all-users")
    expected = homes / "programdata" / "Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    assert (expected / "Utility" / "VTinker Retime.py").exists()
    assert not (homes / "appdata" / "Blackmagic Design").exists()
    text = (expected / "Utility" / "VTinker Retime.py").read_text(encoding="utf-8")
    api = homes / "programdata" / "Blackmagic Design/DaVinci Resolve/Support/Developer/Scripting"
    assert f"SCRIPT_API = {str(api)!r}" in text


def test_all_users_folders_of_linux_and_macos() -> None:
    assert installer.scripts_folder("linux", all_users=True) == Path("/opt/resolve/Fusion/Scripts")
    assert installer.scripts_folder("darwin", all_users=True) == Path(
        "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    )


def test_a_chosen_scripts_folder(tmp_path: Path) -> None:
    _run("--scripts-dir", str(tmp_path / "Scripts"), "--platform", "linux")
    assert (tmp_path / "Scripts" / "Utility" / "VTinker Retime.py").exists()
    _run("--scripts-dir", str(tmp_path / "Scripts"), "--uninstall")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_appdata_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APPDATA", raising=False)
    with pytest.raises(OSError, match="%APPDATA% is not set; pass --scripts-dir"):
        _run("--platform", "windows")


def test_a_foreign_file_of_the_same_name_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "Scripts" / "Utility" / "VTinker Retime.py"
    target.parent.mkdir(parents=True)
    target.write_text("print('someone else')\n")
    with pytest.raises(FileExistsError, match="was not written by vtinker-install"):
        _run("--scripts-dir", str(tmp_path / "Scripts"), "--platform", "linux")
    assert target.read_text() == "print('someone else')\n"
    _run("--scripts-dir", str(tmp_path / "Scripts"), "--uninstall")
    assert target.exists()


def test_the_installed_script_loads_the_adapter_and_explains(tmp_path: Path, capsys) -> None:
    _run("--scripts-dir", str(tmp_path / "Scripts"), "--platform", "linux")
    script = tmp_path / "Scripts" / "Utility" / "VTinker Retime.py"
    scene = make_scene(None)  # a generator under the playhead
    runpy.run_path(str(script), init_globals={"resolve": scene.resolve}, run_name="__main__")
    out = capsys.readouterr().out
    assert "VTinker Retime: 'Solid Color' is not file-based" in out


HAS_CLI = importlib.util.find_spec("vtinker_installer.nuke") is not None


@pytest.mark.skipif(not HAS_CLI, reason="vtinker-install needs vtinker_installer.nuke too")
def test_the_vtinker_install_command(tmp_path: Path) -> None:
    from vtinker_installer.cli import main

    assert main(["resolve", "--scripts-dir", str(tmp_path / "S"), "--platform", "linux"]) == 0
    assert (tmp_path / "S" / "Utility" / "VTinker Retime.py").exists()
    command = shutil.which("vtinker-install")
    if command is not None:
        result = subprocess.run(
            [command, "resolve", "--scripts-dir", str(tmp_path / "S"), "--uninstall"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert not (tmp_path / "S").exists()
