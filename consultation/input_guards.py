"""Guards on raw request input, run before any view: what no route could parse, store or even bind.

Each finding is a 4xx in the one error shape, never a 500 from deep inside a parser or a database driver:

- JSON nested deeper than any of our schemas needs (Python's parser would hit its recursion limit at ~1,000);
- integers longer than Python converts from text (4,300 digits);
- strings holding a lone UTF-16 surrogate ("\\ud800"), which is not Unicode and cannot be encoded to UTF-8;
- NUL characters, anywhere in a JSON body, a query string or a path. PostgreSQL text cannot hold them and SQLite
  would store them silently; we refuse them on both databases rather than alter what a resident wrote.

And a HEAD is dispatched as a GET, whatever body it carries: mail scanners and link previews send HEAD, and
neither CSRF checks nor rate limits look at it, so no view may see a method other than GET or POST on a form.
"""

import json
import sys

from flask import Flask, request

from consultation.errors import NotFound, ValidationFailed

# Our deepest documented body is about 5 levels (a consultation, its questionnaire, a question, its options, one
# option); 32 leaves room for any future schema and stays far from the interpreter's recursion limit.
MAX_JSON_DEPTH = 32
NUL_MESSAGE = "Must not contain NUL characters."
SURROGATE_MESSAGE = "Must be valid Unicode text (a lone surrogate such as \\ud800 is not)."
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MAX_ROW_ID = 2**31 - 1  # row ids are INTEGER columns: 32 bits on PostgreSQL


class _TooManyDigits(ValueError):
    pass


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > sys.get_int_max_str_digits():
        raise _TooManyDigits(text)
    return int(text)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def json_body_problems(value) -> dict[str, list[str]]:
    """Field path -> messages for every string in a parsed body that we refuse; walked without recursion."""
    problems: dict[str, list[str]] = {}
    pending = [("", value, 1)]
    while pending:
        path, item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return {"_body": [f"Nested more than {MAX_JSON_DEPTH} levels deep."]}
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                problems.setdefault(path or "_body", []).append(problem)
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _text_problem(key)
                if problem:
                    problems.setdefault(path or "_body", []).append(f"A field name: {problem[0].lower()}{problem[1:]}")
                else:
                    pending.append((f"{path}.{key}" if path else key, child, depth + 1))
        elif isinstance(item, list):
            pending.extend(
                (f"{path}.{index}" if path else str(index), child, depth + 1) for index, child in enumerate(item)
            )
    return problems


def check_json_body() -> None:
    """Refuse a JSON body we could not handle safely; malformed JSON is left to webargs' own 400."""
    if request.method not in BODY_METHODS or not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        parsed = json.loads(raw, parse_int=_integer)
    except _TooManyDigits:
        raise ValidationFailed(
            {"_body": [f"Numbers may have at most {sys.get_int_max_str_digits()} digits."]}
        ) from None
    except RecursionError:
        raise ValidationFailed({"_body": [f"Nested more than {MAX_JSON_DEPTH} levels deep."]}) from None
    except ValueError:  # JSONDecodeError and undecodable bytes: webargs answers 400 malformed_json
        return
    problems = json_body_problems(parsed)
    if problems:
        raise ValidationFailed(problems)


def check_url() -> None:
    """NUL in a path can name nothing, nor can an id past MAX_ROW_ID (PostgreSQL could not even bind it); in a query
    string NUL is refused like in a body."""
    if "\x00" in request.path:
        raise NotFound("page", request.path.replace("\x00", "\\x00"))
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ROW_ID:
            raise NotFound("object with id", str(value))
    problems = {name: [NUL_MESSAGE] for name, value in request.args.items(multi=True) if "\x00" in name + value}
    if problems:
        raise ValidationFailed({name.replace("\x00", "\\x00"): messages for name, messages in problems.items()})


def dispatch_head_as_get() -> None:
    """The view sees GET, so no branch on the method can run a form's POST code for a HEAD. Werkzeug still sends
    no body: it reads the method for that from the WSGI environ, which keeps HEAD."""
    if request.method == "HEAD":
        request.method = "GET"


def register_input_guards(app: Flask) -> None:
    app.before_request(dispatch_head_as_get)
    app.before_request(check_url)
    app.before_request(check_json_body)
