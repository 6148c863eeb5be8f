"""Postgres, the record of truth: the typed tables, and the only code that changes a
row's state.  Every transition of a campaign, chunk, recipient or account is a named
function here; the rest of the core decides, and calls these to apply."""
