"""Build support for the frozen (PyInstaller) app: entry scripts, icon, build helper.

Not part of the application and not bundled. ``build.spec`` at the top level is
the PyInstaller spec; ``scripts/build`` runs it.
"""
