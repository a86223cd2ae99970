"""Feeds: what headwater tells the tools a data platform already runs.

- `openlineage`: run events with `columnLineage` and `dataQualityAssertions` facets (openlineage-python);
- `logs`, `metrics`, `spans`: headwater's own stages as JSON log lines, Prometheus textfile metrics and
  OpenTelemetry spans, all three fed by the same stdlib log records (`extra={"event": ...}`) that the stages
  emit on the `headwater.*` loggers (`sinks.install` attaches them);
- `notify`: the incident summary posted to a webhook (Slack-compatible).

Every module imports its library inside the function that needs it, so `headwater --help` stays fast.
"""
