"""The staff console's URL map, one line a page, so the whole console reads in one place.

Server-rendered and usable without JavaScript, under /staff/. Every POST carries Flask-WTF's CSRF token (this
blueprint is not exempted); every page but the sign-in pages wears `staff_page`, which asks accounts.permissions
for the role, and every service it calls applies the same borough scope and ownership rules as the API.
"""

from flask import Blueprint

from consultation.console import (
    consultations,
    explorer,
    home,
    imports,
    overview,
    queue,
    responses,
    sign_in,
    tokens,
    users,
)
from consultation.console.access import end_idle_sessions
from consultation.console.helpers import page_helpers
from consultation.page_errors import PageErrors

bp = Blueprint("console", __name__, url_prefix="/staff", static_folder="../static/console", static_url_path="/assets")
bp.before_request(end_idle_sessions)
bp.context_processor(page_helpers)

CONSULTATION = "/consultations/<slug>"
RESPONSE = CONSULTATION + "/responses/<int:response_id>"
# Admins' pages for the consultations themselves, apart from /consultations/<slug> so no slug can shadow them.
MANAGE = "/manage/consultations"

bp.add_url_rule("/sign-in", view_func=sign_in.sign_in, methods=["GET", "POST"])
bp.add_url_rule("/sign-in/check-your-email", view_func=sign_in.check_email, methods=["GET"])
bp.add_url_rule("/sign-in/<token>", view_func=sign_in.use_link, methods=["GET", "POST"])
bp.add_url_rule("/sign-out", view_func=sign_in.sign_out_view, methods=["POST"])
bp.add_url_rule("/", view_func=home.home, methods=["GET"])
bp.add_url_rule("/tokens", view_func=tokens.tokens, methods=["GET"])
bp.add_url_rule("/tokens/new", view_func=tokens.create_token, methods=["POST"])
bp.add_url_rule("/tokens/<int:token_id>/revoke", view_func=tokens.revoke_token, methods=["POST"])
bp.add_url_rule("/users", view_func=users.users, methods=["GET"])
bp.add_url_rule("/users/invite", view_func=users.invite, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>", view_func=users.update_user, methods=["POST"])
bp.add_url_rule(MANAGE, view_func=consultations.manage_consultations, methods=["GET"])
bp.add_url_rule(MANAGE + "/new", view_func=consultations.new_consultation, methods=["GET", "POST"])
bp.add_url_rule(MANAGE + "/<slug>/edit", view_func=consultations.edit_consultation, methods=["GET", "POST"])
bp.add_url_rule(CONSULTATION, view_func=overview.overview, methods=["GET"])
bp.add_url_rule(CONSULTATION + "/responses", view_func=explorer.explorer, methods=["GET"])
bp.add_url_rule(CONSULTATION + "/responses.<file_format>", view_func=explorer.export, methods=["GET"])
bp.add_url_rule(RESPONSE, view_func=responses.response_page, methods=["GET"])
bp.add_url_rule(RESPONSE + "/coding", view_func=responses.code, methods=["POST"])
bp.add_url_rule(RESPONSE + "/personal-details", view_func=responses.show_personal_details, methods=["POST"])
bp.add_url_rule(CONSULTATION + "/queue", view_func=queue.queue, methods=["POST"])
bp.add_url_rule(CONSULTATION + "/queue/done", view_func=queue.queue_done, methods=["GET"])
bp.add_url_rule(CONSULTATION + "/imports", view_func=imports.imports, methods=["GET"])
bp.add_url_rule(CONSULTATION + "/imports/check", view_func=imports.check_upload, methods=["POST"])
bp.add_url_rule(CONSULTATION + "/imports/confirm", view_func=imports.confirm_import, methods=["POST"])

PAGES = PageErrors(
    "console/error.html",
    csrf_message="This form has expired or did not come from this site, so nothing was changed. "
    "Go back, reload the page and try again.",
    too_many_message="Wait a few minutes, then try again.",
    titles={
        401: "Sign in to see this page",
        403: "You cannot see this page",
        409: "Sorry, that cannot be done now",
        422: "Sorry, there is a problem with your request",
        429: "You have asked too many times",
    },
)
PAGES.register(bp)
