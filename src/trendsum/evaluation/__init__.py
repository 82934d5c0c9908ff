"""`trendsum eval`: how well does an engine, model or prompt do against summaries people approved?

Each approved record of the queue, or each record of a gold file (JSON Lines in the export's format), has its
source summarised again by the candidate, in memory: nothing is written to the queue. The candidate's summary is
scored against the gold one by the sentences each cites, per section.

Where each thing lives:
  gold.py     the gold cases: from the queue or a gold file, with their source text; evidence as sentence ids
  scoring.py  the measures: evidence agreement, section accuracy, metadata agreement, grounding; thresholds
  run.py      summarising each gold case's source again with the candidate, timed and costed
"""

from __future__ import annotations

from .gold import GoldCase, from_file, from_queue
from .run import evaluate
from .scoring import METADATA, SECTION_NAMES, Report, Threshold, parse_threshold

__all__ = ["METADATA", "SECTION_NAMES", "GoldCase", "Report", "Threshold", "evaluate", "from_file", "from_queue",
           "parse_threshold"]  # fmt: skip
