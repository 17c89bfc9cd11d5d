"""The preview window's file side: open dialogs, jobs, recent files, the output folder, drops.

Example::

    window.load_job_file("job.json")        # fills the panel (problems next to their fields)
    window.save_job_file("job.json")        # the panel's job, validated; False if it is not
    window.set_output_folder("/shows/x/retime")   # new sources render in there, remembered
    window.open_dialog()                    # File > Open…

:class:`FileActions` is the base of :class:`~vtinker_ui.preview_window.PreviewWindow`; it holds
what the File menu and drag and drop do, and leaves opening a source to the window.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from vtinker_core.errors import JobError
from vtinker_ui.output_folder import output_folder, suggest_output
from vtinker_ui.panel import SOURCE_FILTER, SettingsPanel
from vtinker_ui.prefs import Preferences


class FileActions(QMainWindow):
    """What File > … and dropping files do; the window provides the attributes below.

    Signals:
        bundleWritten(str): a farm bundle was written (its folder).
        bundleFailed(str): writing a farm bundle failed (the message shown).
    """

    bundleWritten = Signal(str)
    bundleFailed = Signal(str)

    panel: SettingsPanel
    prefs: Preferences
    recent_menu: QMenu
    _pair_paths: tuple[str, str] | None

    def open_paths(self, paths: Sequence[str | Path]) -> None:
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        raise NotImplementedError

    def output_folder_dialog(self) -> None:
        start = str(output_folder(self.prefs.output_folder()))
        folder = QFileDialog.getExistingDirectory(self, "Render new sources into", start)
        if folder:
            self.set_output_folder(folder)

    def set_output_folder(self, folder: str | Path) -> None:
        """Remember ``folder`` for renders, and render the open source into it."""
        self.prefs.set_output_folder(str(folder))
        source = self.panel.input_path.text()
        if source:
            self.panel.output_path.setText(suggest_output(source, Path(folder)))
        self.statusBar().showMessage(f"New sources render into {folder}", 8000)

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Open a sequence frame, a video, or two images", "", SOURCE_FILTER
        )
        if paths:
            self.open_paths(paths[:2])

    def open_pair_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open two images", "", SOURCE_FILTER)
        if len(paths) == 2:
            self.open_paths(paths)
        elif paths:
            self.show_error("choose exactly two images")

    def load_job_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a job", "", "Jobs (*.json)")
        if path:
            self.load_job_file(path)

    def save_job_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the job", "job.json", "Jobs (*.json)")
        if path:
            self.save_job_file(path)

    def load_job_file(self, path: str | Path) -> None:
        """Fill the panel from a job file (problems are shown next to their fields)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            self.show_error(f"cannot load the job '{path}': {err}")
            return
        if not isinstance(data, dict):
            self.show_error(f"'{path}' is not a job (a JSON object)")
            return
        self._pair_paths = None
        self.panel.load_job(data)
        self.statusBar().showMessage(f"Loaded {path}", 5000)

    def save_job_file(self, path: str | Path) -> bool:
        """Write the panel's job (validated) to ``path``."""
        try:
            from vtinker_core.job import RenderJob, write_job

            write_job(RenderJob.from_dict(self.panel.job_dict()), path)
        except (JobError, OSError) as err:
            self.show_error(f"cannot save the job: {err}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def farm_bundle_dialog(self) -> None:
        """Render > Write Farm Bundle…: ask for a folder (beside the output), then write."""
        output = self.panel.output_path.text()
        start = str(Path(output).parent / "farm") if output else ""
        folder = QFileDialog.getExistingDirectory(self, "Write the farm bundle into", start)
        if folder:
            self.write_farm_bundle(folder)

    def write_farm_bundle(self, folder: str | Path) -> threading.Thread | None:
        """Write the panel's job as an Open Job Description bundle into ``folder``, off the
        UI thread (the source is read for the plan); ``bundleWritten`` or ``bundleFailed``
        tells the outcome, and the status bar says how to run it.

        Returns:
            The worker thread, or None when the job is not valid (the error is shown).
        """
        from vtinker_core.errors import VTinkerError
        from vtinker_core.farm import write_bundle
        from vtinker_core.job import RenderJob

        if self._pair_paths is not None:
            self.show_error("a farm bundle renders a sequence or a video, not two images")
            return None
        try:
            job = RenderJob.from_dict(self.panel.job_dict())
        except JobError as err:
            self.show_error(f"cannot write a farm bundle: {err}")
            return None
        self.statusBar().showMessage(f"Writing the farm bundle into {folder} …")

        def work() -> None:
            try:
                bundle = write_bundle(job, Path(folder))
            except (VTinkerError, OSError) as err:
                self.bundleFailed.emit(f"cannot write the farm bundle: {err}")
                return
            self.bundleWritten.emit(str(bundle.template_path.parent))

        thread = threading.Thread(target=work, name="vtinker-farm-bundle", daemon=True)
        thread.start()
        return thread

    def _bundle_written(self, folder: str) -> None:
        self.statusBar().showMessage(
            f"Farm bundle written to {folder}: run it with openjd run "
            f"{Path(folder) / 'template.yaml'}, or submit the folder to your farm",
            20000,
        )

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        entries = self.prefs.recent_files()
        for entry in entries:
            label = "  +  ".join(Path(p).name for p in entry)
            action = self.recent_menu.addAction(label)
            action.setToolTip("\n".join(entry))
            action.triggered.connect(lambda _c=False, e=entry: self.open_paths(e))
        if not entries:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear", self._clear_recent)

    def _clear_recent(self) -> None:
        self.prefs.clear_recent()
        self._update_recent_menu()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths[:2])
            event.acceptProposedAction()


__all__ = ["FileActions"]
