"""Cross-case analysis: approved records of a trend and language in, one analysis out, reviewed like a record.

`run` asks an engine (or the offline rules in `offline`) and saves the result to the queue as an item of the
analysis kind."""
