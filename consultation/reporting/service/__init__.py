"""The reporting room's public face: submissions (above) read figures through this module.

- `aggregates`: counts by borough or station; `quotes`: representative quotes; `findings`: discovery and campaigns;
- `overview` and `explorer`: the staff console's figures and its filtered, paged view of the responses;
- `exports`: what the response and aggregate exports hold; `writers`: CSV, JSON, NDJSON and XLSX writers.
"""

from consultation.reporting.service.aggregates import compute_aggregates, resolve_scope, response_filters
from consultation.reporting.service.explorer import PAGE_SIZE, ResponseFilters, explore, filter_clauses
from consultation.reporting.service.exports import aggregate_rows, aggregates_export, response_export
from consultation.reporting.service.findings import discover, list_campaigns
from consultation.reporting.service.overview import consultation_summaries, late_register, responses_per_day
from consultation.reporting.service.quotes import representative_quotes
from consultation.reporting.service.response_view import get_response, personal_details, response_view
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
    "get_response",
    "personal_details",
    "response_view",
    "PAGE_SIZE",
    "ResponseFilters",
    "consultation_summaries",
    "explore",
    "filter_clauses",
    "late_register",
    "responses_per_day",
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
