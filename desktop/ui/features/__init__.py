"""Feature modules plugged into the main window; each defines ``install(window)``."""
