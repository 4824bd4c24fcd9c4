"""The only way WeasyPrint may load anything while rendering a submission: rendering never reaches outside.

Every resource the template needs is addressed with the private `project:` scheme and served from memory or
from the project's own files: the stylesheet, the bundled fonts, the letterhead (bytes from the database) and
the charts (SVG drawn for this render). Anything else, whether `file://`, `http(s)://`, `data:` or a relative
path, is refused and written down in `refused`, so tests can assert that nothing outside was fetched.
"""

from pathlib import Path

import font_source_sans_pro
from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "project:"
STYLESHEET_DIRECTORY = Path(__file__).resolve().parent / "static"
FONT_DIRECTORY = Path(font_source_sans_pro.__file__).resolve().parent / "files"
FONT_FILES = {
    "fonts/regular.ttf": "SourceSansPro-Regular.ttf",
    "fonts/bold.ttf": "SourceSansPro-Bold.ttf",
    "fonts/italic.ttf": "SourceSansPro-It.ttf",
    "fonts/semibold.ttf": "SourceSansPro-Semibold.ttf",
}
STYLESHEETS = {"style/submission.css": "submission.css"}


class FetchRefused(ValueError):
    """WeasyPrint catches this, logs it and renders without the resource."""


class ProjectURLFetcher(URLFetcher):
    """Serves `project:` URLs from `resources` (name -> (bytes, media type)) and the project's own files."""

    def __init__(self, resources: dict[str, tuple[bytes, str]] | None = None):
        # fetch() below never reaches the parent's handlers; the parent only keeps its options (fail softly).
        super().__init__(timeout=1, allowed_protocols=("project",), allow_redirects=False, fail_on_errors=False)
        self.resources = dict(resources or {})
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not isinstance(url, str) or not url.startswith(SCHEME):
            self.refused.append(str(url)[:200])
            raise FetchRefused(f"Refused to fetch {str(url)[:80]!r}: only the project's own assets are served.")
        name = url[len(SCHEME) :].lstrip("/")
        body = self._lookup(name)
        if body is None:
            self.refused.append(url[:200])
            raise FetchRefused(f"No project asset named {name[:80]!r}.")
        self.served.append(url)
        content, media_type = body
        return URLFetcherResponse(url, content, headers={"Content-Type": media_type})

    def _lookup(self, name: str) -> tuple[bytes, str] | None:
        if name in self.resources:
            return self.resources[name]
        if name in FONT_FILES:
            return (FONT_DIRECTORY / FONT_FILES[name]).read_bytes(), "font/ttf"
        if name in STYLESHEETS:
            return (STYLESHEET_DIRECTORY / STYLESHEETS[name]).read_bytes(), "text/css"
        return None
