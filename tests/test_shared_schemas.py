"""Argument schemas are built once per class and shared by every request (and thread) that parses with them."""

from concurrent.futures import ThreadPoolExecutor

import marshmallow as ma
from flask import Flask

from consultation.extensions import Blueprint, SharedSchemaParser


class _Body(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=5))
    count = ma.fields.Integer(required=True)


def test_one_schema_object_per_class_is_built_and_reused():
    parser = SharedSchemaParser()
    first = parser._get_schema(_Body, None)
    assert parser._get_schema(_Body, None) is first
    assert isinstance(first, _Body)
    given = _Body()
    assert parser._get_schema(given, None) is given  # an instance is used as it is
    assert isinstance(Blueprint.ARGUMENTS_PARSER, SharedSchemaParser)


def test_requests_parsed_with_the_shared_schema_in_many_threads_keep_their_own_values_and_errors():
    app = Flask(__name__)
    parser = SharedSchemaParser()

    @app.post("/")
    @parser.use_args(_Body, location="json")
    def echo(body):
        return body

    @app.errorhandler(422)
    def invalid(error):
        return {"errors": error.data["messages"]}, 422

    def post(number: int):
        name = "x" * (number % 8)  # names over 5 letters are refused
        response = app.test_client().post("/", json={"name": name, "count": number})
        return number, name, response.status_code, response.get_json()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(400)))
    for number, name, status, body in results:
        if len(name) > 5:
            assert status == 422 and list(body["errors"]["json"]) == ["name"]
        else:
            assert status == 200 and body == {"name": name, "count": number}
