"""The reporting room's public face: submissions (above) read figures through this module.

- `aggregates`: counts by borough or station; `quotes`: representative quotes; `findings`: discovery and campaigns;
- `exports`: what the response and aggregate exports hold; `writers`: CSV, JSON, NDJSON and XLSX writers.
"""

from consultation.reporting.service.aggregates import compute_aggregates, resolve_scope, response_filters
from consultation.reporting.service.exports import aggregate_rows, aggregates_export, response_export
from consultation.reporting.service.findings import discover, list_campaigns
from consultation.reporting.service.quotes import representative_quotes
from consultation.reporting.service.writers import (
    TableExport,
    csv_chunks,
    json_chunks,
    ndjson_chunks,
    neutralise,
    text_chunks,
    write_file,
    write_xlsx,
    xlsx_temporary_file,
)

__all__ = [
    "TableExport",
    "aggregate_rows",
    "aggregates_export",
    "compute_aggregates",
    "csv_chunks",
    "discover",
    "json_chunks",
    "list_campaigns",
    "ndjson_chunks",
    "neutralise",
    "representative_quotes",
    "resolve_scope",
    "response_export",
    "response_filters",
    "text_chunks",
    "write_file",
    "write_xlsx",
    "xlsx_temporary_file",
]
