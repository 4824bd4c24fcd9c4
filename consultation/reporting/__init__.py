"""Reporting: what the figures say. Aggregates, representative quotes, discovery and campaigns, and exports,
read from intake's responses and the analysis results (through `consultation.analysis.service`)."""
