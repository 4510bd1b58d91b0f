"""Many rows in one statement on PostgreSQL: INSERT … SELECT FROM jsonb_to_recordset(one JSON text).

An executemany of a push's rows (its change-feed rows, its mutation log, a door-knock's
check-ins) costs per row twice: SQLAlchemy builds and processes each row's parameters, and
PostgreSQL plans and runs one INSERT per row. Sent as one parameter instead, the rows cost
one parameter set and one statement. That parameter is the rows as one JSON document
(serialised by orjson, datetimes as ISO 8601), which PostgreSQL reads with
jsonb_to_recordset: an earlier version sent one array per column, and asyncpg's encoding of
those arrays, element by element, cost about 1 µs of the server's CPU per value — about a
tenth of a batched check-in's (bench/checkin_surge.py). SQLite keeps the plain executemany,
which is cheap in process.

`insert_statement(table, columns)` is the INSERT to build on (add ON CONFLICT / RETURNING as
for any pg_insert); `parameters(columns, rows)` turns row dicts into its parameter.
`recordset`, `table_rows` and `selected` are the parts, for an INSERT that computes some
values in SQL; `rows_text` serialises rows for a `recordset` of one's own.

`list_param` and `in_list` are the read side: `column IN (a list)` that PostgreSQL gets as
one array, so a statement has one text, one prepared statement and one cached plan however
long the list (an expanding IN is a new statement, planned again, for every length).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert


def _is_json(type_: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(type_, sa.JSON)


def _param(prefix: str) -> str:
    return f"{prefix}rows"


def recordset(param: str, columns: Mapping[str, sa.types.TypeEngine[Any]], *, name: str) -> Any:
    """FROM jsonb_to_recordset(:param) AS name(column type, …): the rows of a `rows_text`
    parameter (JSON columns as jsonb; keys a row lacks, and keys not listed, are NULL and
    ignored). Row order is the array's; put an ordinal in the rows where it matters.
    jsonb, not json: json_to_recordset parses the text, then each JSON column's value
    again into jsonb — twice the time for a push's change-feed records (3.6 against 6.8 ms
    for 200 records of about 1 kB)."""
    types = [sa.column(column, JSONB() if _is_json(type_) else type_) for column, type_ in columns.items()]
    document = sa.cast(sa.bindparam(param, type_=sa.Text()), JSONB)
    return sa.func.jsonb_to_recordset(document).table_valued(*types).render_derived(name=name, with_types=True)


def table_rows(table: sa.Table, columns: Sequence[str],
                extra: Mapping[str, sa.types.TypeEngine[Any]] | None = None, *, prefix: str = "") -> Any:
    """The rows of `parameters(…, prefix=prefix)` as <prefix>u(columns…, extra…), each
    column of the table's type (`selected` keeps a JSON null a JSON null)."""
    types = {**{column: table.c[column].type for column in columns}, **(extra or {})}
    return recordset(_param(prefix), types, name=f"{prefix}u")


def selected(rows: Any, table: sa.Table, name: str) -> Any:
    """Column `name` of `table_rows`. A JSON null arrives as SQL NULL from the recordset,
    and is stored as a JSON null again, as SQLAlchemy's JSON type and the executemany do."""
    if _is_json(table.c[name].type):
        return sa.func.coalesce(rows.c[name], sa.cast(sa.literal("null"), JSONB))
    return rows.c[name]


def insert_statement(table: sa.Table, columns: Sequence[str]) -> Any:
    """INSERT INTO table (columns) SELECT … FROM jsonb_to_recordset(:rows) — build it once."""
    rows = table_rows(table, columns)
    return pg_insert(table).from_select(list(columns), sa.select(*(selected(rows, table, c) for c in columns)))


def list_param(name: str, dialect: str, item: sa.types.TypeEngine[Any] | None = None) -> Any:
    """A parameter holding a list: one array on PostgreSQL, an expanding IN list elsewhere."""
    if dialect == "postgresql":
        return sa.bindparam(name, type_=ARRAY(item if item is not None else sa.String()))
    return sa.bindparam(name, expanding=True)


def in_list(column: Any, values: Any) -> Any:
    """`column` is one of `values` (a `list_param`): `= ANY(array)` or an IN list."""
    if isinstance(values.type, ARRAY):
        return column == sa.any_(values)
    return column.in_(values)


def rows_by_key(key: Any, values: Any, *columns: Any) -> Any:
    """SELECT `columns` of the rows whose unique `key` is one of `values` (a `list_param`).
    On PostgreSQL each value is looked up in the key's index (unnest, then a LATERAL lookup
    with LIMIT 1). As `key = ANY(array)` the planner, guessing ten values and going by
    statistics taken when the table was nearly empty, read the table whole instead: every
    stored mutation for each push, every stored report for a door-knock's ids
    (bench/checkin_surge.py)."""
    if not isinstance(values.type, ARRAY):
        return sa.select(*columns).where(in_list(key, values))
    asked = sa.func.unnest(values).table_valued("value").render_derived(name="asked")
    found = sa.select(*columns).where(key == asked.c.value).limit(1).lateral("found")
    return sa.select(*found.c).select_from(asked.join(found, sa.true()))


def rows_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows (dicts of column values) as the JSON text a `recordset` reads. Datetimes are
    written with their UTC offset; a naive one is taken as UTC (orjson's own encoding: a
    Python check of each value cost as much as the rest of the encoding)."""
    return orjson.dumps(rows, option=orjson.OPT_NAIVE_UTC).decode()


def parameters(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], extra: Sequence[str] = (),
               *, prefix: str = "") -> dict[str, str]:
    """The parameter of `insert_statement` / `table_rows`: the rows' `columns` (and `extra`
    keys), in row order."""
    names = (*columns, *extra)
    return {_param(prefix): rows_text([{name: row[name] for name in names} for row in rows])}
