"""DuckDB's dialect translated for PostgreSQL: sqlglot's translation (cached per statement
text), plus the rewrites below for what it leaves out or what PostgreSQL's planner handles badly.

sqlglot translates most of DuckDB's dialect (``QUALIFY``, ``median``, ``quantile_cont``,
``epoch``, ``date_diff``, list functions); the few functions PostgreSQL lacks are rewritten in
``_postgres_node``, with ``GROUP BY ALL`` and ``ORDER BY ALL`` (positions on PostgreSQL). Three
forms are rewritten so that PostgreSQL's planner can count their rows (a guess of one row turns
joins into quadratic nested loops): ``x IN (SELECT unnest(l))`` becomes ``x = ANY(l)``, a
``QUALIFY row_number() … = 1`` becomes ``DISTINCT ON``, and a CTE that only filters one table is
inlined (``NOT MATERIALIZED``). Text columns are created ``COLLATE "C"``, DuckDB's byte order.

Only ``store.sql`` imports this module, and only on a PostgreSQL connection: a DuckDB run never
loads sqlglot.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType


def _arg_extreme(node: exp.Expression, where: exp.Expression | None) -> exp.Expression:
    """``arg_min(x, n)`` → ``(array_agg(x ORDER BY n) [FILTER (WHERE …)])[1]`` (PostgreSQL has no
    arg_min/arg_max; rows whose ``x`` or ``n`` is NULL are skipped, as DuckDB does)."""
    value, key = node.this, node.expression
    order = exp.Ordered(this=key.copy(), desc=isinstance(node, exp.ArgMax), nulls_first=False)
    agg: exp.Expression = exp.ArrayAgg(this=exp.Order(this=value.copy(), expressions=[order]))
    cond: Any = exp.and_(*(exp.Not(this=exp.Is(this=e.copy(), expression=exp.Null())) for e in (key, value)))
    if where is not None:
        cond = exp.and_(where.this.copy(), cond)
    agg = exp.Filter(this=agg, expression=exp.Where(this=cond))
    return exp.Bracket(this=exp.Paren(this=agg), expressions=[exp.Literal.number(1)], offset=1)


def _group_by_all(select: exp.Select) -> exp.Select:
    """``GROUP BY ALL`` → ``GROUP BY`` the positions of the projections without an aggregate."""
    keys = [
        exp.Literal.number(i)
        for i, e in enumerate(select.expressions, start=1)
        if not e.find(exp.AggFunc) and not e.find(exp.Window)
    ]
    select.set("group", exp.Group(expressions=keys) if keys else None)
    return select


def _order_by_all(select: exp.Select) -> exp.Select:
    """``ORDER BY ALL [DESC]`` → ``ORDER BY`` every projection's position, left to right."""
    (ordered,) = select.args["order"].expressions
    keys = [
        exp.Ordered(
            this=exp.Literal.number(i), desc=ordered.args.get("desc"), nulls_first=ordered.args.get("nulls_first")
        )
        for i in range(1, len(select.expressions) + 1)
    ]
    select.set("order", exp.Order(expressions=keys))
    return select


def _orders_by_all(select: exp.Select) -> bool:
    keys = select.args["order"].expressions if select.args.get("order") and not select.is_star else []
    return len(keys) == 1 and isinstance(keys[0].this, exp.Var) and keys[0].this.name.upper() == "ALL"


def _is_text(t: exp.DataType) -> bool:
    if t.is_type(exp.DataType.Type.ARRAY):
        return bool(t.expressions) and _is_text(t.expressions[0])
    return t.is_type(*exp.DataType.TEXT_TYPES)


def _byte_order(column: exp.ColumnDef) -> exp.ColumnDef:
    """A text column (or text array) ``COLLATE "C"``: DuckDB compares and sorts text by its bytes,
    whatever the server's locale; a PostgreSQL database takes its default collation from the
    server (``en_US.UTF-8`` puts "src/ä" before "src/app" and "B" after "b"). With the columns in
    "C", every ORDER BY, min/max and comparison on stored text matches DuckDB's."""
    if not column.find(exp.CollateColumnConstraint):
        collate = exp.CollateColumnConstraint(this=exp.to_identifier("C", quoted=True))
        column.set("constraints", [exp.ColumnConstraint(kind=collate), *column.args.get("constraints", [])])
    return column


def _unnested_list(node: exp.In) -> exp.Expression | None:
    """The list ``l`` of ``x IN (SELECT unnest(l))``, else None."""
    query = node.args.get("query")
    select = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        return None
    if any(value for key, value in select.args.items() if key != "expressions"):
        return None
    only = select.expressions[0]
    return only.this if isinstance(only, exp.Explode) else None


