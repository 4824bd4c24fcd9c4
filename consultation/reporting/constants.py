"""Reporting's constants, shared by its schemas and its service (schemas never import services)."""

GROUP_BY = ("borough", "station")
CAMPAIGN_MODES = ("each", "once")
FORMATS = ("csv", "xlsx", "json", "ndjson")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
}
MAX_QUOTES = 50
