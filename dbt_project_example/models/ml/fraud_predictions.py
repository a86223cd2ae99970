"""Score every payment of the feature mart with the registered fraud model (dbt-duckdb runs this in process).

The model version comes from the local MLflow store (config `tracking_uri`, set in dbt_project.yml from
HEADWATER_MLFLOW_TRACKING_URI); a required feature that is NULL or missing gives the default prediction.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from headwater.ml import registry
    from headwater.ml.serving import score_frame

    uri = dbt.config.get("tracking_uri")
    name = dbt.config.get("model_name")
    version = registry.latest_version(uri, name)
    spec = registry.serving_spec(version)
    features = dbt.ref("mart_fraud_features").df()
    model = registry.load_model(uri, version)
    return score_frame(features, model, spec, key="payment_id", version=str(version.version))
