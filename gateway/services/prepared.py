"""Hot statements of a fixed shape: built by Tortoise once, then run again with new values.

    LOCKED_USER = prepared_select(
        lambda account, key: User.filter(account_id=account, name_lower=key).select_for_update()
    )
    rows = await LOCKED_USER.fetch(account_id, "alice", using=tx.connection)

Tortoise builds the SQL of every query anew: pypika's query objects are copied at each step
and rendered column by column, which for a one-row look-up costs more CPU than the database
spends answering it, and a write makes several. A prepared statement is the query Tortoise
itself would run: its builder is called once per kind of database with placeholder strings,
Tortoise renders the SQL and its parameter list, and each run puts the caller's values where
the placeholders were and hands that SQL to the same connection (Tortoise's executor turns the
rows into models, `select_related` included). The statements stay Tortoise's, so they are
the right SQL on SQLite and on PostgreSQL, inside or outside a transaction.

Only strings can be placeholders, and each must reach the parameter list as itself, exactly
once; a builder whose placeholders Tortoise transforms or repeats is refused when it is first
run (ValueError), not misused. The values themselves are not put through Tortoise's field
validators (a name longer than its column, say, finds nothing instead of raising): callers
pass values they have checked, as the services do before any look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.queryset import QuerySet, UpdateQuery
from tortoise.router import router

M = TypeVar("M", bound=Model)

_SLOT = "\u27e8{}\u27e9"  # short: Tortoise checks the placeholders against the columns' lengths


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One statement's SQL for one kind of database, and where the caller's values go."""

    sql: str
    values: tuple[Any, ...]  # the parameters, placeholders included
    slots: tuple[tuple[int, int], ...]  # (position in `values`, index of the caller's value)
    model: Any  # a SELECT's model
    select_related: Any  # Tortoise's row layout of a SELECT (its `_select_related_idx`)

    def bind(self, arguments: Sequence[str]) -> list[Any]:
        """The parameter list with the caller's values in place of the placeholders."""
        values = list(self.values)
        for position, index in self.slots:
            values[position] = arguments[index]
        return values


def _compile(
    sql: str, values: Sequence[Any], arity: int, model: Any = None, select_related: Any = None
) -> _Compiled:
    slots = []
    for index in range(arity):
        positions = [i for i, value in enumerate(values) if value == _SLOT.format(index)]
        if len(positions) != 1:
            raise ValueError(
                f"A prepared statement's parameter {index} reached Tortoise's parameters "
                f"{len(positions)} times; it must reach them exactly once, unchanged: {sql}"
            )
        slots.append((positions[0], index))
    return _Compiled(sql, tuple(values), tuple(slots), model, select_related)


def _placeholders(arity: int) -> list[str]:
    return [_SLOT.format(index) for index in range(arity)]


class _Prepared:
    """What both kinds of statement share: the builder, and its SQL per kind of database."""

    def __init__(self, build: Callable[..., Any], arity: int) -> None:
        self._build = build
        self._arity = arity
        self._compiled: dict[type[Any], _Compiled] = {}
        # Known once Tortoise is set up (a module makes its statements on import, before).
        self._model: type[Model] | None = None
        self._for_write = False

    def _check(self, arguments: Sequence[str]) -> None:
        if len(arguments) != self._arity:
            raise TypeError(f"this statement takes {self._arity} values, not {len(arguments)}")

    def _connection(self) -> BaseDBAsyncClient:
        """The connection Tortoise would run the statement on, given none."""
        model = self._model
        if model is None:
            template = self._build(*_placeholders(self._arity))
            model = self._model = template.model
            self._for_write = not isinstance(template, QuerySet) or template._select_for_update
        chosen = router.db_for_write(model) if self._for_write else router.db_for_read(model)
        return chosen or model._meta.db


class PreparedSelect(_Prepared, Generic[M]):
    """A SELECT of one shape (see the module docstring); `prepared_select` makes one."""

    async def fetch(self, *arguments: str, using: BaseDBAsyncClient | None = None) -> list[M]:
        """The rows the builder's query would return for these values, as models, read
        through `using` (else the connection Tortoise would choose)."""
        self._check(arguments)
        connection = using if using is not None else self._connection()
        compiled = self._compiled.get(connection.query_class)
        if compiled is None:
            compiled = self._compiled[connection.query_class] = self._prepare(connection)
        executor = connection.executor_class(
            model=compiled.model, db=connection, select_related_idx=compiled.select_related
        )
        rows: list[M] = await executor.execute_select(compiled.sql, compiled.bind(arguments))
        return rows

    async def first(self, *arguments: str, using: BaseDBAsyncClient | None = None) -> M | None:
        """The first row `fetch` finds, or None (the builder's query sets the order and the
        limit)."""
        rows = await self.fetch(*arguments, using=using)
        return rows[0] if rows else None

    def _prepare(self, connection: BaseDBAsyncClient) -> _Compiled:
        query: QuerySet[M] = self._build(*_placeholders(self._arity))
        if query._annotations or query._prefetch_map or query._single:
            raise ValueError("prepared SELECTs are plain: no annotations, prefetches, or get()")
        query._db = connection
        query._make_query()
        sql, values = query.query.get_parameterized_sql()
        return _compile(sql, values, self._arity, query.model, query._select_related_idx)


class PreparedUpdate(_Prepared):
    """An UPDATE of one shape (see the module docstring); `prepared_update` makes one."""

    async def run(self, *arguments: str, using: BaseDBAsyncClient | None = None) -> int:
        """Run the builder's UPDATE for these values in `using` (else on the connection
        Tortoise would choose); the number of rows it changed."""
        self._check(arguments)
        connection = using if using is not None else self._connection()
        compiled = self._compiled.get(connection.query_class)
        if compiled is None:
            compiled = self._compiled[connection.query_class] = self._prepare(connection)
        changed, _ = await connection.execute_query(compiled.sql, compiled.bind(arguments))
        return int(changed)

    def _prepare(self, connection: BaseDBAsyncClient) -> _Compiled:
        query: UpdateQuery = self._build(*_placeholders(self._arity))
        query._db = connection
        query._make_query()
        sql, values = query.query.get_parameterized_sql()
        return _compile(sql, values, self._arity)


def prepared_select(build: Callable[..., QuerySet[M]], arity: int = 0) -> PreparedSelect[M]:
    """A SELECT built by `build(*placeholders)` (a QuerySet whose string filter values are
    the `arity` placeholders), whose SQL is made once per kind of database."""
    return PreparedSelect(build, arity or _arity_of(build))


def prepared_update(build: Callable[..., UpdateQuery], arity: int = 0) -> PreparedUpdate:
    """An UPDATE built by `build(*placeholders)` (a queryset's `.update(...)`, not awaited),
    whose SQL is made once per kind of database."""
    return PreparedUpdate(build, arity or _arity_of(build))


def _arity_of(build: Callable[..., Any]) -> int:
    code = getattr(build, "__code__", None)
    if code is None:
        raise TypeError("give the number of parameters of a builder that is not a function")
    return int(code.co_argcount)
