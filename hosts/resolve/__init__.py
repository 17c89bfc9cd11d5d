"""DaVinci Resolve adapter: the Workspace > Scripts action "VTinker Retime".

Standard library only, Python 3.6 grammar: Resolve runs it on whatever Python it was given.
Modules: ``app`` (the application object, messages), ``product`` (free or Studio, the
version), ``frames`` (what the version's frame numbers mean), ``clip`` (clip under the playhead
→ plain dict), ``job`` (dict → render job and window hand-off), ``handoff`` (the VTinker window
or the engine as a separate process), ``importer`` (media pool bin, import, placement),
``bring`` (a finished render into Resolve), ``farm`` (render on the farm, import later),
``action`` (the whole flow). ``VTinker Retime.py`` is the menu script the installer writes into
Resolve (readable by Python 2.7, which it refuses); ``VTinker Retime (Lua).lua`` the Lua entry
for Resolve versions that list no Python scripts. Host facts and sources: ``docs/hosts.md``.
"""
