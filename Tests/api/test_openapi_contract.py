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
RECOVERY = ("POST", "/api/v1/recovery")
RECOVERY_RESEND = ("POST", "/api/v1/recovery/{id}/resend")
RECOVERY_VERIFY = ("POST", "/api/v1/recovery/{id}/verify")
RECOVERY_PASSWORD = ("POST", "/api/v1/recovery/{id}/password")
HOLDS = ("GET", "/api/v1/account/holds")
ACTIVITY = ("GET", "/api/v1/account/activity")
OPERATOR_HOLDS = ("GET", "/api/v1/admin/accounts/{id}/holds")
HEALTH = ("GET", "/healthz")
READY = ("GET", "/readyz")
DOCUMENT = ("GET", "/api/openapi.yaml")

# Documented answers that no request to a healthy server can provoke, each with the reason. Every
# `500 internal.error` belongs here too (handled in the coverage test).
UNREACHABLE = {
    ("GET", "/readyz", "503"): "needs a database that does not answer",
    "internal.error": "needs an unexpected failure inside the server",
    "code.expired": "a code works for at least 60 s (code.lifetime); the suite does not wait that long "
                    "(two right entries of one code at the same moment can also give it, too unreliably to test)",
    "method.not_allowed": "Hummingbird answers a known path with an unknown method 404 route.not_found",
    "recovery.expired": "a recovery lasts 30 minutes, which no setting shortens",
    ("POST", "/api/v1/recovery/{id}/resend", "410"): "only recovery.expired (30 minutes)",
    ("POST", "/api/v1/recovery/{id}/password", "410"): "only recovery.expired (30 minutes)",
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


def start_recovery(server, contract, identifier: str, *, expect=202, expect_code=None):
    body = {"identifier": identifier}
    contract.assert_request_valid(RECOVERY, body)
    return contract.check(RECOVERY, server.request("POST", "/api/v1/recovery", json_body=body),
                          expect=expect, code=expect_code)


def recovery_resend(server, contract, flow_id: str, *, expect=202, expect_code=None):
    reply = server.request("POST", f"/api/v1/recovery/{flow_id}/resend")
    return contract.check(RECOVERY_RESEND, reply, expect=expect, code=expect_code)


def recovery_verify(server, contract, flow_id: str, code: str, *, expect=200, expect_code=None):
    body = {"code": code}
    contract.assert_request_valid(RECOVERY_VERIFY, body)
    reply = server.request("POST", f"/api/v1/recovery/{flow_id}/verify", json_body=body)
    return contract.check(RECOVERY_VERIFY, reply, expect=expect, code=expect_code)


def recovery_password(server, contract, flow_id: str, new_password: str, *, expect=200, expect_code=None):
    body = {"newPassword": new_password}
    contract.assert_request_valid(RECOVERY_PASSWORD, body)
    reply = server.request("POST", f"/api/v1/recovery/{flow_id}/password", json_body=body)
    return contract.check(RECOVERY_PASSWORD, reply, expect=expect, code=expect_code)


def operator_holds(server, contract, account_id: str, authorization: str | None, *, expect=200, expect_code=None):
    headers = {"Authorization": authorization} if authorization else {}
    reply = server.request("GET", f"/api/v1/admin/accounts/{account_id}/holds", headers=headers)
    return contract.check(OPERATOR_HOLDS, reply, expect=expect, code=expect_code)


def cheap_hashing(**settings) -> dict[str, str]:
    """Settings for a server of a test's own: Argon2id at a small cost, plus `settings`."""
    return {"KEYWARD_ARGON2_MEMORY_KIB": "1024", "KEYWARD_ARGON2_ITERATIONS": "1", **settings}


def in_parallel(count: int, send):
    """Calls `send(i)` for i in range(count) from `count` threads released at once."""
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait()
        return send(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


# A fixed window of about 31 years: a limit set with it cannot roll over while a test runs.
NEVER_ENDING = 10 ** 9


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
            expected_security = [{"operatorKey": []}] if template.startswith("/api/v1/admin/") else [{"sessionToken": []}]
            assert operation["security"] == expected_security, where
            assert "401" in responses, f"{where} needs a session but documents no 401"
        if "401" in responses:
            response, _ = contract.resolve(responses["401"], "")
            assert "WWW-Authenticate" in response.get("headers", {}), f"{where} 401 documents no WWW-Authenticate"
    assert len(operation_ids) == len(set(operation_ids)), "operationIds are not unique"
    # Formats are checked, not only annotated (date-time needs rfc3339-validator installed).
    assert contract.schema_errors("/components/schemas/Timestamp", "2026-11-27T25:61:00Z"), \
        "date-time formats are not checked: pip install -r Tests/requirements.txt"
    expected = {REGISTRATIONS, VERIFY, RESEND, LOGIN, SESSION, LOGOUT, SESSIONS, REVOKE_OTHERS, REVOKE,
                RECOVERY, RECOVERY_RESEND, RECOVERY_VERIFY, RECOVERY_PASSWORD, HOLDS, ACTIVITY, OPERATOR_HOLDS,
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
    (RECOVERY, "/api/v1/recovery"),
    (RECOVERY_VERIFY, "/api/v1/recovery/00000000-0000-4000-8000-000000000000/verify"),
    (RECOVERY_PASSWORD, "/api/v1/recovery/00000000-0000-4000-8000-000000000000/password"),
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
    for device_id in ("5f0c2a8e-app-install-7731", "short", None):
        body = {"identifier": email, "password": STRONG_PASSWORD, "deviceName": "Phone", "deviceId": device_id}
        contract.assert_request_valid(LOGIN, body)
        contract.check(LOGIN, server.request("POST", "/api/v1/login", json_body=body), expect=200)

    login(server, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(server, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")
    login(server, contract, "not an identifier", expect=422, expect_code="identifier.invalid")

    for body, field in [({"password": STRONG_PASSWORD}, "identifier"),
                        ({"identifier": email, "password": STRONG_PASSWORD, "deviceName": 7}, "deviceName"),
                        ({"identifier": email, "password": STRONG_PASSWORD, "deviceId": ["x"]}, "deviceId"),
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
    (HOLDS, "/api/v1/account/holds"),
    (ACTIVITY, "/api/v1/account/activity"),
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
    contract.check_unrouted(server.request("GET", "/api/v1/recovery"))
    contract.check_unrouted(server.request("POST", "/api/v1/recovery//password", json_body={"newPassword": "x"}))
    contract.check_unrouted(server.request("GET", "/api/v1/admin/accounts//holds"))
    contract.check_unrouted(server.request("GET", "/api/v1/admin/accounts"))


# ---------------------------------------------------------------------------------------------
# Lockout, recovery, holds and activity.
# ---------------------------------------------------------------------------------------------

NEW_PASSWORD = "Harbour-Violet-62"


def test_lockout_then_recovery_lifts_the_lock_and_places_a_hold(server, contract, operator_key):
    email = unique_email("heidi")
    started = start_registration(server, contract, email)
    registration_code = server.newest_code(email)
    first = verify(server, contract, started["registrationId"], registration_code, device_name="Laptop")
    account_id, first_token = first["accountId"], first["session"]["token"]
    second_token = login(server, contract, email, device_name="Phone")["session"]["token"]

    # lockout.maxFailures (5) wrong passwords: the fifth places the lock and is answered 423.
    for _ in range(4):
        reply = server.request("POST", "/api/v1/login", json_body={"identifier": email, "password": "Wrong-Lantern-99"})
        contract.check(LOGIN, reply, expect=401, code="credentials.invalid")
        assert reply.headers["www-authenticate"] == 'Bearer realm="keyward"'
    locked_reply = server.request("POST", "/api/v1/login", json_body={"identifier": email, "password": "Wrong-Lantern-99"})
    locked = contract.check(LOGIN, locked_reply, expect=423, code="account.locked")
    assert 7000 <= locked["retryAfter"] <= 7200 and int(locked_reply.headers["retry-after"]) == locked["retryAfter"]
    # Even the right password is refused during the lock, which it extends.
    again = login(server, contract, email, expect=423, expect_code="account.locked")
    assert parse_time(again["lockedUntil"]) >= parse_time(locked["lockedUntil"])

    activity = contract.check(ACTIVITY, server.request("GET", "/api/v1/account/activity", token=first_token), expect=200)
    kinds = [event["kind"] for event in activity["events"]]
    assert {"lock.placed", "lock.extended", "login.failed"} <= set(kinds), kinds
    assert kinds.index("lock.extended") < kinds.index("lock.placed"), "events are not newest first"
    reasons = {event["details"].get("reason") for event in activity["events"] if event["kind"] == "login.failed"}
    assert {"credentials.invalid", "account.locked"} <= reasons, reasons
    assert all(event.get("ip") == "127.0.0.1" for event in activity["events"])
    assert contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=first_token), expect=200) == {"holds": []}

    # Recovery: a code to the registered email, within the resend interval of the last one.
    wait_until(parse_time(started["resendAvailableAt"]))
    recovery = start_recovery(server, contract, email.upper())
    assert recovery["channel"] == "email"
    flow_id = recovery["flowId"]
    problem = recovery_resend(server, contract, flow_id, expect=429, expect_code="code.resend_too_soon")
    assert parse_time(problem["resendAvailableAt"]) == parse_time(recovery["resendAvailableAt"])
    start_recovery(server, contract, email, expect=429, expect_code="code.resend_too_soon")
    recovery_password(server, contract, flow_id, NEW_PASSWORD, expect=409, expect_code="recovery.not_verified")

    first_code = server.newest_code(email, exclude=(registration_code,))
    problem = recovery_verify(server, contract, flow_id, wrong_code(first_code), expect=422, expect_code="code.invalid")
    assert problem["attemptsRemaining"] >= 1
    recovery_verify(server, contract, flow_id, "12ab", expect=422, expect_code="code.invalid")

    wait_until(parse_time(recovery["resendAvailableAt"]))
    resent = recovery_resend(server, contract, flow_id)
    assert resent["flowId"] == flow_id and resent["channel"] == "email"
    second_code = server.newest_code(email, exclude=(registration_code, first_code))
    if second_code != first_code:
        recovery_verify(server, contract, flow_id, first_code, expect=422, expect_code="code.invalid")
    verified = recovery_verify(server, contract, flow_id, "-".join([second_code[:3], second_code[3:]]))
    assert verified == {"flowId": flow_id, "status": "verified"}
    recovery_verify(server, contract, flow_id, second_code, expect=409, expect_code="recovery.already_verified")
    recovery_resend(server, contract, flow_id, expect=409, expect_code="recovery.already_verified")

    problem = recovery_password(server, contract, flow_id, "bob", expect=422, expect_code="password.invalid")
    assert "password.too_short" in {violation["code"] for violation in problem["violations"]}
    recovery_password(server, contract, flow_id, STRONG_PASSWORD, expect=422, expect_code="password.reused")
    done = recovery_password(server, contract, flow_id, NEW_PASSWORD)
    assert done["status"] == "completed" and done["sessionsRevoked"] == 2
    [hold] = done["holds"]
    assert (hold["kind"], hold["reason"]) == ("withdrawal", "password.reset")
    assert (parse_time(hold["until"]) - parse_time(hold["placedAt"])).total_seconds() == 86400

    recovery_password(server, contract, flow_id, "Another-Violet-63", expect=409, expect_code="recovery.completed")
    recovery_verify(server, contract, flow_id, second_code, expect=409, expect_code="recovery.completed")
    recovery_resend(server, contract, flow_id, expect=409, expect_code="recovery.completed")

    # Every session was revoked; the lock is lifted; the new password works and the old one not.
    for token in (first_token, second_token):
        contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=token), expect=401, code="session.required")
    login(server, contract, email, expect=401, expect_code="credentials.invalid")
    reply = server.request("POST", "/api/v1/login", json_body={"identifier": email, "password": NEW_PASSWORD},
                           headers={"User-Agent": "contract-tests/1.0"})
    token = contract.check(LOGIN, reply, expect=200)["session"]["token"]

    holds = contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=token), expect=200)
    assert holds == {"holds": done["holds"]}
    activity = contract.check(ACTIVITY, server.request("GET", "/api/v1/account/activity", token=token), expect=200)
    kinds = [event["kind"] for event in activity["events"]]
    assert {"recovery.started", "recovery.verified", "recovery.finished", "hold.placed", "lock.lifted",
            "code.failed", "login.succeeded"} <= set(kinds), kinds
    assert activity["events"][0]["kind"] in ("login.succeeded", "session.created")
    assert any(event.get("userAgent") == "contract-tests/1.0" for event in activity["events"])
    assert any("userAgent" not in event for event in activity["events"])

    # The operator's view of the same holds, for the withdrawal service.
    assert operator_holds(server, contract, account_id, f"Bearer {operator_key}") == {"holds": done["holds"]}
    other = register(server, contract, unique_email("ivan"))
    assert operator_holds(server, contract, other["accountId"], f"Bearer {operator_key}") == {"holds": []}
    operator_holds(server, contract, "00000000-0000-4000-8000-000000000000", f"Bearer {operator_key}",
                   expect=404, expect_code="account.not_found")
    for authorization in (None, "Bearer wrong-key", f"Basic {operator_key}", f"Bearer {token}", f"Bearer {operator_key}x"):
        reply = server.request("GET", f"/api/v1/admin/accounts/{account_id}/holds",
                               headers={"Authorization": authorization} if authorization else {})
        contract.check(OPERATOR_HOLDS, reply, expect=401, code="operator.unauthorized")
    # The operator key is not a session token.
    contract.check(HOLDS, server.request("GET", "/api/v1/account/holds", token=operator_key),
                   expect=401, code="session.required")


