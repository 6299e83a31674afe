"""The error every stage raises for a problem the user can fix."""


class ReportError(Exception):
    """Printed as `quant-report: error: <message>`; the tool exits with 1."""
