"""The Nuke adapter: the ``VTinkerRetime`` node (a Group driving the ``vtinker`` engine).

Modules: ``layout`` (the knobs and internal node names), ``node`` (the group, its callbacks,
the upgrade of older layouts), ``settings`` (knobs → plain values), ``job`` (those values → job
JSON, pure), ``colour`` (the session's OCIO config and names), ``source`` (the upstream Read or a
prerender), ``state`` (pass-through, stale, what a render redoes), ``render`` (the worker
thread, ProgressTask, the Result Read), ``farm`` (the Write Farm Bundle button), ``config`` (the
installed engine executable), ``_nuke`` (the only ``import nuke``). ``plugin/`` holds the startup
files that ``vtinker-install nuke`` copies. Standard library and ``nuke`` only; Python 3.9+
(Nuke 14). The host facts these follow, with their sources: ``docs/hosts.md``.
"""
