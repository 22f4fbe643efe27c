"""Reading voter files: detect how a file is read, then stream it as normalised chunks.

``detect`` looks at a file once (``detection``: its container, encoding, delimiter, quoting,
header and layout) and returns a ``Detection`` or raises ``FileRefused``. ``iter_chunks``
(``streaming``) then reads it as ``Chunk`` objects: records cut into chunks, parsed into text
columns (``tables``) and normalised into the voter record's frame, a long frame of phones and
the rows rejected (``normalising``, with the value rules in ``columns``). ``parallel`` reads
a large file in a second process; ``cache`` keeps a check's chunks for the import after it;
``mapping_warnings`` says which expected fields a file leaves unmapped or blank.

The row hash (``fieldcrm.imports.changes.row_hashes``) is a digest of a row's normalised
values for the columns the file carries, phones included, after a tag naming those columns;
never of the raw line: line endings, quoting and extra unmapped columns do not change it.
"""

from fieldcrm.imports.reading.core import (
    PHONE_COLUMNS,
    Chunk,
    Detection,
    FileRefused,
    RowError,
    pandas_type,
)
from fieldcrm.imports.reading.detection import TRAILING_COLUMN, detect
from fieldcrm.imports.reading.lines import LineSkip, line_keys
from fieldcrm.imports.reading.mapping_warnings import (
    describe_mapping_warning,
    filled_counts,
    mapping_warnings,
)
from fieldcrm.imports.reading.streaming import carried_for, iter_chunks

__all__ = [
    "PHONE_COLUMNS",
    "TRAILING_COLUMN",
    "Chunk",
    "Detection",
    "FileRefused",
    "LineSkip",
    "RowError",
    "carried_for",
    "describe_mapping_warning",
    "detect",
    "filled_counts",
    "iter_chunks",
    "line_keys",
    "mapping_warnings",
    "pandas_type",
]
