"""A real SMTP server (aiosmtpd) for Keyward's delivery tests.

Prints one line, ``ready <port>``, once it listens on 127.0.0.1, then writes every message it
accepts to ``<out>/<n>.json``, decoded with Python's own email parser, before answering 250: so
when a client sees the message accepted, the file is there.

Options choose what kind of server it is: STARTTLS required (--cert/--key), implicit TLS
(--implicit-tls), a login required (--login user:password), recipients refused for good
(--refuse) or for now (--defer), or a listener that never says a word (--silent).
"""
import argparse
import email
import email.policy
import json
import os
import signal
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, SMTP


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    def __init__(self, out, refuse, defer):
        self.out, self.refuse, self.defer, self.count = out, set(refuse), set(defer), 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        if address in self.defer:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.count += 1
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": getattr(session, "keyward_login", None),
            "headers": {name: str(value) for name, value in message.items()},
            "subject": str(message["Subject"]),
            "body": message.get_content().replace("\r\n", "\n"),
            "contentType": message.get_content_type(),
            "charset": message.get_content_charset(),
            "longestLine": max(len(line) for line in raw.split(b"\r\n")),
            "raw": raw.decode("ascii", errors="replace"),
        }
        path = os.path.join(self.out, f"{self.count}.json")
        with open(path + ".tmp", "w") as handle:
            json.dump(record, handle)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Message accepted"


def serve_until_parent_ends(parent):
    """Keeps running while the process that started this one lives, so that a test run that
    crashes never leaves a server (and the output pipe it holds) behind."""
    while os.getppid() == parent:
        time.sleep(0.2)


def main():
    parent = os.getppid()
    # A parent may start this with signals blocked; let SIGTERM and SIGINT end it as usual.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--login")
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--defer", action="append", default=[])
    parser.add_argument("--silent", action="store_true")
    options = parser.parse_args()
    port = free_port()

    if options.silent:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        print(f"ready {port}", flush=True)
        listener.settimeout(0.2)
        held = []
        while os.getppid() == parent:
            try:
                held.append(listener.accept()[0])
            except socket.timeout:
                pass
        return

    context = None
    if options.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options.cert, options.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, password = options.login.split(":", 1)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        if ok:
            session.keyward_login = auth_data.login.decode()
        return AuthResult(success=ok, handled=False)

    recorder = Recorder(options.out, options.refuse, options.defer)
    settings = dict(hostname="127.0.0.1", port=port, server_hostname="mail.test")
    if options.implicit_tls:
        settings["ssl_context"] = context
    elif context is not None:
        settings.update(tls_context=context, require_starttls=True)
    if options.login:
        settings.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller = Controller(recorder, **settings)
    controller.start()
    print(f"ready {port}", flush=True)
    try:
        serve_until_parent_ends(parent)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
