{#- A cast that yields NULL instead of failing (bad text, or a value too large for the type), on every
    engine: DuckDB and Spark have TRY_CAST; PostgreSQL gets a regex and range guard around a plain CAST.
    `type` is a decimal(p, s) or any type name. -#}
{% macro try_cast_or_null(expression, type) -%}
    {{ return(adapter.dispatch('try_cast_or_null')(expression, type)) }}
{%- endmacro %}

{% macro default__try_cast_or_null(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro postgres__try_cast_or_null(expression, type) -%}
    {%- set parts = modules.re.match('\s*(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$', type | lower) -%}
    {%- if parts -%}
        {%- set digits = parts.group(1) | int - parts.group(2) | int -%}
        cast(case when trim(cast({{ expression }} as text)) ~ '^[+-]?[0-9]+(\.[0-9]+)?$' and abs(round(cast(trim(cast({{ expression }} as text)) as numeric), {{ parts.group(2) }})) < {{ 10 ** digits }} then trim(cast({{ expression }} as text)) end as {{ type }})
    {%- else -%}
        cast({{ expression }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
