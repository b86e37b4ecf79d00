# Sends the client matrix's message with Python's smtplib, as a Python app or script would.
# argv[1]: JSON {host, port, auth, key, cafile, method, envelope_from, rcpt, from_header, message, raw_file}.
#   auth: STARTTLS (trusting the relay's certificate) + AUTH LOGIN with the API key as password; else no
#         TLS and the key is already in the message's X-Auth-APIKey header.
#   method "send_message": an EmailMessage built with the email API; "sendmail": the bytes of raw_file
#         as they are (LF line endings, as a script writes them).
import json
import smtplib
import ssl
import sys
from email.message import EmailMessage

p = json.loads(sys.argv[1])
with smtplib.SMTP(p["host"], p["port"], timeout=20) as smtp:
    if p["auth"]:
        smtp.starttls(context=ssl.create_default_context(cafile=p["cafile"]))
        smtp.login("app", p["key"])
    if p["method"] == "send_message":
        m = p["message"]
        msg = EmailMessage()
        msg["From"] = p["from_header"]
        msg["To"] = m["toName"]
        msg["Subject"] = m["subject"]
        for name, value in m["headers"].items():
            msg[name] = value
        msg.set_content(m["text"])
        msg.add_alternative(m["html"], subtype="html")
        smtp.send_message(msg, from_addr=p["envelope_from"], to_addrs=[p["rcpt"]])
    else:
        with open(p["raw_file"], "rb") as f:
            smtp.sendmail(p["envelope_from"], [p["rcpt"]], f.read())
print("sent")