def _first_of_each(select: exp.Select) -> exp.Select | None:
    """``QUALIFY row_number() OVER (PARTITION BY p ORDER BY o) = 1`` → ``DISTINCT ON (p) … ORDER BY
    p, o``, else None. The subquery filtering on row_number that sqlglot writes instead leaves
    PostgreSQL to guess that one row passes ``= 1`` (and plan nested loops over everything joined
    to it: 28 s instead of 0.3 s for the commits' first deployments); it counts DISTINCT ON's rows
    from the partition columns' statistics."""
    cond = select.args["qualify"].this
    window = cond.this if isinstance(cond, exp.EQ | exp.LTE) and cond.expression == exp.Literal.number(1) else None
    if not isinstance(window, exp.Window) or not isinstance(window.this, exp.RowNumber):
        return None
    parts, order = window.args.get("partition_by") or [], window.args.get("order")
    if not parts or any(select.args.get(k) for k in ("distinct", "order", "limit", "offset")):
        return None
    # ORDER BY and DISTINCT ON read a bare name as an output column first: none may shadow one
    aliases = {e.alias for e in select.expressions if isinstance(e, exp.Alias)}
    keys = [*parts, *(order.expressions if order else [])]
    if any(not c.table and c.name in aliases for k in keys for c in k.find_all(exp.Column)):
        return None
    select.set("qualify", None)
    select.set("distinct", exp.Distinct(on=exp.Tuple(expressions=[p.copy() for p in parts])))
    ordered = [exp.Ordered(this=p.copy(), nulls_first=False) for p in parts]
    select.set("order", exp.Order(expressions=ordered + [o.copy() for o in (order.expressions if order else [])]))
    return select


def _filter_of_one_table(cte: exp.CTE) -> bool:
    """A CTE that only filters one table (no join, grouping, window, subquery, order or limit)."""
    body = cte.this
    if not isinstance(body, exp.Select) or cte.args.get("materialized") is not None:
        return False
    source = body.args.get("from_")
    if source is None or not isinstance(source.this, exp.Table):
        return False
    if any(body.args.get(k) for k in ("joins", "group", "having", "qualify", "distinct", "order", "limit", "laterals")):
        return False
    return not any(body.find(t) for t in (exp.AggFunc, exp.Window, exp.Subquery, exp.Explode))


def _postgres_node(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ColumnDef) and isinstance(kind := node.args.get("kind"), exp.DataType) and _is_text(kind):
        return _byte_order(node)
    if isinstance(node, exp.CTE) and _filter_of_one_table(node):
        # Inlined where it is used (PostgreSQL materialises a CTE used twice, and knows nothing
        # of a materialised CTE's columns): the planner then counts its rows and keys from the
        # table's statistics instead of guessing.
        node.set("materialized", False)
        return node
    if isinstance(node, exp.Select) and node.args.get("qualify") and (first := _first_of_each(node)) is not None:
        return first
    if isinstance(node, exp.In) and (items := _unnested_list(node)) is not None:
        # ``x = ANY(list)``: an index scan on x (a semi-join against the unnested list is planned
        # with a guessed row count and cannot use x's index without a nested loop)
        return exp.EQ(this=node.this.copy(), expression=exp.Any(this=exp.Paren(this=items.copy())))
    if isinstance(node, exp.Select) and node.args.get("group") and node.args["group"].args.get("all"):
        node = _group_by_all(node)
    if isinstance(node, exp.Select) and _orders_by_all(node):
        return _order_by_all(node)
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArgMin | exp.ArgMax):
        return _arg_extreme(node.this, node.expression)
    if isinstance(node, exp.ArgMin | exp.ArgMax) and not isinstance(node.parent, exp.Filter):
        return _arg_extreme(node, None)
    if isinstance(node, exp.Subquery) and not node.alias and isinstance(node.parent, exp.From | exp.Join):
        node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_sub{id(node) % 1_000_000}")))
        return node
    if isinstance(node, exp.Length) and isinstance(node.this, exp.Cast) and node.this.to.is_type("array"):
        return exp.Anonymous(this="CARDINALITY", expressions=[node.this.copy()])
    if isinstance(node, exp.Explode) and isinstance(node.this, exp.GenerateSeries):
        return node.this.copy()  # a set-returning function already
    if isinstance(node, exp.Contains):  # text contains text
        strpos = exp.Anonymous(this="STRPOS", expressions=[node.this.copy(), node.expression.copy()])
        return exp.Paren(this=exp.GT(this=strpos, expression=exp.Literal.number(0)))
    if isinstance(node, exp.ToDays):
        day = exp.Interval(this=exp.Literal.string("1"), unit=exp.var("DAY"))
        return exp.Paren(this=exp.Mul(this=exp.Paren(this=node.this.copy()), expression=day))
    if isinstance(node, exp.Mod):  # psycopg reads % as a placeholder
        return exp.Anonymous(this="MOD", expressions=[node.this.copy(), node.expression.copy()])
    return node


def _postgres_tree(tree: Any) -> exp.Expression:
    return tree.transform(_postgres_node)


def _escape_percent(sql: str) -> str:
    """Every ``%`` that is not a psycopg placeholder doubled (in literals, identifiers, formats).

    Done on the generated text, not the tree: sqlglot rewrites some literals while generating
    (``strftime(t, '%d')`` becomes ``TO_CHAR(t, 'DD')``), and a ``%`` doubled before that is
    mistranslated. The modulo operator is ``MOD()`` by then, so a ``%`` token is a placeholder."""
    if "%" not in sql:
        return sql
    placeholders = {t.start for t in sqlglot.tokenize(sql, read="postgres") if t.token_type is TokenType.MOD}
    return "".join("%%" if c == "%" and i not in placeholders else c for i, c in enumerate(sql))


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """DuckDB statement(s) as PostgreSQL runs them (``;\n`` between statements)."""
    trees = sqlglot.parse(sql, read="duckdb")
    return ";\n".join(_escape_percent(_postgres_tree(t).sql(dialect="postgres")) for t in trees if t is not None)
