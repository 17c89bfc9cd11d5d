"""VTinker Retime's Qt layer: the settings panel and the standalone preview window.

Example::

    from vtinker_ui.panel import SettingsPanel        # a reusable QWidget
    panel = SettingsPanel()
    panel.load_job({"input": {"path": "plate.####.exr"}, "timing": {"mode": "speed",
                    "speed": 0.5}, "output": {"path": "retime/plate.####.exr"}})
    panel.job_dict()                                  # the validated, versioned job JSON

    vtinker-preview plate.####.exr                    # the preview window (console script)

Modules a host may pull in (``panel`` and what it imports) import no torch, OpenImageIO or
OpenColorIO at import time (STYLE.md §1); the heavy core pieces load inside functions.
"""
