"""Many rows in one statement on PostgreSQL: INSERT … SELECT FROM unnest(one array per column).

An executemany of a push's rows (its change-feed rows, its mutation log, a door-knock's
check-ins) costs per row twice: SQLAlchemy builds and processes each row's parameters, and
PostgreSQL plans and runs one INSERT per row. Sent as one array per column instead, the
rows cost one parameter set and one statement; JSON is serialised once per value here and
cast to jsonb by the database (measured in bench/checkin_surge.py). SQLite keeps the plain
executemany, which is cheap in process.

`insert_statement(table, columns)` is the INSERT to build on (add ON CONFLICT / RETURNING as
for any pg_insert); `parameters(table, columns, rows)` turns row dicts into its parameters.
`unnest_rows` and `selected` are the parts, for an INSERT that computes some values in SQL.

`list_param` and `in_list` are the read side: `column IN (a list)` that PostgreSQL gets as
one array, so a statement has one text, one prepared statement and one cached plan however
long the list (an expanding IN is a new statement, planned again, for every length).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert


def _is_json(type_: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(type_, sa.JSON)


def _param(name: str, prefix: str) -> str:
    return f"{prefix}{name}__rows"


def _types(table: sa.Table, columns: Sequence[str], extra: Mapping[str, sa.types.TypeEngine[Any]]) -> dict[str, Any]:
    return {**{name: table.c[name].type for name in columns}, **extra}


def unnest_rows(table: sa.Table, columns: Sequence[str],
                extra: Mapping[str, sa.types.TypeEngine[Any]] | None = None, *, prefix: str = "") -> Any:
    """FROM unnest(:<prefix>column__rows, …) AS <prefix>u(columns…, extra…): the rows, one
    array per column (JSON columns as text; `selected` casts them back)."""
    types = _types(table, columns, extra or {})
    arrays = [
        sa.bindparam(_param(name, prefix), type_=ARRAY(sa.Text() if _is_json(t) else t))
        for name, t in types.items()
    ]
    return sa.func.unnest(*arrays).table_valued(*types).render_derived(name=f"{prefix}u")


def selected(rows: Any, table: sa.Table, name: str) -> Any:
    """Column `name` of `unnest_rows`, as the table's column type."""
    return sa.cast(rows.c[name], JSONB) if _is_json(table.c[name].type) else rows.c[name]


def insert_statement(table: sa.Table, columns: Sequence[str]) -> Any:
    """INSERT INTO table (columns) SELECT … FROM unnest(:column__rows, …) — build it once."""
    rows = unnest_rows(table, columns)
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


def json_text(value: Any) -> str:
    """A JSON value as the text PostgreSQL casts to jsonb (None: a JSON null, as SQLAlchemy's
    JSON type stores it)."""
    return json.dumps(value, ensure_ascii=False)


def parameters(table: sa.Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
               extra: Sequence[str] = (), *, prefix: str = "") -> dict[str, list[Any]]:
    """One list per column (and per `extra` key of the rows), in row order; JSON values
    serialised as SQLAlchemy's JSON type does (None too: a JSON null, as an executemany
    stores it), each object once however many rows share it (a change-feed record's data
    goes to each of its audiences)."""
    out: dict[str, list[Any]] = {}
    for name in (*columns, *extra):
        values = [row[name] for row in rows]
        if name in table.c and _is_json(table.c[name].type):
            text: dict[int, str] = {}  # by id(): the rows keep every object alive meanwhile
            values = [text[id(v)] if id(v) in text else text.setdefault(id(v), json_text(v))
                      for v in values]
        out[_param(name, prefix)] = values
    return out
