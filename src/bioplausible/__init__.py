"""Replication workflow for five papers on biologically plausible learning.

Sub-packages: ``data`` (datasets, checksums, fixtures), ``amit`` (and one per paper: rules, models),
``claims`` (registry and scoreboard), ``provenance``, ``plotting``; ``paths`` names every generated file.
"""

__version__ = "0.1.0"
