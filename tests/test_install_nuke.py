"""``vtinker-install nuke`` on a temporary home folder: install, re-install, uninstall."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vtinker_installer import nuke as installer
from vtinker_installer.cli import main

pytestmark = pytest.mark.host

USER_INIT = "import nuke\nnuke.pluginAddPath('./gizmos')\n# my own line, no newline at the end"
TESTS = Path(__file__).resolve().parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    return home


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_install_reinstall_uninstall_restores_init_py_exactly(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nuke_dir = home / ".nuke"
    nuke_dir.mkdir()
    (nuke_dir / "init.py").write_bytes(USER_INIT.encode())

    assert main(["nuke"]) == 0
    out = capsys.readouterr().out
    folder = nuke_dir / "vtinker_retime"
    for name in ("init.py", "menu.py", "icons/VTinkerRetime.png", "vtinker_retime.json"):
        assert (folder / name).is_file(), name
    assert (folder / "vtinker_hosts" / "__init__.py").is_file()
    assert (folder / "vtinker_hosts" / "nuke" / "render.py").is_file()
    assert not (folder / "vtinker_hosts" / "nuke" / "plugin").exists()
    config = json.loads((folder / "vtinker_retime.json").read_text())
    assert Path(config["engine_executable"]).name.startswith("vtinker")
    init_text = (nuke_dir / "init.py").read_text()
    assert init_text.startswith(USER_INIT + "\n# >>> vtinker retime >>>\n")
    assert f"nuke.pluginAddPath({folder.as_posix()!r})" in init_text
    assert init_text.endswith("# <<< vtinker retime <<<\n")
    assert "NUKE_PATH" in out and str(folder) in out

    before = _snapshot(nuke_dir)
    assert main(["nuke"]) == 0
    assert _snapshot(nuke_dir) == before  # re-running changes nothing
    assert "up to date" in capsys.readouterr().out

    assert main(["nuke", "--uninstall"]) == 0
    assert (nuke_dir / "init.py").read_bytes() == USER_INIT.encode()
    assert sorted(p.name for p in nuke_dir.iterdir()) == ["init.py"]
    assert main(["nuke", "--uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_install_into_a_fresh_home_and_out_again_leaves_nothing(home: Path) -> None:
    assert main(["nuke"]) == 0
    assert (home / ".nuke" / "init.py").is_file()
    assert main(["nuke", "--uninstall"]) == 0
    assert list(home.iterdir()) == []


def test_the_block_is_replaced_not_repeated_when_the_folder_moves(tmp_path: Path) -> None:
    text, added = installer.add_block("x = 1\n", installer.init_block(Path("/a/vtinker_retime")))
    assert added is False
    moved, _ = installer.add_block(text, installer.init_block(Path("/b/vtinker_retime")))
    assert moved.count(installer.BEGIN_MARKER) == 1 and "/b/vtinker_retime" in moved
    assert installer.remove_block(moved) == "x = 1\n"
    crlf, added = installer.add_block("a\r\nb", installer.init_block(Path("/c"), "\r\n"))
    assert added and installer.remove_block(crlf, True) == "a\r\nb"
    with pytest.raises(ValueError, match="without"):
        installer.add_block(installer.BEGIN_MARKER + "\n", "block")


def test_no_init_py_and_a_chosen_engine(home: Path, tmp_path: Path) -> None:
    nuke_dir = tmp_path / "studio nuke"
    engine = tmp_path / "bin" / "vtinker"
    assert main(["nuke", "--nuke-dir", str(nuke_dir), "--no-init-py", "--engine", str(engine)]) == 0
    assert not (nuke_dir / "init.py").exists()
    config = json.loads((nuke_dir / "vtinker_retime" / "vtinker_retime.json").read_text())
    assert config["engine_executable"] == str(engine)
    assert main(["nuke", "--nuke-dir", str(nuke_dir), "--uninstall"]) == 0
    assert not nuke_dir.exists()


def test_a_foreign_folder_is_left_alone(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = home / ".nuke" / "vtinker_retime"
    foreign.mkdir(parents=True)
    (foreign / "mine.py").write_text("# not ours\n")
    assert main(["nuke"]) == 2
    assert "not made by vtinker-install" in capsys.readouterr().err
    assert main(["nuke", "--uninstall"]) == 2
    assert (foreign / "mine.py").is_file()


def test_the_installed_copy_starts_in_a_clean_python_with_the_fake(home: Path) -> None:
    """The copied folder is self-contained: its init.py/menu.py and package work on their own,
    with no Qt, in a Python that has only the copy and the fake on its path."""
    assert main(["nuke"]) == 0
    folder = home / ".nuke" / "vtinker_retime"
    code = (
        "import json, runpy, sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "from fakes.nuke import new_nuke_module\n"
        "sys.modules['nuke'] = fake = new_nuke_module()\n"
        "sys.modules['PySide2'] = sys.modules['PySide6'] = None\n"
        f"runpy.run_path({str(folder / 'init.py')!r})\n"
        f"runpy.run_path({str(folder / 'menu.py')!r})\n"
        "item = fake.state.menus['Nodes'].findItem('Time/VTinker Retime')\n"
        "fake.state.run_script(None, None, item.command)\n"
        "import vtinker_hosts.nuke.config as config\n"
        "import vtinker_hosts.nuke.render, vtinker_hosts.nuke.farm\n"  # the engine client too
        "node = fake.toNode('VTinkerRetime1')\n"
        "print(json.dumps({'package': config.__file__, 'engine': "
        "config.default_engine_executable(env={}), 'paths': fake.pluginPath(), "
        "'node': node.name()}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert Path(report["package"]).is_relative_to(folder)  # the copy, not the source tree
    config = json.loads((folder / "vtinker_retime.json").read_text())
    assert report["engine"] == config["engine_executable"]
    assert report["paths"] == [str(folder / "icons")]
    assert report["node"] == "VTinkerRetime1"


def test_the_console_script_installs(home: Path) -> None:
    script = Path(sys.executable).parent / "vtinker-install"
    if not script.is_file():
        pytest.skip("vtinker-install is not installed beside this Python")
    result = subprocess.run(
        [str(script), "nuke"], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
    assert (home / ".nuke" / "vtinker_retime" / "menu.py").is_file()
