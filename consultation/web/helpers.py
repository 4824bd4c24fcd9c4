"""Pieces the resident pages share: session keys, the closed-consultation codes and private responses."""

from datetime import datetime

from flask import current_app

from consultation.catalog.models import Consultation

CLOSED_CODES = ("consultation_closed", "consultation_not_open")
RECEIPT_KEY = "web_receipt"
CHANGE_KEY = "web_change"  # the reference and edit code this browser has proved, while it changes the response
CHANGE_RESULT_KEY = "web_change_result"


def private_page(body: str, http_status: int = 200):
    response = current_app.make_response((body, http_status))
    # For this browser only: not for shared caches, nor for the back button of the next person.
    response.headers["Cache-Control"] = "no-store"
    return response


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def questions_of(found: Consultation) -> list:
    return list(found.questionnaire.questions) if found.questionnaire is not None else []
