"""The domain: what trendsum's data is, with no I/O and nothing of ours imported but `errors`.

`models` (case studies, summaries, records, provenance, statuses), `analysis` (cross-case analyses), `criteria`
(the selection criteria, pure functions), `grounding` (whether a quote is evidence from its source) and `labels`
(every heading and phrase of a report, per language).
"""
