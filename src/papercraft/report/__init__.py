"""The static HTML report and the README's catalogue table.

``papercraft report`` calls :func:`build_report`; ``papercraft readme`` calls
:func:`papercraft.report.readme.update_readme`. Both read only the registry and result files
(standard library only, no template engine); the site needs no network to view.
"""

from papercraft.report.site import DEFAULT_RESULT_ROOTS, ReportError, build_report, headline_of

__all__ = ["DEFAULT_RESULT_ROOTS", "ReportError", "build_report", "headline_of"]
