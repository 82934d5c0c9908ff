"""trendsum: public-sector case studies to reviewed, structured summaries."""

__version__ = "0.1.0"
