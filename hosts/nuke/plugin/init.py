"""VTinker Retime, Nuke startup for every session (GUI, ``nuke -t``, farm): paths only.

``vtinker-install nuke`` copies this folder to ``~/.nuke/vtinker_retime/`` together with the
``vtinker_hosts`` package; Nuke runs this file when the folder is on its plugin path.
"""

import os
import sys
import traceback

try:
    import nuke

    _vtinker_dir = os.path.dirname(os.path.abspath(__file__))
    if _vtinker_dir not in sys.path:
        sys.path.insert(0, _vtinker_dir)  # the copied vtinker_hosts package lives here
    nuke.pluginAddPath(os.path.join(_vtinker_dir, "icons"))
    del _vtinker_dir
except Exception:  # a broken plug-in must not stop Nuke (or a farm render) from starting
    traceback.print_exc(file=sys.stderr)
