"""The model's clock: one step is a week."""

WEEKS_PER_YEAR = 52
"""Weeks in a year: yearly amounts (€/citizen/year) are paid out weekly in 52 parts, and the
12-month retention compares a week with the same week a year earlier."""


def weekly(per_year: float, citizens: int) -> float:
    """Turn an amount per citizen per year into € per week for ``citizens``."""
    return per_year * citizens / WEEKS_PER_YEAR
