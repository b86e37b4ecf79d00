# An aiosmtpd upstream for txrelay's delivery tests (Debian's python3-aiosmtpd).
# argv: port, script JSON. The script maps "mail", "rcpt:<address>", "data" to reply sequences: the n-th time a
# key is used it answers the n-th reply (the last one repeats); "250..." replies accept. Every accepted message
# is printed as one JSON line on stdout; "READY" is printed once listening.
import asyncio, base64, json, sys
from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, script):
        self.script = script
        self.counts = {}

    def scripted(self, key):
        seq = self.script.get(key)
        if not seq:
            return None
        n = self.counts.get(key, 0)
        self.counts[key] = n + 1
        return seq[min(n, len(seq) - 1)]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        r = self.scripted("mail")
        if r and not r.startswith("250"):
            return r
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return r or "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        r = self.scripted("rcpt:" + address)
        if r and not r.startswith("250"):
            return r
        envelope.rcpt_tos.append(address)
        return r or "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        r = self.scripted("data")
        if r and not r.startswith("250"):
            return r
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "options": envelope.mail_options,
            "body": base64.b64encode(envelope.original_content or envelope.content).decode("ascii"),
            "peer": str(session.peer[1]),
        }
        print(json.dumps(record), flush=True)
        return r or "250 2.0.0 OK queued"


def main():
    port = int(sys.argv[1])
    script = json.loads(sys.argv[2])
    controller = Controller(Handler(script), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()  # runs until the test closes our stdin
    finally:
        controller.stop()


main()
