"""Colour from the Nuke node to the engine and back (issue #19): the session's own OCIO config
and names, a linear EXR prerender where the engine cannot be given them, and a Result Read with
a colourspace of the session. The fake ``nuke`` and the real engine subprocess."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
import PyOpenColorIO as ocio
import pytest
from fakes.nuke import new_nuke_module
from test_nuke_render import _engine_executable

from vtinker_core.frame import Frame
from vtinker_core.io import read_frame, write_frame
from vtinker_core.job import read_job
from vtinker_hosts.nuke import colour as nuke_colour
from vtinker_hosts.nuke import node as nuke_node
from vtinker_hosts.nuke import render as nuke_render

pytestmark = pytest.mark.host

# The names of Nuke's nuke-default config (its Cineon is a LUT there; a log curve here).
NUKE_DEFAULT_LIKE = """
ocio_profile_version: 2
name: nuke-default-like
roles:
  scene_linear: linear
  reference: linear
  compositing_log: Cineon
  color_timing: Cineon
  color_picking: sRGB
  data: raw
  default: raw
displays:
  default:
    - !<View> {name: sRGB, colorspace: sRGB}
colorspaces:
  - !<ColorSpace>
    name: linear
    encoding: scene-linear
  - !<ColorSpace>
    name: sRGB
    encoding: sdr-video
    to_scene_reference: !<ExponentWithLinearTransform> {gamma: 2.4, offset: 0.055}
  - !<ColorSpace>
    name: rec709
    encoding: sdr-video
    to_scene_reference: !<ExponentWithLinearTransform> {gamma: 2.222222, offset: 0.099}
  - !<ColorSpace>
    name: Cineon
    encoding: log
    from_scene_reference: !<LogAffineTransform>
      {base: 10, log_side_slope: 0.293, log_side_offset: 0.67, lin_side_offset: 0.011}
  - !<ColorSpace>
    name: raw
    encoding: data
    isdata: true
"""


def _fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, gui: bool = False) -> ModuleType:
    fake = new_nuke_module(gui=gui)
    monkeypatch.setitem(sys.modules, "nuke", fake)
    monkeypatch.delenv("OCIO", raising=False)
    config = tmp_path / "nuke-default" / "config.ocio"
    config.parent.mkdir()
    config.write_text(NUKE_DEFAULT_LIKE)
    fake.root()["OCIOConfigPath"].setValue(str(config))  # the stock config's file
    fake.state.colorspaces = ["linear", "sRGB", "rec709", "Cineon", "raw"]
    fake.addFormat("12 8 1.0 vt_tiny")
    return fake


def _plates(folder: Path, ext: str, count: int = 3) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pixels = np.full((8, 12, 3), 0.3 + 0.1 * i, np.float32)
        pixels[2:5, 3:7] = 0.6
        write_frame(folder / f"scan.{1001 + i:04d}.{ext}", Frame.from_array(pixels))
    return (folder / f"scan.%04d.{ext}").as_posix()


def _retime(nuke: ModuleType, read, out: Path):
    read.setSelected(True)
    group = nuke_node.create_node()
    group["engineExecutable"].setValue(_engine_executable())
    group["outputFolder"].setValue(str(out))
    group["interpolation"].setValue("Blend")
    group["centreSamples"].setValue(False)  # output 1001 shows source 1001 exactly
    return group


@pytest.mark.parametrize(("ext", "name"), [("dpx", "Cineon"), ("png", "sRGB")])
def test_a_log_or_8_bit_read_is_converted_with_the_sessions_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ext: str, name: str
) -> None:
    nuke = _fake(monkeypatch, tmp_path)
    read = nuke.nodes.Read(file=_plates(tmp_path / "plates", ext), first=1001, last=1003)
    assert read["colorspace"].value() == f"default ({name})"  # what Nuke's Read shows
    out = tmp_path / "retime"
    group = _retime(nuke, read, out)

    result = nuke_render.render_node(group)

    assert result.ok, result.message
    job = read_job(out / "VTinkerRetime1.job.json")
    assert str(job.ocio) == str(tmp_path / "nuke-default" / "config.ocio")
    assert (job.input.colorspace, job.output.colorspace) == (name, "linear")
    # The EXR holds the source in the working space: the session config's own conversion.
    config = ocio.Config.CreateFromFile(str(job.ocio))
    cpu = config.getProcessor(name, "linear").getDefaultCPUProcessor()
    source = read_frame(tmp_path / "plates" / f"scan.1001.{ext}").pixels[..., :3].copy()
    cpu.applyRGB(source)
    written = read_frame(out / "VTinkerRetime1.1001.exr").pixels[..., :3]
    np.testing.assert_allclose(written, source, rtol=2e-3, atol=2e-4)
    # The Result Read reads the EXRs as the working space, a name the session has.
    result_read = group.node("Result")
    assert result_read["colorspace"].value() == "linear"
    assert group["status"].value() == "rendered 1001-1005"


def test_the_result_read_never_gets_a_default_text_of_another_file_kind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A DPX Read says 'default (Cineon)'; the Result Read is an EXR Read, which has no such
    item (its default is 'default (linear)'): the GUI render must still show its frames."""
    nuke = _fake(monkeypatch, tmp_path, gui=True)
    read = nuke.nodes.Read(file=_plates(tmp_path / "plates", "dpx"), first=1001, last=1003)
    group = _retime(nuke, read, tmp_path / "retime")
    thread = nuke_render.render_node(group)
    assert isinstance(thread, threading.Thread)
    nuke.state.run_until(lambda: not thread.is_alive(), timeout=120)
    nuke.state.process_events()
    assert nuke.state.messages == [], nuke.state.messages
    assert group["status"].value() == "rendered 1001-1005"
    assert group.node("Result")["colorspace"].value() == "linear"


