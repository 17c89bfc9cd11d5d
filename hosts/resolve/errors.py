"""What can stop the Resolve action, each with a message an editor can act on.

Example::

    try:
        retime_current_clip(resolve, options)
    except ResolveActionError as err:
        show(str(err))          # one or two plain sentences, no traceback

Resolve's scripting calls mostly answer ``None``/``False`` instead of raising; the adapter turns
each such answer into one of these at the place it happens.
"""


class ResolveActionError(Exception):
    """Base class: the action stopped; ``str(err)`` is the message to show."""


class ScriptingUnavailableError(ResolveActionError):
    """No Resolve application object could be reached."""


class NoClipError(ResolveActionError):
    """No project, no timeline, or nothing under the playhead / selected."""


class NotFileBasedError(ResolveActionError):
    """The clip has no media file VTinker can read (generator, title, compound, offline...)."""


class RenderError(ResolveActionError):
    """The engine or the VTinker window failed, or left no usable result."""


class MediaPoolError(ResolveActionError):
    """The media pool refused a bin or the import of the result."""


class TimelineError(ResolveActionError):
    """The result could not be placed on the timeline or added as a take."""
