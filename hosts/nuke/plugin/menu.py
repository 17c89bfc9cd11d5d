"""VTinker Retime, Nuke GUI startup: the Nodes toolbar entry ``Time/VTinker Retime``."""

import sys
import traceback

try:
    import nuke

    nuke.menu("Nodes").addCommand(
        "Time/VTinker Retime",
        "import vtinker_hosts.nuke.node; vtinker_hosts.nuke.node.create_node()",
        icon="VTinkerRetime.png",
    )
except Exception:  # Nuke still starts; the traceback says what is wrong
    traceback.print_exc(file=sys.stderr)
