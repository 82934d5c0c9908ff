"""What leaves trendsum: exports of approved records (`export`: JSON Lines, JSON, CSV, Markdown), the Word
report (`docx`), the command-level report assembly (`report`), which records a report takes (`selection`) and
how well the approved cases cover the research's themes (`coverage`)."""
