# An aiosmtpd server for tests/interop.rs (run by Debian's /usr/bin/python3,
# the test writes this file into its temp dir):
#
#   aiosmtpd_server.py OUT CERT KEY PORT USER PASSWORD
#
# listens on 127.0.0.1:PORT, offers STARTTLS (CERT/KEY, PEM) and requires it
# before mail, offers AUTH (PLAIN, LOGIN) only under TLS and accepts USER
# with PASSWORD. Each message's bytes (as received, dot-stuffing undone, no
# header added) go to OUT/msg/NNN.eml, written in OUT/tmp and renamed; its
# envelope first to OUT/meta/NNN. Prints "ready" once listening; exits by
# itself after two minutes should nobody stop it.
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out, cert, key, port, user, password = sys.argv[1:7]
for sub in ("msg", "tmp", "meta"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)


class Store:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        name = "%03d" % self.n
        with open(os.path.join(out, "meta", name), "w", encoding="utf-8") as f:
            f.write("from=%s\n" % envelope.mail_from)
            f.write("rcpt=%s\n" % ",".join(envelope.rcpt_tos))
            f.write("tls=%s\n" % (session.ssl is not None))
            f.write("auth=%s\n" % session.authenticated)
        tmp = os.path.join(out, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(out, "msg", name + ".eml"))
        return "250 2.0.0 stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == user.encode()
        and auth_data.password == password.encode()
    )
    # handled=False: smtp_AUTH then sends the 535 itself (with the default
    # handled=True a refusal would go unanswered).
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Store(),
    hostname="127.0.0.1",
    port=int(port),
    server_hostname="aiosmtpd.example",
    tls_context=context,
    require_starttls=True,
    authenticator=authenticator,
    auth_require_tls=True,
)
controller.start()
print("ready", flush=True)
try:
    time.sleep(120)
finally:
    controller.stop()
