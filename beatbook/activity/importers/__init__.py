"""Importers of the activity app: engagement activity from a spreadsheet (`activities`)."""
