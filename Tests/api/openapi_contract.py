"""The OpenAPI contract of the JSON API, shared by every test module of Tests/api.

``Contract`` holds the served document and checks real answers against it: the status must be
listed for the operation (there are no `default` responses), the content type must be one the
response lists, the body must validate against the OpenAPI 3.1 schema (JSON Schema 2020-12 with
formats checked), required headers must be present, and every problem `code` must be in the
document's `ProblemCode`. It records each (operation, status) and each problem code it saw, for
the coverage test at the end of ``test_openapi_contract``; conftest.py hands one instance to the
whole session (the ``contract`` fixture), so that every module's answers count.
"""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOC_URI = "urn:keyward:openapi"
PROBLEM_TYPE_PREFIX = "https://keyward.dev/problems/"
BINARY_MEDIA_TYPES = {"application/pdf", "application/octet-stream"}


def escape(token: str) -> str:
    """A JSON-pointer reference token."""
    return token.replace("~", "~0").replace("/", "~1")


class Contract:
    """The served document, and checks of real answers against it that record what was seen."""

    def __init__(self, document: dict):
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOC_URI, resource)
        schemas = document["components"]["schemas"]
        self.problem_codes = set(schemas["ProblemCode"]["enum"])
        self.seen: set[tuple[str, str, str]] = set()
        self.codes_seen: set[str] = set()
        self._lock = threading.Lock()

    # -- looking things up ----------------------------------------------------------------------

    def pointer_get(self, pointer: str):
        node = self.document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def resolve(self, node: dict, pointer: str) -> tuple[dict, str]:
        """Follows local `$ref`s; returns the object and its JSON pointer."""
        while "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), f"only local references are expected, found {ref}"
            pointer = ref[1:]
            node = self.pointer_get(pointer)
        return node, pointer

    def operation(self, method: str, template: str) -> tuple[dict, str]:
        path_item = self.document["paths"].get(template)
        assert path_item is not None, f"the document has no path {template}"
        operation = path_item.get(method.lower())
        assert operation is not None, f"the document has no {method} {template}"
        return operation, f"/paths/{escape(template)}/{method.lower()}"

    def operations(self):
        for template, path_item in self.document["paths"].items():
            for method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
                if method in path_item:
                    yield method.upper(), template, path_item[method]

    def schema_errors(self, pointer: str, instance) -> list[str]:
        validator = OAS31Validator({"$ref": f"{DOC_URI}#{quote(pointer, safe='/~')}"},
                                   registry=self.registry, format_checker=oas31_format_checker)
        errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
        return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in errors]

    # -- requests -------------------------------------------------------------------------------

    def request_errors(self, operation_key: tuple[str, str], body) -> list[str]:
        operation, pointer = self.operation(*operation_key)
        assert "requestBody" in operation, f"{operation_key} documents no request body"
        request_body, pointer = self.resolve(operation["requestBody"], pointer + "/requestBody")
        return self.schema_errors(pointer + "/content/application~1json/schema", body)

    def assert_request_valid(self, operation_key, body):
        errors = self.request_errors(operation_key, body)
        assert not errors, f"{operation_key}: the document rejects a body the server accepts {body!r}: {errors}"

    def assert_request_invalid(self, operation_key, body):
        assert self.request_errors(operation_key, body), \
            f"{operation_key}: the document accepts a body the server refuses {body!r}"

    # -- responses ------------------------------------------------------------------------------

    def check(self, operation_key: tuple[str, str], reply, *, expect: int | None = None,
              code: str | None = None):
        """Checks `reply` against the document for the operation and returns its parsed body.

        `expect` and `code` are what the test meant to provoke; a mismatch fails with the body.
        """
        method, template = operation_key
        where = f"{method} {template}"
        operation, pointer = self.operation(method, template)
        responses = operation["responses"]
        key = str(reply.status)
        assert key in responses, (f"{where} answered {reply.status}, which the document does not list for it "
                                  f"(it lists {sorted(responses)}): {reply.body[:400]!r}")
        response, response_pointer = self.resolve(responses[key], f"{pointer}/responses/{key}")
        body = self._check_response(where, response, response_pointer, reply)
        with self._lock:
            self.seen.add((method, template, key))
        if expect is not None:
            assert reply.status == expect, f"{where}: expected {expect}, got {reply.status}: {reply.body[:400]!r}"
        if code is not None:
            assert isinstance(body, dict) and body.get("code") == code, \
                f"{where}: expected code {code}, got {reply.status} {reply.body[:400]!r}"
        return body

    def check_unrouted(self, reply, *, code: str = "route.not_found"):
        """An answer to a path or method the document does not describe: the RouteNotFound response."""
        assert reply.status == 404, f"expected 404 for an undescribed route, got {reply.status}: {reply.body[:400]!r}"
        pointer = "/components/responses/RouteNotFound"
        body = self._check_response("an undescribed route", self.pointer_get(pointer), pointer, reply)
        assert body["code"] == code
        return body

    def _check_response(self, where: str, response: dict, pointer: str, reply):
        for name, header in response.get("headers", {}).items():
            header, header_pointer = self.resolve(header, f"{pointer}/headers/{escape(name)}")
            value = reply.headers.get(name.lower())
            if value is None:
                assert not header.get("required"), f"{where} {reply.status}: required header {name} is missing"
                continue
            schema, _ = self.resolve(header["schema"], header_pointer + "/schema")
            instance = int(value) if schema.get("type") == "integer" and value.strip().isdigit() else value
            errors = self.schema_errors(header_pointer + "/schema", instance)
            assert not errors, f"{where} {reply.status}: header {name}: {value!r}: {errors}"

        content = response.get("content")
        if not content:
            assert reply.body == b"", f"{where} {reply.status} documents no body but sent {reply.body[:200]!r}"
            return None
        media_type = reply.media_type
        assert media_type in content, (f"{where} {reply.status}: content type {reply.headers.get('content-type')!r} "
                                       f"is not among the documented {sorted(content)}")
        if media_type == "application/json" or media_type.endswith("+json"):
            try:
                instance = reply.json()
            except ValueError as error:
                pytest.fail(f"{where} {reply.status}: the body is not JSON ({error}): {reply.body[:400]!r}")
        elif media_type.startswith("image/") or media_type in BINARY_MEDIA_TYPES:
            instance = reply.body.decode("latin-1")  # a file's bytes, one character each, for a string schema
        else:
            instance = reply.body.decode("utf-8")
        errors = self.schema_errors(f"{pointer}/content/{escape(media_type)}/schema", instance)
        assert not errors, (f"{where} {reply.status}: the body does not match the document:\n  "
                            + "\n  ".join(errors) + f"\nbody: {reply.body[:800]!r}")

        if media_type == "application/problem+json":
            code = instance["code"]
            assert code in self.problem_codes, f"{where}: code {code} is not in the document's ProblemCode"
            assert instance["status"] == reply.status, f"{where}: problem status {instance['status']} != {reply.status}"
            assert instance["type"] == PROBLEM_TYPE_PREFIX + code, f"{where}: type {instance['type']} for {code}"
            if "retryAfter" in instance:
                assert reply.headers.get("retry-after") == str(instance["retryAfter"]), \
                    f"{where}: Retry-After header {reply.headers.get('retry-after')!r} != retryAfter {instance['retryAfter']}"
            with self._lock:
                self.codes_seen.add(code)
        return instance
