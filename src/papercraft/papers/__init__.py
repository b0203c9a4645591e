"""One package per catalogue entry (``papercraft.papers.<id with _ for ->``).

Imports follow the citation graph: a later paper imports the earlier paper it builds on, never the
other way round.
"""
