"""`trendsum serve`: the review walk in a browser, for one researcher on a laptop or a team on a shared machine.

- `server`: who may use it (loopback, or reviewer accounts) and running it under uvicorn.
- `app`: the Starlette application: routes that turn a form into a `queue.walk.Action` and render the `Outcome`.
- `pages`: what each page shows, read from the queue (no HTML).
- `forms`: the edit form as the Markdown `queue.editing` reads, and back, so the edit rules stay in one place.
- `evidence`: where a point's evidence is in its source text (the one place that turns evidence into spans).
- `security`: sessions' CSRF tokens, the login rate limit and the headers every response carries.

The web stack is an extra (`pip install 'trendsum[web]'`): `missing()` says what is not installed, without
importing any of it, so the CLI can say exactly what to install.
"""

from __future__ import annotations

import importlib.util

# import name -> the package that provides it
REQUIRED = {"starlette": "starlette", "uvicorn": "uvicorn", "jinja2": "jinja2", "multipart": "python-multipart",
            "itsdangerous": "itsdangerous"}  # fmt: skip
INSTALL = "pip install 'trendsum[web]'"


def missing() -> list[str]:
    """The web stack's packages that are not installed."""
    return [package for module, package in REQUIRED.items() if importlib.util.find_spec(module) is None]
