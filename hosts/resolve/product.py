"""Which DaVinci Resolve runs the action: product (free or Studio) and version.

Example::

    product = read_product(resolve)
    product.label                     # "DaVinci Resolve Studio 20.3.2"
    product.studio, product.version   # True, (20, 3, 2)
    python_menu_note(product)         # None, or what a free 21.1+ user should do

``GetProductName()``, ``GetVersion()`` (``[major, minor, patch, build, suffix]``) and
``GetVersionString()`` are in the scripting README (copy: ynput/ayon-resolve
``client/ayon_resolve/RESOLVE_API_v20.3.2-build9.txt``); the product name is "DaVinci Resolve"
on the free edition and "DaVinci Resolve Studio" on Studio (samuelgursky/davinci-resolve-mcp
``docs/reference/api-limitations.md``, "Studio-gated calls on the free edition"). That Resolve
21.1's free edition lists no Python scripts in Workspace > Scripts (Lua ones still) is from
issue #19; docs/hosts.md has it on the list to check.
"""

from .app import call
from .frames import FrameConventions, version_tuple

#: The first version whose free edition no longer lists Python scripts (issue #19).
FREE_PYTHON_UNLISTED = (21, 1, 0)
LUA_LAUNCHER_NAME = "VTinker Retime (Lua)"


class ResolveProduct:
    """The running Resolve.

    Attributes:
        name: ``GetProductName()`` ("DaVinci Resolve" / "DaVinci Resolve Studio"), or "".
        version: ``(major, minor, patch)``, ``(0, 0, 0)`` when unknown.
        text: ``GetVersionString()``, or the version joined with dots.
    """

    def __init__(self, name="", version=(0, 0, 0), text=""):
        self.name = name
        self.version = tuple(version)
        self.text = text or ".".join(str(v) for v in self.version)

    @property
    def studio(self):
        """True for Resolve Studio; False for the free edition (or when it cannot be told)."""
        return "studio" in self.name.lower()

    @property
    def known(self):
        return self.version != (0, 0, 0)

    @property
    def label(self):
        return "{} {}".format(self.name or "DaVinci Resolve", self.text if self.known else "")

    @property
    def conventions(self):
        """The version's :class:`~vtinker_hosts.resolve.frames.FrameConventions`."""
        return FrameConventions(self.version if self.known else None)


def read_product(resolve):
    """The product and version of ``resolve`` (unknown parts stay empty)."""
    name = call(resolve, "GetProductName")
    version = call(resolve, "GetVersion")
    text = call(resolve, "GetVersionString")
    if isinstance(version, dict):  # the Lua-style table some bridges answer with
        version = [version[k] for k in sorted(version)]
    numbers = version_tuple(version if isinstance(version, (list, tuple)) else (text or ""))
    return ResolveProduct(
        str(name) if isinstance(name, str) else "",
        numbers,
        str(text) if isinstance(text, str) else "",
    )


def lists_python_scripts(product):
    """False where Workspace > Scripts shows no Python scripts (the free edition from 21.1)."""
    return product.studio or not product.known or product.version < FREE_PYTHON_UNLISTED


def python_menu_note(product):
    """What a user of a Resolve that lists no Python scripts should do, or None."""
    if lists_python_scripts(product):
        return None
    return (
        f"{product.label.strip()} (free edition) does not list Python scripts in Workspace > "
        "Scripts. Install the Lua entry, which starts this script: run 'vtinker-install "
        f"resolve --lua-launcher' and choose Workspace > Scripts > {LUA_LAUNCHER_NAME} "
        "(Resolve Studio lists the Python entry itself)."
    )