def test_recovery_code_is_exhausted_by_wrong_entries_until_a_new_one_is_sent(server, contract):
    email = unique_email("judy")
    started = start_registration(server, contract, email)
    registration_code = server.newest_code(email)
    verify(server, contract, started["registrationId"], registration_code)
    wait_until(parse_time(started["resendAvailableAt"]))
    recovery = start_recovery(server, contract, email)
    flow_id = recovery["flowId"]
    code = server.newest_code(email, exclude=(registration_code,))
    wrong = wrong_code(code)

    problem = recovery_verify(server, contract, flow_id, wrong, expect=422, expect_code="code.invalid")
    for remaining in range(problem["attemptsRemaining"] - 1, 0, -1):
        problem = recovery_verify(server, contract, flow_id, wrong, expect=422, expect_code="code.invalid")
        assert problem["attemptsRemaining"] == remaining
    recovery_verify(server, contract, flow_id, wrong, expect=410, expect_code="code.exhausted")
    recovery_verify(server, contract, flow_id, code, expect=410, expect_code="code.exhausted")

    wait_until(parse_time(recovery["resendAvailableAt"]))
    recovery_resend(server, contract, flow_id)
    new_code = server.newest_code(email, exclude=(registration_code, code))
    recovery_verify(server, contract, flow_id, new_code)


