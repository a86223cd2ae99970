"""Where an expression is written: its text and line, in the model's raw SQL when found, else compiled.

sqlglot keeps token positions (line, start, end) on identifiers only. The text of an expression is taken as
the whole compiled lines its identifiers span (dbt models put one projection or condition per line), so it
reads as the author wrote it; `expression.sql()` is the fallback for nodes without positions (a `*` that
qualify expanded). The raw (Jinja) file is then searched for the first of those lines.
"""

from __future__ import annotations

from sqlglot import exp

MAX_LINES = 6


class Locator:
    def __init__(self, compiled: str, raw: str, dialect: str) -> None:
        self.lines = compiled.splitlines()
        self.dialect = dialect
        self._raw_index: dict[str, int] = {}
        for number, line in enumerate(raw.splitlines(), start=1):
            self._raw_index.setdefault(line.strip(), number)
        self._memo: dict[int, tuple[str, int | None, bool]] = {}

    def locate(self, node: exp.Expr | str) -> tuple[str, int | None, bool]:
        """(text, line, compiled): line is 1-based in the raw file, or in the compiled SQL if `compiled`.
        A string is a column that `select *` expanded to: it has no line of its own."""
        if isinstance(node, str):
            return node, None, True
        key = id(node)
        found = self._memo.get(key)
        if found is None:
            found = self._locate(node)
            self._memo[key] = found
        return found

    def _locate(self, node: exp.Expr) -> tuple[str, int | None, bool]:
        lines = [m["line"] for ident in node.find_all(exp.Identifier) if (m := ident._meta) and "line" in m]
        if not lines:
            return _cheap_sql(node) or node.sql(self.dialect), None, True
        first, last = min(lines), max(lines)
        if last - first >= MAX_LINES or first > len(self.lines):
            return node.sql(self.dialect), first, True
        text_lines = [self.lines[i - 1].strip() for i in range(first, min(last, len(self.lines)) + 1)]
        text = " ".join(t for t in text_lines if t and not t.startswith("--")).rstrip(",").strip()
        raw_line = self._raw_index.get(self.lines[first - 1].strip())
        if raw_line is not None:
            return text, raw_line, False
        return text, first, True


def _cheap_sql(node: exp.Expr) -> str:
    """Text of a column that qualify created when it expanded `*` (no positions): `t.c` or `t.c AS a`."""
    inner = node.this if isinstance(node, exp.Alias) else node
    if not isinstance(inner, exp.Column):
        return ""
    text = f"{inner.table}.{inner.name}" if inner.table else inner.name
    return text if node.alias_or_name == inner.name else f"{text} AS {node.alias_or_name}"
