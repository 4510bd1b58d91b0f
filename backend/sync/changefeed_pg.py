"""The change feed written on PostgreSQL: each record fanned out to its audiences, and the
tombstones for the audiences that lost sight of it, in the statement that allocates the
sequence numbers (see changefeed.py for why that is one statement).

The server sends each record once — its entity, version, data and the audiences that see it
now — and the database makes the rows: a DELETE for every audience that saw the entity (an
UPSERT row of the feed) and no longer does, then an UPSERT for every audience that does, in
record order, tombstones first, each part in audience order (code points: the column is
COLLATE "C", migration 0012); the same rows as changefeed.py plans in Python for SQLite.
Planned that way on PostgreSQL too, row by row, they were the largest part of the server's
CPU for a batched push after the check-ins themselves: a check-in makes two records of
about five audiences each (bench/checkin_surge.py, bench/checkin_compare.py).

Several records of one entity in one flush are merged into its last one, which also
tombstones the audiences only the earlier ones gave: every (entity, audience) ends with the
SQLite path's op and data. What may differ, all within the one commit: a tombstone carries
the last change's version, and an earlier change of the entity reports the last one's seq
(pullers drop an entity on any tombstone; the PWA does not read a result's changeSeq).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by
from sqlalchemy.dialects.postgresql import array_agg as pg_array_agg
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import bulk, feed
from backend.core.clock import utcnow
from backend.core.errors import TransientError
from backend.sync.models import SyncChange, SyncCounter, SyncMutation

_CHANGE: sa.Table = SyncChange.__table__  # type: ignore[attr-defined]
_MUTATION: sa.Table = SyncMutation.__table__  # type: ignore[attr-defined]
_COUNTER: sa.Table = SyncCounter.__table__  # type: ignore[attr-defined]
LOG_VALUES = tuple(c.name for c in _MUTATION.c if c.name != "change_seq")
REPLACED = ("change_seq", "op", "version", "data", "changed_at")  # on a row of the same key
_FEED_KEY = "sync_change_pkey"  # the primary key's constraint, named in a unique violation

LogRow = dict[str, Any]  # a sync_mutation row, without its change_seq


def _merged(records: Sequence[feed.ChangeRecord]) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The records to send (the last of each entity, with `gone`: the audiences its earlier
    records gave, to tombstone unless it keeps them), and id(record) → the ordinal, from 1,
    of the record sent for its entity."""
    last = {(record.entity_type, record.entity_id): index for index, record in enumerate(records)}
    sent: list[dict[str, Any]] = []
    ordinal_of: dict[tuple[str, str], int] = {}
    gone: dict[tuple[str, str], set[str]] = {}
    for index, record in enumerate(records):
        key = (record.entity_type, record.entity_id)
        if last[key] != index:  # superseded later in this flush
            gone.setdefault(key, set()).update(record.audiences)
            continue
        ordinal_of[key] = len(sent) + 1
        sent.append({
            "ordinal": len(sent) + 1, "entity_type": record.entity_type, "entity_id": record.entity_id,
            "op": record.op, "version": record.version, "data": record.data,
            "audiences": sorted(record.audiences), "gone": sorted(gone.pop(key, ())),
        })
    return sent, {id(r): ordinal_of[(r.entity_type, r.entity_id)] for r in records}