def test_nukes_own_colour_management_prerenders_to_linear_exr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With Nuke's native colour management and no config file the engine could load, a DPX
    is written to EXR in the working space by Nuke first; the engine reads scene-linear."""
    nuke = _fake(monkeypatch, tmp_path)
    nuke.root()["colorManagement"].setValue("Nuke")
    nuke.root()["OCIOConfigPath"].setValue("")
    plates = _plates(tmp_path / "plates", "dpx")
    read = nuke.nodes.Read(file=plates, first=1001, last=1003)
    group = _retime(nuke, read, tmp_path / "retime")
    written: list[str] = []

    def write_linear(write, first: int, last: int) -> None:  # what Nuke's Write would do
        assert write["colorspace"].value() == "linear" and write["file_type"].value() == "exr"
        pattern = write["file"].value()
        for number in range(first, last + 1):
            frame = read_frame(Path(plates.replace("%04d", f"{number:04d}")))
            write_frame(pattern.replace("####", f"{number:04d}"), frame)
            written.append(pattern)

    nuke.state.execute_handler = write_linear
    result = nuke_render.render_node(group)

    assert result.ok, result.message
    assert nuke.state.execute_calls == [("VTinkerRetime1.Prerender", 1001, 1003)]
    job = read_job(tmp_path / "retime" / "VTinkerRetime1.job.json")
    assert job.ocio is None
    assert (job.input.colorspace, job.output.colorspace) == ("scene_linear", "scene_linear")
    assert job.input.path.endswith("VTinkerRetime1_source.####.exr")
    assert group.node("Result")["colorspace"].value() == "linear"


# --------------------------------------------------------------------------- the rules


def test_the_session_config_comes_from_ocio_then_custom_then_stock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nuke = _fake(monkeypatch, tmp_path)
    stock = str(tmp_path / "nuke-default" / "config.ocio")
    session = nuke_colour.session_colour(nuke)
    assert (session.mode, session.config, session.working_space) == ("OCIO", stock, "linear")
    assert session.defines("cineon") and session.defines("compositing_log")
    assert not session.defines("ACES - ACEScg")
    custom = tmp_path / "show.ocio"
    custom.write_text(NUKE_DEFAULT_LIKE)
    monkeypatch.setenv("SHOW_OCIO", str(custom))
    nuke.root()["OCIO_config"].setValue("custom")
    nuke.root()["customOCIOConfigPath"].setValue("[getenv SHOW_OCIO]")
    assert nuke_colour.session_colour(nuke).config == str(custom)
    env = {"OCIO": "ocio://studio-config-latest"}
    assert nuke_colour.session_colour(nuke, env).config == "ocio://studio-config-latest"
    nuke.root()["customOCIOConfigPath"].setValue(str(tmp_path / "gone.ocio"))
    assert nuke_colour.session_colour(nuke).config is None


def test_colour_plans() -> None:
    names = frozenset({"linear", "srgb", "cineon", "raw", "scene_linear", "data"})
    session = nuke_colour.SessionColour("OCIO", "/c.ocio", "linear", names)
    plan = nuke_colour.plan_colour(session, "default (Cineon)", prerender=False)
    assert (plan.ocio, plan.input_colorspace, plan.output_colorspace) == (
        "/c.ocio",
        "Cineon",
        "linear",
    )
    assert plan.read_colorspace == "linear" and plan.prerender_reason is None
    raw = nuke_colour.plan_colour(session, "sRGB", raw=True, prerender=False)
    assert (raw.input_colorspace, raw.output_colorspace, raw.read_raw) == ("data", "data", True)
    unknown = nuke_colour.plan_colour(session, "ARRI LogC4", prerender=False)
    assert unknown.prerender_reason and "ARRI LogC4" in unknown.prerender_reason
    assert unknown.prerender_colorspace == "linear" and unknown.input_colorspace == "linear"
    tree = nuke_colour.plan_colour(session, None, prerender=True)
    assert tree.prerender_reason is None and tree.prerender_colorspace == "linear"
    native = nuke_colour.SessionColour("Nuke", None, "linear")
    assert nuke_colour.plan_colour(native, "default (linear)", prerender=False).ocio is None
    assert nuke_colour.plan_colour(native, "Cineon", prerender=False).prerender_reason
    assert nuke_colour.read_colorspace_name("default (ACES - ACEScg)") == "ACES - ACEScg"


@pytest.mark.parametrize(
    "uri",
    [
        "ocio://cg-config-v2.2.0_aces-v1.3_ocio-v2.4",
        "ocio://studio-config-v2.2.0_aces-v1.3_ocio-v2.4",
    ],
)
def test_the_standard_library_reader_finds_every_name_of_a_real_config(
    tmp_path: Path, uri: str
) -> None:
    """The names Nuke's Read menu offers (a config's colourspaces, aliases and roles) are what
    the stale check and the colour plan look up without OCIO: compare with OCIO's own list."""
    config = ocio.Config.CreateFromFile(uri)
    path = tmp_path / "config.ocio"
    config.serialize(str(path))
    found = nuke_colour.read_config_names(str(path))
    assert found is not None
    expected = set()
    for space in config.getColorSpaces(ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ALL):
        expected.add(space.getName().lower())
        expected.update(alias.lower() for alias in space.getAliases())
    expected.update(role.lower() for role, _space in config.getRoles())
    assert expected <= found, sorted(expected - found)[:10]
