"""The decisions behind headwater's expectations, as plain functions over counts (no GX, no I/O).

The GX classes in `headwater.gx.expectations` only gather metrics (computed in the engine) and call these.
"""
