"""The OpenAPI document served at /api/openapi.yaml is true of the running server.

The document is checked with openapi-spec-validator, then real requests drive every operation
and as many error codes as a black-box client can provoke. Each answer is held against the
document: its status must be listed for that operation (there are no `default` responses), its
content type must be one the response lists, its body must validate against the OpenAPI 3.1
schema (JSON Schema 2020-12 with formats such as `date-time` and `uuid` checked), required
headers must be present, and every problem `code` must appear in the document. Request bodies the
tests send as valid must validate against the request schemas, and those the server refuses as
`request.invalid_field` must not.

The last test checks coverage: every documented (operation, status) pair and every documented
problem code was seen, except those listed in ``UNREACHABLE`` with the reason. It relies on the
tests before it in this module having run, so run the module as a whole.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO = Path(__file__).resolve().parents[2]
SOURCE_DOCUMENT = REPO / "Sources" / "KeywardServer" / "Resources" / "openapi.yaml"
DOC_URI = "urn:keyward:openapi"
PROBLEM_TYPE_PREFIX = "https://keyward.dev/problems/"
STRONG_PASSWORD = "Quartz-Lantern-47"
BODY_LIMIT = 65536

REGISTRATIONS = ("POST", "/api/v1/registrations")
VERIFY = ("POST", "/api/v1/registrations/{id}/verify")
RESEND = ("POST", "/api/v1/registrations/{id}/resend")
LOGIN = ("POST", "/api/v1/login")
SESSION = ("GET", "/api/v1/session")
LOGOUT = ("POST", "/api/v1/logout")
SESSIONS = ("GET", "/api/v1/sessions")
REVOKE_OTHERS = ("DELETE", "/api/v1/sessions")
REVOKE = ("DELETE", "/api/v1/sessions/{id}")
HEALTH = ("GET", "/healthz")
READY = ("GET", "/readyz")
DOCUMENT = ("GET", "/api/openapi.yaml")

# Documented answers that no request to a healthy server can provoke, each with the reason. Every
# `500 internal.error` belongs here too (handled in the coverage test).
UNREACHABLE = {
    ("GET", "/readyz", "503"): "needs a database that does not answer",
    "internal.error": "needs an unexpected failure inside the server",
    "code.expired": "a code works for at least 60 s (code.lifetime); the suite does not wait that long",
    "method.not_allowed": "Hummingbird answers a known path with an unknown method 404 route.not_found",
}


# ---------------------------------------------------------------------------------------------
# The contract.
# ---------------------------------------------------------------------------------------------

def _escape(token: str) -> str:
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
        return operation, f"/paths/{_escape(template)}/{method.lower()}"

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
            header, header_pointer = self.resolve(header, f"{pointer}/headers/{_escape(name)}")
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
        else:
            instance = reply.body.decode("utf-8")
        errors = self.schema_errors(f"{pointer}/content/{_escape(media_type)}/schema", instance)
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


@pytest.fixture(scope="module")
def served_document(server):
    reply = server.request("GET", "/api/openapi.yaml")
    assert reply.status == 200, f"GET /api/openapi.yaml answered {reply.status}"
    return reply


@pytest.fixture(scope="module")
def contract(served_document) -> Contract:
    document = yaml.safe_load(served_document.body)
    OpenAPIV31SpecValidator(document).validate()
    contract = Contract(document)
    contract.check(DOCUMENT, served_document, expect=200)
    return contract


# ---------------------------------------------------------------------------------------------
# Helpers that drive the API.
# ---------------------------------------------------------------------------------------------

_counter = iter(range(1, 1_000_000))


def unique_email(label: str) -> str:
    return f"{label}-{next(_counter)}-{time.time_ns() % 10**9}@example.com"


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def wait_until(moment: datetime, slack: float = 1.1):
    """Sleeps until `moment` (a whole-second timestamp) plus `slack` seconds."""
    delay = (moment - datetime.now(timezone.utc)).total_seconds() + slack
    if delay > 0:
        time.sleep(delay)


def start_registration(server, contract, identifier: str, password: str = STRONG_PASSWORD) -> dict:
    body = {"identifier": identifier, "password": password}
    contract.assert_request_valid(REGISTRATIONS, body)
    return contract.check(REGISTRATIONS, server.request("POST", "/api/v1/registrations", json_body=body),
                          expect=201)


def verify(server, contract, registration_id: str, code: str, *, device_name=None, expect=200, expect_code=None):
    body = {"code": code} if device_name is None else {"code": code, "deviceName": device_name}
    contract.assert_request_valid(VERIFY, body)
    reply = server.request("POST", f"/api/v1/registrations/{registration_id}/verify", json_body=body)
    return contract.check(VERIFY, reply, expect=expect, code=expect_code)


def resend(server, contract, registration_id: str, *, expect=202, expect_code=None):
    reply = server.request("POST", f"/api/v1/registrations/{registration_id}/resend")
    body = contract.check(RESEND, reply, expect=expect, code=expect_code)
    return body, reply


def login(server, contract, identifier: str, password: str = STRONG_PASSWORD, *, device_name=None,
          expect=200, expect_code=None):
    body = {"identifier": identifier, "password": password}
    if device_name is not None:
        body["deviceName"] = device_name
    contract.assert_request_valid(LOGIN, body)
    return contract.check(LOGIN, server.request("POST", "/api/v1/login", json_body=body),
                          expect=expect, code=expect_code)


def register(server, contract, identifier: str, password: str = STRONG_PASSWORD) -> dict:
    """A finished registration; returns the verify answer (account id and first session)."""
    started = start_registration(server, contract, identifier, password)
    return verify(server, contract, started["registrationId"], server.newest_code(identifier),
                  device_name="first device")


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 10 ** len(right):0{len(right)}d}"


# ---------------------------------------------------------------------------------------------
# The document itself.
# ---------------------------------------------------------------------------------------------

def test_served_document_is_valid_openapi_3_1(contract):
    document = contract.document
    assert str(document["openapi"]).startswith("3.1."), document["openapi"]
    scheme = document["components"]["securitySchemes"]["sessionToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer"), scheme
    operation_ids = []
    for method, template, operation in contract.operations():
        where = f"{method} {template}"
        operation_ids.append(operation.get("operationId"))
        assert operation.get("operationId"), f"{where} has no operationId"
        responses = operation["responses"]
        assert all(key.isdigit() for key in responses), f"{where} has `default` or range responses: {sorted(responses)}"
        for key, response in responses.items():
            response, _ = contract.resolve(response, "")
            if int(key) >= 400 and template.startswith("/api/"):
                content = response.get("content", {})
                assert list(content) == ["application/problem+json"], f"{where} {key}: errors must be problem+json"
                schema = content["application/problem+json"]["schema"]
                refs = [schema.get("$ref")] + [part.get("$ref") for part in schema.get("allOf", [])]
                assert "#/components/schemas/Problem" in refs, f"{where} {key}: does not reference Problem"
                for part in schema.get("allOf", []):
                    codes = part.get("properties", {}).get("code", {}).get("enum", [])
                    unknown = set(codes) - contract.problem_codes
                    assert not unknown, f"{where} {key}: codes {unknown} are not in ProblemCode"
                    assert all(code in response["description"] for code in codes), \
                        f"{where} {key}: the description does not name every code in {codes}"
        if operation.get("security"):
            assert operation["security"] == [{"sessionToken": []}], where
            assert "401" in responses, f"{where} needs a session but documents no 401"
    assert len(operation_ids) == len(set(operation_ids)), "operationIds are not unique"
    # Formats are checked, not only annotated (date-time needs rfc3339-validator installed).
    assert contract.schema_errors("/components/schemas/Timestamp", "2026-11-27T25:61:00Z"), \
        "date-time formats are not checked: pip install -r Tests/requirements.txt"
    expected = {REGISTRATIONS, VERIFY, RESEND, LOGIN, SESSION, LOGOUT, SESSIONS, REVOKE_OTHERS, REVOKE,
                HEALTH, READY, DOCUMENT}
    assert {(method, template) for method, template, _ in contract.operations()} == expected


def test_served_document_is_the_one_in_the_sources(served_document):
    assert served_document.body == SOURCE_DOCUMENT.read_bytes(), (
        "the server serves an older openapi.yaml than Sources/KeywardServer/Resources/openapi.yaml: "
        "rebuild with `swift build --product keyward`")


# ---------------------------------------------------------------------------------------------
# System endpoints.
# ---------------------------------------------------------------------------------------------

def test_health_and_readiness(server, contract):
    assert contract.check(HEALTH, server.request("GET", "/healthz"), expect=200) == {"status": "ok"}
    assert contract.check(READY, server.request("GET", "/readyz"), expect=200) == {"status": "ready"}


# ---------------------------------------------------------------------------------------------
# Registration.
# ---------------------------------------------------------------------------------------------

def test_registration_resend_and_verify(server, contract):
    email = unique_email("alice")
    started = start_registration(server, contract, email)
    assert started["channel"] == "email" and started["status"] == "pending_verification"
    registration_id = started["registrationId"]
    first_code = server.newest_code(email)

    # Within the resend interval: both a resend and a new registration are refused with 429.
    _, reply = resend(server, contract, registration_id, expect=429, expect_code="code.resend_too_soon")
    problem = reply.json()
    assert parse_time(problem["resendAvailableAt"]) == parse_time(started["resendAvailableAt"])
    again = server.request("POST", "/api/v1/registrations", json_body={"identifier": email, "password": STRONG_PASSWORD})
    contract.check(REGISTRATIONS, again, expect=429, code="code.resend_too_soon")

    wait_until(parse_time(started["resendAvailableAt"]))
    resent, _ = resend(server, contract, registration_id, expect=202)
    assert resent["registrationId"] == registration_id
    second_code = server.newest_code(email, exclude=(first_code,))

    # The superseded code and a wrong code are both wrong; the newest one works.
    if first_code != second_code:
        problem = verify(server, contract, registration_id, first_code, expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] >= 1
    verified = verify(server, contract, registration_id, second_code, device_name="Contract test")
    assert verified["status"] == "active"
    token = verified["session"]["token"]
    current = contract.check(SESSION, server.request("GET", "/api/v1/session", token=token), expect=200)
    assert current["accountId"] == verified["accountId"]
    assert current["identifiers"] == [{"kind": "email", "value": email, "verified": True}]

    # Afterwards the registration is complete and the identifier is taken.
    verify(server, contract, registration_id, second_code, expect=409, expect_code="registration.completed")
    resend(server, contract, registration_id, expect=409, expect_code="registration.completed")
    taken = server.request("POST", "/api/v1/registrations", json_body={"identifier": email.upper(), "password": STRONG_PASSWORD})
    contract.check(REGISTRATIONS, taken, expect=409, code="identifier.taken")


def test_phone_registration_and_unfinished_account(server, contract):
    phone = f"+44 7700 9{time.time_ns() % 10**5:05d}"
    started = start_registration(server, contract, phone)
    assert started["channel"] == "sms"
    login(server, contract, phone, expect=409, expect_code="account.registration_incomplete")


def test_wrong_codes_exhaust_the_code_until_a_new_one_is_sent(server, contract):
    email = unique_email("carol")
    started = start_registration(server, contract, email)
    registration_id = started["registrationId"]
    code = server.newest_code(email)
    wrong = wrong_code(code)

    problem = verify(server, contract, registration_id, "12ab", expect=422, expect_code="code.invalid")
    maximum = problem["attemptsRemaining"]
    for remaining in range(maximum - 1, 0, -1):
        problem = verify(server, contract, registration_id, wrong, expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    verify(server, contract, registration_id, wrong, expect=410, expect_code="code.exhausted")
    verify(server, contract, registration_id, code, expect=410, expect_code="code.exhausted")

    wait_until(parse_time(started["resendAvailableAt"]))
    resend(server, contract, registration_id, expect=202)
    new_code = server.newest_code(email, exclude=(code,))
    verify(server, contract, registration_id, new_code, expect=200)


def test_a_newer_registration_that_is_verified_ends_the_older_one(server, contract):
    email = unique_email("dave")
    older = start_registration(server, contract, email)
    older_code = server.newest_code(email)
    wait_until(parse_time(older["resendAvailableAt"]))
    newer = start_registration(server, contract, email, "Another-Lantern-58")
    assert newer["registrationId"] != older["registrationId"]
    verify(server, contract, newer["registrationId"], server.newest_code(email, exclude=(older_code,)))

    verify(server, contract, older["registrationId"], older_code, expect=410, expect_code="registration.expired")
    resend(server, contract, older["registrationId"], expect=410, expect_code="registration.expired")
    # The password of the verified registration is the account's.
    login(server, contract, email, "Another-Lantern-58", expect=200)
    login(server, contract, email, STRONG_PASSWORD, expect=401, expect_code="credentials.invalid")


def test_registration_input_errors(server, contract):
    def post(path, **kwargs):
        return server.request("POST", path, **kwargs)

    contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body={"identifier": "alice", "password": STRONG_PASSWORD}),
                   expect=422, code="identifier.invalid")
    problem = contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body={"identifier": "bob@example.com", "password": "bob"}),
                             expect=422, code="password.invalid")
    assert {"password.too_short", "password.needs_uppercase", "password.needs_digit",
            "password.contains_identifier"} <= {violation["code"] for violation in problem["violations"]}

    missing = {"identifier": "erin@example.com"}
    contract.assert_request_invalid(REGISTRATIONS, missing)
    problem = contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body=missing),
                             expect=400, code="request.invalid_field")
    assert problem["field"] == "password"
    mistyped = {"identifier": "erin@example.com", "password": 12345678}
    contract.assert_request_invalid(REGISTRATIONS, mistyped)
    problem = contract.check(REGISTRATIONS, post("/api/v1/registrations", json_body=mistyped),
                             expect=400, code="request.invalid_field")
    assert problem["field"] == "password"
    contract.check(REGISTRATIONS, post("/api/v1/registrations", body=b'{"identifier": ',
                                       headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    unknown = "00000000-0000-4000-8000-000000000000"
    verify(server, contract, unknown, "123456", expect=404, expect_code="registration.not_found")
    resend(server, contract, unknown, expect=404, expect_code="registration.not_found")
    contract.check(VERIFY, post(f"/api/v1/registrations/{unknown}/verify", json_body={"deviceName": "x"}),
                   expect=400, code="request.invalid_field")


@pytest.mark.parametrize("operation, path", [
    (REGISTRATIONS, "/api/v1/registrations"),
    (VERIFY, "/api/v1/registrations/00000000-0000-4000-8000-000000000000/verify"),
    (LOGIN, "/api/v1/login"),
])
def test_a_body_over_the_limit_is_refused(server, contract, operation, path):
    body = ('{"identifier": "big@example.com", "code": "1", "password": "' + "x" * BODY_LIMIT + '"}').encode()
    problem = contract.check(operation, server.request("POST", path, body=body, headers={"Content-Type": "application/json"}),
                             expect=413, code="request.too_large")
    assert problem["limitBytes"] == BODY_LIMIT


# ---------------------------------------------------------------------------------------------
# Sign-in and sessions.
# ---------------------------------------------------------------------------------------------

def test_login_answers(server, contract):
    email = unique_email("frank")
    register(server, contract, email)
    signed_in = login(server, contract, email.upper(), device_name="Laptop")
    assert signed_in["status"] == "authenticated"
    login(server, contract, email, device_name=None)
    contract.assert_request_valid(LOGIN, {"identifier": email, "password": STRONG_PASSWORD, "deviceName": None})
    contract.check(LOGIN, server.request("POST", "/api/v1/login",
                                         json_body={"identifier": email, "password": STRONG_PASSWORD, "deviceName": None}),
                   expect=200)

    login(server, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(server, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")
    login(server, contract, "not an identifier", expect=422, expect_code="identifier.invalid")

    for body, field in [({"password": STRONG_PASSWORD}, "identifier"),
                        ({"identifier": email, "password": STRONG_PASSWORD, "deviceName": 7}, "deviceName"),
                        ({"identifier": None, "password": STRONG_PASSWORD}, "identifier")]:
        contract.assert_request_invalid(LOGIN, body)
        problem = contract.check(LOGIN, server.request("POST", "/api/v1/login", json_body=body),
                                 expect=400, code="request.invalid_field")
        assert problem["field"] == field
    contract.check(LOGIN, server.request("POST", "/api/v1/login", body=b"{not json}",
                                         headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")


def test_session_list_revocation_and_logout(server, contract):
    email = unique_email("grace")
    first = register(server, contract, email)["session"]
    second = login(server, contract, email, device_name="Phone")["session"]
    third = login(server, contract, email, device_name="Tablet")["session"]

    listing = contract.check(SESSIONS, server.request("GET", "/api/v1/sessions", token=first["token"]), expect=200)
    by_id = {session["id"]: session for session in listing["sessions"]}
    assert set(by_id) == {first["id"], second["id"], third["id"]}
    assert [session["id"] for session in listing["sessions"] if session["current"]] == [first["id"]]
    assert by_id[second["id"]]["device"] == "Phone"

    reply = server.request("DELETE", f"/api/v1/sessions/{second['id']}", token=first["token"])
    contract.check(REVOKE, reply, expect=204)
    reply = server.request("DELETE", f"/api/v1/sessions/{second['id']}", token=first["token"])
    contract.check(REVOKE, reply, expect=404, code="session.not_found")
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=second["token"]),
                   expect=401, code="session.required")

    revoked = contract.check(REVOKE_OTHERS, server.request("DELETE", "/api/v1/sessions", token=first["token"]), expect=200)
    assert revoked == {"revoked": 1}
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=third["token"]),
                   expect=401, code="session.required")

    contract.check(LOGOUT, server.request("POST", "/api/v1/logout", token=first["token"]), expect=204)
    contract.check(SESSION, server.request("GET", "/api/v1/session", token=first["token"]),
                   expect=401, code="session.required")


@pytest.mark.parametrize("operation, path", [
    (SESSION, "/api/v1/session"),
    (LOGOUT, "/api/v1/logout"),
    (SESSIONS, "/api/v1/sessions"),
    (REVOKE_OTHERS, "/api/v1/sessions"),
    (REVOKE, "/api/v1/sessions/00000000-0000-4000-8000-000000000000"),
])
@pytest.mark.parametrize("authorization", [None, "Bearer " + "A" * 43, "Bearer short", "Basic dXNlcjpwYXNz"])
def test_authenticated_operations_need_a_live_session(server, contract, operation, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    contract.check(operation, server.request(operation[0], path, headers=headers), expect=401, code="session.required")


def test_undescribed_routes_answer_route_not_found(server, contract):
    contract.check_unrouted(server.request("GET", "/api/v1/no-such-thing"))
    contract.check_unrouted(server.request("PUT", "/api/v1/login", json_body={}))
    contract.check_unrouted(server.request("GET", "/api/v1/login"))
    contract.check_unrouted(server.request("POST", "/api/v1/registrations//verify", json_body={"code": "1"}))


# ---------------------------------------------------------------------------------------------
# Overload: a server with one hashing thread and room for one waiting job.
# ---------------------------------------------------------------------------------------------

def test_a_full_hashing_queue_answers_server_busy(start_server, contract):
    busy = start_server(KEYWARD_HASHING_THREADS="1", KEYWARD_HASHING_QUEUE_LIMIT="1", KEYWARD_ARGON2_ITERATIONS="3")
    requests = [(LOGIN, "/api/v1/login", {"identifier": unique_email("load"), "password": STRONG_PASSWORD})
                for _ in range(24)]
    requests += [(REGISTRATIONS, "/api/v1/registrations", {"identifier": unique_email("load"), "password": STRONG_PASSWORD})
                 for _ in range(12)]
    barrier = threading.Barrier(len(requests))

    def send(item):
        operation, path, body = item
        barrier.wait()
        return operation, busy.request("POST", path, json_body=body, timeout=120)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(send, requests))
    busy_by_operation = {LOGIN: 0, REGISTRATIONS: 0}
    for operation, reply in answers:
        body = contract.check(operation, reply)
        if reply.status == 503:
            assert body["code"] == "server.busy" and body["retryAfter"] >= 1
            busy_by_operation[operation] += 1
        else:
            assert reply.status in (201, 404), f"{operation}: {reply.status} {reply.body[:300]!r}"
    assert all(busy_by_operation.values()), f"no 503 server.busy for some operation: {busy_by_operation}"


# ---------------------------------------------------------------------------------------------
# Edge cases of the contract: non-object bodies, the Bearer challenge, punctual resends.
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"[1]", b"null", b'"text"', b"42"])
def test_a_json_body_that_is_not_an_object_is_malformed(server, contract, raw):
    reply = server.request("POST", "/api/v1/login", body=raw, headers={"Content-Type": "application/json"})
    contract.check(LOGIN, reply, expect=400, code="request.malformed")


def test_session_required_carries_a_bearer_challenge(server, contract):
    reply = server.request("GET", "/api/v1/session")
    contract.check(SESSION, reply, expect=401, code="session.required")
    assert reply.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_a_resend_at_resend_available_at_succeeds(server, contract):
    # Three registrations make a pass by luck (a true time within a few ms of a whole second) unlikely.
    started = [start_registration(server, contract, unique_email("punctual")) for _ in range(3)]
    statuses = []
    for registration in started:
        wait_until(parse_time(registration["resendAvailableAt"]), slack=0.0)
        _, reply = resend(server, contract, registration["registrationId"], expect=None)
        statuses.append(reply.status)
    assert statuses == [202, 202, 202], statuses


# ---------------------------------------------------------------------------------------------
# Coverage: keep last.
# ---------------------------------------------------------------------------------------------

def test_every_documented_answer_and_code_was_seen(contract):
    documented = {(method, template, key)
                  for method, template, operation in contract.operations() for key in operation["responses"]}
    for entry in UNREACHABLE:
        if isinstance(entry, tuple):
            assert entry in documented, f"UNREACHABLE lists {entry}, which the document no longer has"
        else:
            assert entry in contract.problem_codes, f"UNREACHABLE lists {entry}, which ProblemCode no longer has"
    expected = {entry for entry in documented if entry not in UNREACHABLE and entry[2] != "500"}
    missing = sorted(expected - contract.seen)
    assert not missing, f"documented answers no test provoked (cover them or list them in UNREACHABLE): {missing}"

    expected_codes = contract.problem_codes - {entry for entry in UNREACHABLE if isinstance(entry, str)}
    missing_codes = sorted(expected_codes - contract.codes_seen)
    assert not missing_codes, f"documented codes no test provoked: {missing_codes}"