async def flush(session: AsyncSession, records: Sequence[feed.ChangeRecord],
                log: Sequence[tuple[LogRow, Sequence[feed.ChangeRecord]]]) -> set[str]:
    """Write the feed rows of `records` and the mutation log rows (each with the change seq of
    its action's last row); set each record's and each log row's change_seq. Returns the
    audiences that got a row."""
    sent, ordinal = _merged(records)
    log_rows = []
    for row, made in log:
        row["ordinals"] = sorted({ordinal[id(r)] for r in made if id(r) in ordinal})
        log_rows.append(row)
    params: dict[str, Any] = {"records": bulk.rows_text(sent), "changed_at": utcnow()}
    if log_rows:
        params |= bulk.parameters(LOG_VALUES, log_rows, extra=("ordinals",), prefix="m_")
    try:
        result = (await session.execute(_statement(bool(log_rows)), params)).all()
    except IntegrityError as exc:
        if _FEED_KEY not in str(exc.orig):
            raise
        # Another transaction made the first rows of the same entity meanwhile: both found it
        # new (see _statement). Nothing of this one is kept; sent again, it finds the rows.
        raise TransientError("Someone else changed the same thing at this moment; try again",
                             retry_after_ms=200) from exc
    assert result, "sync_counter row missing"
    first = int(result[0].first)
    last_offset = {row.ordinal: int(row.off) for row in result if row.ordinal is not None}
    for record in records:
        offset = last_offset.get(ordinal[id(record)])
        record.change_seq = None if offset is None else first + offset
    for row in log_rows:
        offsets = [last_offset[o] for o in row.pop("ordinals") if o in last_offset]
        row["change_seq"] = first + max(offsets) if offsets else None
    touched = {aud for item in sent for aud in item["audiences"]}
    touched.update(result[0].tombstoned or ())
    return touched


