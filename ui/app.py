"""``vtinker-preview``: the standalone preview window.

Examples::

    vtinker-preview                                  # empty window, last settings restored
    vtinker-preview plates/shot.####.exr             # a sequence (or one frame of it)
    vtinker-preview clip.mov                         # a video
    vtinker-preview a.exr b.exr                      # two images: a t slider
    vtinker-preview --job job.json                   # the panel filled from a job file
    vtinker-preview --resolve-job handoff.json       # from the Resolve action (see handoff.py)
    vtinker-preview --check                          # can the window open here? (see check.py)

Exit status: 0 when the window closes, 2 when the arguments or a file given are wrong, or
when the window cannot open here (one line per problem on stderr, as ``--check`` says);
``--check`` exits 0 when the window can open, else 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from vtinker_core.progress import EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vtinker-preview",
        description="VTinker Retime preview: scrub a retime, inspect it, render it.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a sequence pattern or frame, a video, or two images",
    )
    parser.add_argument("--job", default=None, help="fill the settings from this job file")
    parser.add_argument(
        "--resolve-job",
        default=None,
        metavar="HANDOFF",
        help="a hand-off file written by the Resolve action",
    )
    parser.add_argument(
        "--frame", type=int, default=None, help="output frame to show first (sequences, video)"
    )
    parser.add_argument("--t", type=float, default=None, help="t to show first (image pairs)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="say whether the window can open here (PySide6, display, Qt's system libraries)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the window; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.check:
        from vtinker_ui.check import run_check

        return run_check()
    if len(args.paths) > 2:
        print("vtinker-preview: error: give one sequence or video, or two images", file=sys.stderr)
        return EXIT_ERROR
    if args.job and args.resolve_job:
        print("vtinker-preview: error: --job and --resolve-job exclude each other", file=sys.stderr)
        return EXIT_ERROR

    from vtinker_ui.handoff import HandoffError, read_handoff

    handoff = None
    if args.resolve_job:
        try:
            handoff = read_handoff(args.resolve_job)
        except HandoffError as err:
            print(f"vtinker-preview: error: {err}", file=sys.stderr)
            return EXIT_ERROR

    from vtinker_ui.check import find_problems

    problems, _summary = find_problems(start_qt=False)  # instead of Qt's abort
    for problem in problems:
        print(f"vtinker-preview: error: {problem}", file=sys.stderr)
    if problems:
        return EXIT_ERROR

    from PySide6.QtWidgets import QApplication

    from vtinker_ui.prefs import APPLICATION, ORGANIZATION
    from vtinker_ui.preview_window import PreviewWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    window = PreviewWindow(handoff=handoff, restore_last=not (args.job or handoff))
    if args.job:
        window.load_job_file(args.job)
    if args.paths:
        window.open_paths(args.paths)
    elif window.panel.input_path.text():
        window.refresh()
    if args.frame is not None:
        window.sourceOpened.connect(lambda _info: window.set_frame(args.frame))
    if args.t is not None:
        window.sourceOpened.connect(lambda _info: window.set_t(args.t))
    screen = QApplication.primaryScreen()
    if window.prefs.geometry() is None and screen is not None:
        # The first run fills the screen: a tool kept open all day, not a dialog.
        window.setGeometry(screen.availableGeometry())
        window.showMaximized()
    else:
        window.show()
    return int(app.exec())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
