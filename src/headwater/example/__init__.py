"""The example e-commerce / payments warehouse: data generator, dbt build helper and fault injection.

Used by the demo, the tests and the benchmarks; nothing here is needed to run headwater on your own project.
"""