@functools.cache
def _statement(with_log: bool) -> Any:
    """WITH record (the records sent), planned (their rows: audience, op and offset from the
    first seq — tombstones from the stored UPSERT rows the record no longer has, and from its
    `gone`), counter (UPDATE sync_counter by the number of rows, RETURNING the first seq),
    INSERT the rows (ON CONFLICT the newer state of that entity for that audience), INSERT
    the mutation log (its change_seq: the last offset of its records) — SELECT the first seq,
    each record's last offset and the audiences tombstoned.

    The rows of an entity the feed holds no row of (`has_rows`: most records of a push, a
    new check-in report, a first status) are inserted without ON CONFLICT, whose check of
    the key before each insert and the extra WAL record after it were 6 % of PostgreSQL's
    time per batched check-in (bench/checkin_compare.py: 331 → 310 µs). Nearly always only
    the transaction that made the entity's own row makes its first feed rows; where two
    transactions both find an entity new (a person added to two households at once: both
    publish the person), the second one's insert meets the first one's committed rows and
    fails whole, as a TransientError: a push or a mutation is answered "try again" (503),
    with nothing of it stored (tests/sync/test_feed_rows.py)."""
    record = bulk.recordset("records", {
        "ordinal": sa.Integer(), "entity_type": sa.String(), "entity_id": sa.String(), "op": sa.String(),
        "version": sa.Integer(), "data": JSONB(), "audiences": ARRAY(sa.String()), "gone": ARRAY(sa.String()),
    }, name="r")
    r = sa.select(record).cte("record").prefix_with("MATERIALIZED")
    is_delete = r.c.op == "DELETE"
    stored = (
        sa.select(_CHANGE.c.audience.label("audience"), sa.literal("DELETE").label("op"), sa.literal(0).label("kind"))
        .where(_CHANGE.c.entity_type == r.c.entity_type, _CHANGE.c.entity_id == r.c.entity_id,
               _CHANGE.c.op == "UPSERT", sa.or_(is_delete, _CHANGE.c.audience != sa.all_(r.c.audiences)))
    )
    gone = sa.func.unnest(r.c.gone).table_valued("audience").render_derived(name="g")
    earlier = (
        sa.select(gone.c.audience, sa.literal("DELETE"), sa.literal(0))
        .where(sa.or_(is_delete, gone.c.audience != sa.all_(r.c.audiences)))
    )
    given = sa.func.unnest(r.c.audiences).table_valued("audience").render_derived(name="a")
    now = sa.select(given.c.audience, sa.case((is_delete, "DELETE"), else_="UPSERT"),
                    sa.case((is_delete, 0), else_=1))
    rows = sa.union(stored, earlier, now).lateral("x")  # UNION: a DELETE's audiences once
    planned = (
        sa.select(r.c.ordinal, rows.c.audience, rows.c.op,
                  (sa.func.row_number().over(order_by=(r.c.ordinal, rows.c.kind, rows.c.audience)) - 1).label("off"))
        .select_from(r.join(rows, sa.true()))
        .cte("planned").prefix_with("MATERIALIZED")
    )
    n = sa.select(sa.func.count()).select_from(planned).scalar_subquery()
    counter = (
        sa.update(_COUNTER).where(_COUNTER.c.id == 1).values(value=_COUNTER.c.value + n)
        .returning((_COUNTER.c.value - n + 1).label("first")).cte("counter")
    )
    null = sa.cast(sa.literal("null"), JSONB)
    has_rows = (
        sa.select(r.c.ordinal, sa.select(sa.literal(True)).where(
            _CHANGE.c.entity_type == r.c.entity_type, _CHANGE.c.entity_id == r.c.entity_id,
        ).limit(1).scalar_subquery().is_not(None).label("known"))
        .cte("has_rows").prefix_with("MATERIALIZED")
    )
    source = sa.select(
        r.c.entity_type, r.c.entity_id, planned.c.audience, planned.c.op, r.c.version,
        sa.case((planned.c.op == "UPSERT", sa.func.coalesce(r.c.data, null)), else_=null),
        sa.bindparam("changed_at", type_=_CHANGE.c.changed_at.type), counter.c.first + planned.c.off,
    ).select_from(planned.join(r, r.c.ordinal == planned.c.ordinal).join(counter, sa.true())
                  .join(has_rows, has_rows.c.ordinal == planned.c.ordinal))
    columns = ["entity_type", "entity_id", "audience", "op", "version", "data", "changed_at", "change_seq"]
    fresh = pg_insert(_CHANGE).from_select(columns, source.where(sa.not_(has_rows.c.known)))
    insert = pg_insert(_CHANGE).from_select(columns, source.where(has_rows.c.known))
    insert = insert.on_conflict_do_update(
        index_elements=["entity_type", "entity_id", "audience"],
        set_={name: insert.excluded[name] for name in REPLACED},
    )
    last = (
        sa.select(planned.c.ordinal, sa.func.max(planned.c.off).label("off"))
        .group_by(planned.c.ordinal).cte("last")
    )
    ctes = [fresh.cte("fresh_rows"), insert.cte("feed_rows")]
    if with_log:
        log = bulk.table_rows(_MUTATION, LOG_VALUES, {"ordinals": ARRAY(sa.Integer())}, prefix="m_")
        # Every record's last offset in one array, read by ordinal. Looked up in `last` for each
        # log row, it was a scan of all the push's records per action: 7 % of PostgreSQL's time
        # for pushes of 100 check-ins (perf, bench/checkin_compare.py).
        slot = (sa.func.generate_series(1, sa.select(sa.func.max(r.c.ordinal)).scalar_subquery())
                .table_valued("ordinal").render_derived(name="slot"))
        by_ordinal = (
            sa.select(pg_array_agg(aggregate_order_by(last.c.off, slot.c.ordinal)).label("offs"))
            .select_from(slot.outerjoin(last, last.c.ordinal == slot.c.ordinal))
            .cte("by_ordinal").prefix_with("MATERIALIZED")  # built once, not once per log row
        )
        its = sa.func.unnest(log.c.ordinals).table_valued("ordinal").render_derived(name="its")
        its_last = sa.select(sa.func.max(by_ordinal.c.offs[its.c.ordinal])).select_from(its).scalar_subquery()
        log_source = sa.select(
            *(bulk.selected(log, _MUTATION, name) for name in LOG_VALUES), counter.c.first + its_last
        ).select_from(log.join(counter, sa.true()).join(by_ordinal, sa.true()))
        ctes.append(pg_insert(_MUTATION).from_select([*LOG_VALUES, "change_seq"], log_source).cte("log_rows"))
    tombstoned = (
        sa.select(sa.func.array_agg(sa.distinct(planned.c.audience))).where(planned.c.op == "DELETE")
        .scalar_subquery()
    )
    return (
        sa.select(counter.c.first, last.c.ordinal, last.c.off, tombstoned.label("tombstoned"))
        .select_from(counter.outerjoin(last, sa.true()))
        .add_cte(*ctes)
    )
