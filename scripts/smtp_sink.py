"""A real SMTP server for tests (aiosmtpd), bound to 127.0.0.1 on a free port.

Prints `READY <port>` once listening, then one JSON line per received message:
{"mail_from", "rcpt_tos", "data"} (data is the raw message text). Stops when
its stdin closes or on SIGTERM. Usage: python smtp_sink.py
"""
import json
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        line = json.dumps(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf8", errors="replace"),
            }
        )
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    sys.stdout.write(f"READY {port}\n")
    sys.stdout.flush()
    done = threading.Event()

    def wait_stdin():
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
