"""Error pages for the resident pages: HTML in the resident pages' style, never the API's JSON."""

from consultation.page_errors import PageErrors

PAGES = PageErrors(
    "web/error.html",
    csrf_message=(
        "This form has expired or did not come from this site, so your answers were not sent. "
        "Go back, reload the page and try again."
    ),
    too_many_message="Wait a minute, then try again. Your answers have not been sent.",
    titles={429: "You have sent too many responses"},
)
error_page = PAGES.error_page
csrf_error_page = PAGES.csrf_error_page
api_error_page = PAGES.api_error_page
http_error_page = PAGES.http_error_page
unexpected_error_page = PAGES.unexpected_error_page
