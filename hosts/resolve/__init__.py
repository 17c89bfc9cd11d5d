"""DaVinci Resolve adapter: the Workspace > Scripts action "VTinker Retime".

Standard library only, Python 3.6 grammar: Resolve runs it on whatever Python it was given.
Modules: ``app`` (the application object, messages), ``clip`` (clip under the playhead → plain
dict), ``job`` (dict → render job and window hand-off), ``handoff`` (the VTinker window or the
engine as a separate process), ``importer`` (media pool bin, import, placement), ``action``
(the whole flow). ``VTinker Retime.py`` is the menu script the installer writes into Resolve.
"""
