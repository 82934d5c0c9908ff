"""Summarising: case studies in, pending records in the queue out.

`summarise` runs the whole thing (ids, cache, concurrency, budget, one commit per case); `structured` is the
ask / validate / re-ask loop, shared with the cross-case analysis; `chunking` splits a case too long for the
model's context and merges the parts' summaries. Grounding (is each quote in the source?) is in the domain,
because review and the offline engine check it too."""
