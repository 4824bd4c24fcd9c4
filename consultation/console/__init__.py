"""The staff console: the pages reviewers, organisers and admins use, signed in with an emailed link.

One module per task (sign_in, home, overview, explorer, responses, queue, imports, tokens, users, consultations),
the URL map in `routes`, sessions and the page decorator in `access`. Pages are thin: every rule lives in a
service below (accounts.permissions for who may do what), the same services the API calls.
"""

from flask import Flask


def register_console(app: Flask) -> None:
    """Flask-Login on the app, the blueprint, and HTML error pages for every URL under /staff."""
    from consultation.console.access import login_manager
    from consultation.console.routes import PAGES, bp
    from consultation.errors import register_page_errors

    login_manager.init_app(app)
    app.register_blueprint(bp)
    register_page_errors(app, bp.url_prefix, PAGES.http_error_page)
