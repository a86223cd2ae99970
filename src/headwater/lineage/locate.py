"""Where an expression is written: its text and line, in the model's raw SQL when found, else compiled.

sqlglot keeps token positions (line, start, end) on identifiers only. The text of an expression is taken as
the whole compiled lines its identifiers span (dbt models put one projection or condition per line; at most
MAX_LINES), so it reads as the author wrote it and costs no SQL generation; `expression.sql()` is the
fallback for the rare node without positions. The raw (Jinja) file is then searched for the first line:
Jinja rewrites `ref()`/`source()` but keeps the order of the lines around them, so the k-th compiled line
with a given text is the k-th raw line with that text (two CTEs that both `group by order_id`). A line no raw
line reads like is a macro expanded in place: a line diff pairs it with the macro call's line.
"""

from __future__ import annotations

from bisect import bisect_left

from sqlglot import exp

MAX_LINES = 6
MAX_CHARS = 240


class Locator:
    """`where=False`: for a run that reads no edge text (`--stats` with no cache to write): value edges get no
    text, row conditions their text alone (row edges are told apart by it, so the counts stay the same) and
    no line; the raw file is never searched."""

    def __init__(self, compiled: str, raw: str, dialect: str, where: bool = True) -> None:
        self.where = where
        self.text = compiled
        self.lines = compiled.splitlines()
        self.dialect = dialect
        self._raw_index: dict[str, list[int]] | None = None  # built on the first line looked up
        self._raw = raw
        self._aligned: dict[int, int] | None = None
        self._memo: dict[int, tuple[str, int | None, bool]] = {}
        self._compiled_index: dict[str, list[int]] | None = None

    def locate(self, node: exp.Expr | str, keyed: bool = False) -> tuple[str, int | None, bool]:
        """(text, line, compiled): line is 1-based in the raw file, or in the compiled SQL if `compiled`.
        A string is a column that `select *` expanded to: it has no line of its own. `keyed`: the caller
        tells edges apart by the text, so even a Locator without `where` must give it."""
        if not self.where and not keyed:
            return "", None, False
        if isinstance(node, str):
            return node, None, True
        key = id(node)
        found = self._memo.get(key)
        if found is None:
            found = self._locate(node)
            if not self.where:
                found = (found[0], None, False)  # the text that tells row edges apart, and nothing else
            self._memo[key] = found
        return found

    def _locate(self, node: exp.Expr) -> tuple[str, int | None, bool]:
        lines = _identifier_lines(node)
        if not lines:
            return _cheap_sql(node) or node.sql(self.dialect), None, True
        first, last = min(lines), max(lines)
        if first > len(self.lines):
            return node.sql(self.dialect), first, True
        if first > 1 and self.lines[first - 2].strip().lower() == "case":
            first -= 1  # a CASE whose WHEN starts on the next line
        end = min(last, first + MAX_LINES - 1, len(self.lines))
        text_lines = [self.lines[i - 1].strip() for i in range(first, end + 1)]
        text = " ".join(t for t in text_lines if t and not t.startswith("--")).rstrip(",").strip()
        if end < last:
            text += " ..."  # a long CASE: its first lines say what it is; the line number finds the rest
        if len(text) > MAX_CHARS:  # SQL written on one long line: the expression alone, generated
            text = node.sql(self.dialect)[:MAX_CHARS]
        if not self.where:
            return text, None, False
        raw_line = self._raw_line(first)
        if raw_line is not None:
            return text, raw_line, False
        return text, first, True

    def _raw_line(self, compiled_line: int) -> int | None:
        text = self.lines[compiled_line - 1].strip()
        if self._raw_index is None:
            self._raw_index = {}
            for number, line in enumerate(self._raw.splitlines(), start=1):
                self._raw_index.setdefault(line.strip(), []).append(number)
        candidates = self._raw_index.get(text)
        if not candidates:
            return self._macro_line(compiled_line)
        if len(candidates) == 1:
            return candidates[0]
        if self._compiled_index is None:  # built once, on the first text that the raw file repeats
            self._compiled_index = {}
            for number, line in enumerate(self.lines, start=1):
                self._compiled_index.setdefault(line.strip(), []).append(number)
        occurrence = bisect_left(self._compiled_index[text], compiled_line)  # earlier lines with this text
        return candidates[min(occurrence, len(candidates) - 1)]


    def _macro_line(self, compiled_line: int) -> int | None:
        """A compiled line no raw line reads like: a macro call expanded in place (`{{ try_cast_or_null(...) }}
        as amount`). A line diff of raw against compiled pairs the lines of a block that Jinja replaced line
        for line; any other block (a macro that writes several lines) has no raw line of its own."""
        if self._aligned is None:
            self._aligned = {}
            compiled = [line.strip() for line in self.lines]
            raw = [line.strip() for line in self._raw.splitlines()]
            from difflib import SequenceMatcher  # here: only models with macros expanded in place need it

            matcher = SequenceMatcher(None, raw, compiled, autojunk=False)
            for tag, raw_start, raw_end, start, end in matcher.get_opcodes():
                if tag == "replace" and raw_end - raw_start == end - start:
                    for offset in range(end - start):
                        self._aligned[start + offset + 1] = raw_start + offset + 1
        return self._aligned.get(compiled_line)


def _identifier_lines(node: exp.Expr) -> list[int]:
    """The lines of every identifier under `node`: `find_all(exp.Identifier)`, walked over `args` directly
    (3x faster; one call per edge expression makes it a visible share of a cold run)."""
    lines: list[int] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, exp.Identifier):
            meta = current._meta
            if meta and "line" in meta:
                lines.append(meta["line"])
            continue
        for value in current.args.values():
            if isinstance(value, exp.Expr):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, exp.Expr))
    return lines


def _cheap_sql(node: exp.Expr) -> str:
    """Text of nodes without positions, without the generator: a column that qualify made when it
    expanded `*` (`t.c`, `t.c AS a`) and `GROUP BY 1, 2`."""
    if isinstance(node, exp.Group) and all(isinstance(k, exp.Literal) for k in node.expressions):
        return "group by " + ", ".join(k.name for k in node.expressions)  # GROUP BY 1, 2
    inner = node.this if isinstance(node, exp.Alias) else node
    if not isinstance(inner, exp.Column):
        return ""
    text = f"{inner.table}.{inner.name}" if inner.table else inner.name
    return text if node.alias_or_name == inner.name else f"{text} AS {node.alias_or_name}"