def test_recovery_input_errors(server, contract):
    def post(path, **kwargs):
        return server.request("POST", path, **kwargs)

    start_recovery(server, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")
    start_recovery(server, contract, "not an identifier", expect=422, expect_code="identifier.invalid")
    phone = f"+44 7700 8{time.time_ns() % 10**5:05d}"
    registration = start_registration(server, contract, phone)
    assert registration["channel"] == "sms"
    # The code limits are counted before the account is looked up, so probing is limited too.
    start_recovery(server, contract, phone, expect=429, expect_code="code.resend_too_soon")
    wait_until(parse_time(registration["resendAvailableAt"]))
    start_recovery(server, contract, phone, expect=409, expect_code="account.registration_incomplete")

    for body, field in [({}, "identifier"), ({"identifier": 5}, "identifier"), ({"identifier": None}, "identifier")]:
        contract.assert_request_invalid(RECOVERY, body)
        problem = contract.check(RECOVERY, post("/api/v1/recovery", json_body=body), expect=400, code="request.invalid_field")
        assert problem["field"] == field
    contract.check(RECOVERY, post("/api/v1/recovery", body=b'{"identifier": ', headers={"Content-Type": "application/json"}),
                   expect=400, code="request.malformed")

    unknown = "00000000-0000-4000-8000-000000000000"
    registration = start_registration(server, contract, unique_email("kim"))["registrationId"]
    for flow_id in (unknown, registration):
        recovery_resend(server, contract, flow_id, expect=404, expect_code="recovery.not_found")
        recovery_verify(server, contract, flow_id, "123456", expect=404, expect_code="recovery.not_found")
        recovery_password(server, contract, flow_id, NEW_PASSWORD, expect=404, expect_code="recovery.not_found")
    for operation, suffix, body, field in [(RECOVERY_VERIFY, "verify", {"newPassword": NEW_PASSWORD}, "code"),
                                           (RECOVERY_VERIFY, "verify", {"code": 123456}, "code"),
                                           (RECOVERY_PASSWORD, "password", {"code": "123456"}, "newPassword"),
                                           (RECOVERY_PASSWORD, "password", {"newPassword": ["x"]}, "newPassword")]:
        contract.assert_request_invalid(operation, body)
        problem = contract.check(operation, post(f"/api/v1/recovery/{unknown}/{suffix}", json_body=body),
                                 expect=400, code="request.invalid_field")
        assert problem["field"] == field
    for operation, suffix in [(RECOVERY_VERIFY, "verify"), (RECOVERY_PASSWORD, "password")]:
        contract.check(operation, post(f"/api/v1/recovery/{unknown}/{suffix}", body=b"{",
                                       headers={"Content-Type": "application/json"}),
                       expect=400, code="request.malformed")


def test_too_many_wrong_recovery_codes_pause_recovery(start_server, contract, relaxed_limits):
    paused = start_server(**cheap_hashing(KEYWARD_RECOVERY_MAX_CODE_FAILURES="3", KEYWARD_CODE_RESEND_INTERVAL="1",
                                          **relaxed_limits))

    def recovering_account(label):
        email = unique_email(label)
        started = start_registration(paused, contract, email)
        registration_code = paused.newest_code(email)
        verify(paused, contract, started["registrationId"], registration_code)
        wait_until(parse_time(started["resendAvailableAt"]))
        flow_id = start_recovery(paused, contract, email)["flowId"]
        return email, flow_id, paused.newest_code(email, exclude=(registration_code,))

    email, flow_id, code = recovering_account("leo")
    recovery_verify(paused, contract, flow_id, wrong_code(code), expect=422, expect_code="code.invalid")
    recovery_verify(paused, contract, flow_id, "12ab", expect=422, expect_code="code.invalid")
    locked = recovery_verify(paused, contract, flow_id, wrong_code(code), expect=423, expect_code="recovery.locked")
    assert locked["retryAfter"] >= 7000
    # The lock holds for the right code too, but does not stop sign-in.
    recovery_verify(paused, contract, flow_id, code, expect=423, expect_code="recovery.locked")
    login(paused, contract, email, expect=200)

    # Wrong codes sent at the same moment: beyond the allowance they are refused without a check.
    seen = set()
    for attempt in range(5):
        _, flow_id, code = recovering_account("mia")
        body = {"code": wrong_code(code)}
        answers = in_parallel(10, lambda _: paused.request("POST", f"/api/v1/recovery/{flow_id}/verify", json_body=body))
        for reply in answers:
            problem = contract.check(RECOVERY_VERIFY, reply)
            assert (reply.status, problem["code"]) in {(422, "code.invalid"), (423, "recovery.locked"),
                                                       (429, "rate_limited")}, reply.body[:300]
            seen.add(problem["code"])
        if "rate_limited" in seen:
            break
    assert "rate_limited" in seen, f"no parallel wrong code was answered rate_limited: {seen}"


# ---------------------------------------------------------------------------------------------
# Rate limits: a server whose limits are small and whose windows never roll over during a test.
# ---------------------------------------------------------------------------------------------

def test_rate_limits_answer_rate_limited(start_server, contract):
    limited = start_server(**cheap_hashing(
        KEYWARD_CODE_RESEND_INTERVAL="1",
        KEYWARD_RATE_CODES_PER_IP=f"100000/{NEVER_ENDING}",
        KEYWARD_RATE_CODES_PER_DESTINATION=f"2/{NEVER_ENDING}",
        KEYWARD_RATE_SIGNINS_PER_IP=f"100000/{NEVER_ENDING}",
        KEYWARD_RATE_SIGNINS_PER_IDENTIFIER=f"3/{NEVER_ENDING}"))

    # Registration: the first code and one resend fit the destination's limit of two.
    email = unique_email("nina")
    started = start_registration(limited, contract, email)
    wait_until(parse_time(started["resendAvailableAt"]))
    resent, _ = resend(limited, contract, started["registrationId"])
    wait_until(parse_time(resent["resendAvailableAt"]))
    _, reply = resend(limited, contract, started["registrationId"], expect=429, expect_code="rate_limited")
    assert reply.json()["retryAfter"] > 3600
    contract.check(REGISTRATIONS, limited.request("POST", "/api/v1/registrations",
                                                  json_body={"identifier": email, "password": STRONG_PASSWORD}),
                   expect=429, code="rate_limited")

    # Recovery: the registration's code and the recovery's first use up the limit.
    email = unique_email("omar")
    started = start_registration(limited, contract, email)
    verify(limited, contract, started["registrationId"], limited.newest_code(email))
    wait_until(parse_time(started["resendAvailableAt"]))
    recovery = start_recovery(limited, contract, email)
    wait_until(parse_time(recovery["resendAvailableAt"]))
    recovery_resend(limited, contract, recovery["flowId"], expect=429, expect_code="rate_limited")
    start_recovery(limited, contract, email, expect=429, expect_code="rate_limited")

    # Sign-in: three attempts naming one identifier, right or wrong, then 429 before any check.
    login(limited, contract, email, expect=200)
    login(limited, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(limited, contract, email, expect=200)
    problem = login(limited, contract, email, expect=429, expect_code="rate_limited")
    assert problem["retryAfter"] > 3600
    login(limited, contract, unique_email("nobody"), expect=404, expect_code="account.not_found")


# ---------------------------------------------------------------------------------------------
# Strict mode: login.revealAccountExistence off.
# ---------------------------------------------------------------------------------------------

def test_strict_mode_answers_every_failed_sign_in_alike(start_server, contract, relaxed_limits):
    strict = start_server(**cheap_hashing(KEYWARD_LOGIN_REVEAL_ACCOUNT_EXISTENCE="false", KEYWARD_LOCKOUT_MAX_FAILURES="2",
                                          KEYWARD_LOGIN_STRICT_FAILURE_FLOOR_MS="0", **relaxed_limits))
    email = unique_email("pia")
    register(strict, contract, email)
    for identifier in (unique_email("nobody"), "not an identifier"):
        login(strict, contract, identifier, expect=401, expect_code="credentials.invalid")
    login(strict, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(strict, contract, email, "Wrong-Lantern-99", expect=401, expect_code="credentials.invalid")
    login(strict, contract, email, expect=401, expect_code="credentials.invalid")  # locked

    # Recovery for an identifier without an account looks the same, but no code is sent.
    stranger = unique_email("nobody")
    recovery = start_recovery(strict, contract, stranger)
    assert recovery["channel"] == "email"
    recovery_verify(strict, contract, recovery["flowId"], "123456", expect=422, expect_code="code.invalid")
    assert not [message for message in strict.mailbox() if message.get("to") == stranger]


# ---------------------------------------------------------------------------------------------
# Overload: a server with one hashing thread and room for one waiting job.
# ---------------------------------------------------------------------------------------------

def test_a_full_hashing_queue_answers_server_busy(start_server, contract, relaxed_limits):
    busy = start_server(KEYWARD_HASHING_THREADS="1", KEYWARD_HASHING_QUEUE_LIMIT="1", KEYWARD_ARGON2_ITERATIONS="3",
                        KEYWARD_ARGON2_MEMORY_KIB="4096", KEYWARD_CODE_RESEND_INTERVAL="1", **relaxed_limits)
    # A recovery waiting for its new password, set up one request at a time.
    email = unique_email("load")
    started = start_registration(busy, contract, email)
    registration_code = busy.newest_code(email)
    verify(busy, contract, started["registrationId"], registration_code)
    wait_until(parse_time(started["resendAvailableAt"]))
    flow_id = start_recovery(busy, contract, email)["flowId"]
    recovery_verify(busy, contract, flow_id, busy.newest_code(email, exclude=(registration_code,)))

    requests = [(LOGIN, "/api/v1/login", {"identifier": unique_email("load"), "password": STRONG_PASSWORD})
                for _ in range(24)]
    requests += [(REGISTRATIONS, "/api/v1/registrations", {"identifier": unique_email("load"), "password": STRONG_PASSWORD})
                 for _ in range(12)]
    requests += [(RECOVERY_PASSWORD, f"/api/v1/recovery/{flow_id}/password", {"newPassword": NEW_PASSWORD})
                 for _ in range(8)]
    allowed = {LOGIN: {404}, REGISTRATIONS: {201}, RECOVERY_PASSWORD: {200, 409}}

    def send(index):
        operation, path, body = requests[index]
        return operation, busy.request("POST", path, json_body=body, timeout=120)

    answers = in_parallel(len(requests), send)
    busy_by_operation = {operation: 0 for operation in allowed}
    for operation, reply in answers:
        body = contract.check(operation, reply)
        if reply.status == 503:
            assert body["code"] == "server.busy" and body["retryAfter"] >= 1
            busy_by_operation[operation] += 1
        else:
            assert reply.status in allowed[operation], f"{operation}: {reply.status} {reply.body[:300]!r}"
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
