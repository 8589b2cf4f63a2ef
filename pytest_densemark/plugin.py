"""The pytest plugin: fixtures, markers and options (wired to the library, nothing more)."""
