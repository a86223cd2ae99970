"""The registry of the tracer's rules, in the order the engine asks them (`headwater.trace.engine`).

Each rule is one mechanism in its own module: `rule(ctx, question) -> Finding | None`. None passes the
question to the next rule. To add a mechanism, write its module and put it in `RULES` where it belongs:
before the rules it must pre-empt, after those that must see the question first.
"""

from __future__ import annotations

from headwater.trace.finding import InputsUnchangedRule, Rule
from headwater.trace.rules.aggregate_inputs import aggregate_inputs
from headwater.trace.rules.changed_code import changed_code, unchanged_unknown
from headwater.trace.rules.default_value import default_value
from headwater.trace.rules.drift import drift
from headwater.trace.rules.expression import expression
from headwater.trace.rules.fan_out import fan_out
from headwater.trace.rules.feature_attribution import feature_attribution
from headwater.trace.rules.filled_column import filled_column
from headwater.trace.rules.filter import filter_
from headwater.trace.rules.instrumented import instrumented
from headwater.trace.rules.leaf import leaf
from headwater.trace.rules.literal_default import literal_default
from headwater.trace.rules.lookup_distribution import lookup_distribution
from headwater.trace.rules.missing_column import missing_column
from headwater.trace.rules.model_change import model_change
from headwater.trace.rules.same_as_before import same_as_before
from headwater.trace.rules.schema import schema
from headwater.trace.rules.schema_since import schema_since
from headwater.trace.rules.translate import translate
from headwater.trace.rules.translate_row import translate_row
from headwater.trace.rules.untraceable import untraceable

RULES: tuple[Rule, ...] = (
    untraceable,  # an expectation headwater cannot re-run: stop, name it
    same_as_before,  # failed the same way in the last good state: not what changed (history)
    schema_since,  # a source column retyped or gone since the last good state (history, --state)
    leaf,  # a source, seed or snapshot that fails: the data arrives bad
    schema,  # a column missing or retyped: where it went missing, or changed type
    missing_column,  # a check that cannot run for a missing column: ask the schema question
    filled_column,  # a column a macro fills with NULL because the source lost it
    feature_attribution,  # a prediction check on a python model: the features that explain it
    model_change,  # ... no feature does: another model version than the last good run's (or unknown)
    literal_default,  # failing values the column's own SQL writes (a COALESCE / CASE default)
    translate_row,  # a row check through one carried input: ask the parent directly
    instrumented,  # a row check: re-run the model's SQL and sort failing rows by who made them bad
    aggregate_inputs,  # a row check on an aggregate: the NULL inputs of the failing groups
    lookup_distribution,  # a distribution through a lookup join: NULL share or unknown
    translate,  # carry the check along passthrough/rename/cast edges to failing parents
    default_value,  # a most common value that is an expression's fallback for NULL inputs
    fan_out,  # a uniqueness failure made by a join that repeats keys
    filter_,  # rows or values dropped by a WHERE conjunct
    drift,  # the first distribution that moved
    expression,  # otherwise: the model's expression for the column
)

# Asked when every input of a node failed the same way in the last good state: what changed there?
WHEN_INPUTS_UNCHANGED: tuple[InputsUnchangedRule, ...] = (
    changed_code,  # its SQL for the column changed since: that part is the cause
    unchanged_unknown,  # nothing in the lineage changed: unknown, with the reason
)

__all__ = ["RULES", "WHEN_INPUTS_UNCHANGED"]
