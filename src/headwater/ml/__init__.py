"""headwater.ml: the example's ML stage (train, register, serve) and the model metadata the tracer reads.

- `model.py`: the serving spec (features, which are required, the default prediction) as frozen dataclasses;
- `profile.py`: the per-feature training profile (the baseline) in the format of `headwater.semantics.drift`;
- `registry.py`: the local MLflow tracking store under the project (SQLite, no server);
- `serving.py`: scoring with the serving fallback, called by the dbt Python model;
- `fraud.py`: the example's fraud model (feature list, seeded label rule), trained by the example build.
"""
