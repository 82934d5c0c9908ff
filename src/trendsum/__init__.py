"""trendsum: public-sector case studies to reviewed, structured summaries.

The packages follow the data, and each imports only from the stages before it (tests/test_architecture.py
checks this on every run):

    errors      the exceptions every stage raises, with the exit code each means
    config      settings: flags, environment, trendsum.toml; plain values only
    domain      what a case study, a summary, a record and an analysis are; criteria, grounding, report labels
    ingest      files to case studies: finding them, decoding them, one reader per format
    prompts     the versioned prompt templates
    engines     case study + prompt -> answer text: the offline engine, OpenAI-compatible endpoints, a registry
    queue       the review queue: storage, migrations, ids, review rules, editing, the review walk
    pipeline    summarise: ask an engine, validate, ask again, ground, save to the queue
    analysis    cross-case analysis of approved records
    evaluation  `trendsum eval`: score an engine, model or prompt against approved records or a gold file
    reports     exports and the Word report, coverage, selection
    web         `trendsum serve`: the review walk in a browser, with each point's evidence highlighted in its source
    cli         the `trendsum` command and everything terminal: rendering, the interactive review
"""

__version__ = "0.1.0"
