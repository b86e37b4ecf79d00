#!/usr/bin/env python3
# Sends one message to the HTTP send API with Python requests, as an application would:
#   requests-send.py URL KEY SUBJECT [IDEMPOTENCY-KEY]
# Prints the status, the Idempotent-Replayed header and the JSON answer on one line each.
import json
import sys

import requests

url, key, subject = sys.argv[1], sys.argv[2], sys.argv[3]
headers = {"X-Auth-APIKey": key}
if len(sys.argv) > 4:
    headers["Idempotency-Key"] = sys.argv[4]
body = {
    "from": {"email": "shop@example.com", "name": "Shop Python"},
    "to": [{"email": "py@example.net", "name": "Jürgen Py"}],
    "subject": subject,
    "html": "<p>Hello {{ name }}, {{ amount }}</p>",
    "variables": {"name": "Jürgen", "amount": 12.5},
    "tag": "python",
}
r = requests.post(url, json=body, headers=headers, timeout=20)
print(r.status_code)
print(r.headers.get("Idempotent-Replayed", ""))
print(json.dumps(r.json()))
