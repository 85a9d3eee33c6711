"""A real SMTP server for tests (aiosmtpd), bound to 127.0.0.1 on a free port.

Usage: python smtp_sink.py [--tls starttls|tls]

Without --tls the server speaks plain SMTP and prints `READY <port>`. With
--tls it first makes a throwaway CA and a server certificate for 127.0.0.1
and localhost (the `cryptography` package), then serves either STARTTLS
(required before MAIL: `starttls`) or TLS from the first byte (`tls`), and
prints `READY <port> <ca.pem path>`: a client trusts that CA to connect.

Then one JSON line per received message: {"mail_from", "rcpt_tos", "data",
"tls"} (data is the raw message text; tls is the session's TLS version, e.g.
"TLSv1.3", or null when the message came over plain text). Stops when its
stdin closes or on SIGTERM; the certificate folder is removed on stop.
"""
import argparse
import datetime
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading

from aiosmtpd.controller import Controller


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        ssl_object = server.transport.get_extra_info("ssl_object")
        line = json.dumps(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf8", errors="replace"),
                "tls": ssl_object.version() if ssl_object is not None else None,
            }
        )
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return "250 Message accepted for delivery"


class OneLine(logging.Filter):
    """aiosmtpd logs a refused TLS handshake (a test's client without the CA)
    with two tracebacks: keep one line naming the cause."""

    def filter(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            cause = e.__cause__ or e
            record.msg = f"{record.getMessage()}: {type(cause).__name__}: {cause}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificates(folder):
    """A CA and a server certificate (127.0.0.1, localhost) signed by it.

    Returns (ca.pem, server.pem, server.key) paths inside `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tieout test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    paths = tuple(os.path.join(folder, n) for n in ("ca.pem", "server.pem", "server.key"))
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tls", choices=["starttls", "tls"], default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="smtp_sink: %(message)s")
    logging.getLogger("mail.log").addFilter(OneLine())

    port = free_port()
    folder = None
    ready = f"READY {port}"
    if args.tls is None:
        controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    else:
        folder = tempfile.mkdtemp(prefix="tieout-smtp-sink-")
        ca_path, cert_path, key_path = make_certificates(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        if args.tls == "starttls":
            controller = Controller(
                Recorder(),
                hostname="127.0.0.1",
                port=port,
                tls_context=context,
                require_starttls=True,
            )
        else:
            controller = Controller(
                Recorder(), hostname="127.0.0.1", port=port, ssl_context=context
            )
        ready = f"READY {port} {ca_path}"
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        controller.start()
        sys.stdout.write(ready + "\n")
        sys.stdout.flush()

        def wait_stdin():
            sys.stdin.read()
            done.set()

        threading.Thread(target=wait_stdin, daemon=True).start()
        while not done.wait(0.5):
            pass
        controller.stop()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
