"""fieldcrm.lib.names: full names split into first, middle, last and suffix."""

from __future__ import annotations

import pytest

from fieldcrm.lib.names import NameParts, split_full_name


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("SMITH, JOHN A JR", ("JOHN", "A", "SMITH", "JR")),
        ("John Adam Smith III", ("John", "Adam", "Smith", "III")),
        ("Lee, Ann", ("Ann", None, "Lee", None)),
        ("Smith Jr., John", ("John", None, "Smith", "Jr.")),
        ("BROWN SR, JAMES", ("JAMES", None, "BROWN", "SR")),
        ("Bob E. Lee II", ("Bob", "E.", "Lee", "II")),
        ("John Smith IV", ("John", None, "Smith", "IV")),
        ("Maria de la Cruz", ("Maria", None, "de la Cruz", None)),
        ("Ludwig van Beethoven", ("Ludwig", None, "van Beethoven", None)),
        ("VAN DER BERG, PIETER", ("PIETER", None, "VAN DER BERG", None)),
        ("Mary Ann O'Brien-Lee", ("Mary", "Ann", "O'Brien-Lee", None)),
        ('MARIE "MARION" SMITH', ("MARIE", None, "SMITH", None)),
        ("Dr. Ann Lee", ("Ann", None, "Lee", None)),
        ("Judge Reinhold", ("Judge", None, "Reinhold", None)),
        ("Cher", ("Cher", None, None, None)),
        ("  ", (None, None, None, None)),
        (None, (None, None, None, None)),
    ],
)
def test_split_full_name__rules(text: str | None, parts: tuple) -> None:
    assert split_full_name(text) == NameParts(*parts)
