"""The Nuke adapter: the ``VTinkerRetime`` node (a Group driving the ``vtinker`` engine).

Modules: ``node`` (the group, its knobs, knobChanged), ``job`` (knobs → job JSON, pure),
``engine`` (the subprocess and its JSON-lines progress, no Nuke), ``render`` (input collection,
worker thread, ProgressTask, the result Read), ``config`` (the installed engine executable),
``_nuke`` (the only ``import nuke``). ``plugin/`` holds the startup files that
``vtinker-install nuke`` copies. Standard library and ``nuke`` only; Python 3.9+ (Nuke 14).
"""
