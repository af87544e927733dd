#!/usr/bin/env python3
"""A webhook receiver for crm: verifies each delivery with the Standard Webhooks reference
library, drops duplicates (a retry carries the same webhook-id), and prints each event.

    pip install standardwebhooks
    WEBHOOK_SECRET=whsec_... python3 examples/webhooks/receiver.py  # listens on 127.0.0.1:8000

Answer 2xx quickly: anything else, or no answer within 15 s, is retried. A real receiver would
put the event on its own queue here and process it after answering.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = os.environ.get("WEBHOOK_SECRET")
if not SECRET:
    sys.exit("set WEBHOOK_SECRET to the endpoint's secret (whsec_...)")
HOOK = Webhook(SECRET)
LISTEN = os.environ.get("LISTEN", "127.0.0.1:8000")
seen = set()  # webhook-ids already handled; keep them in your database in real life


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            event = HOOK.verify(body, headers)
        except WebhookVerificationError as error:
            self.send_response(400)
            self.end_headers()
            print(f"refused: {error}", flush=True)
            return
        event_id = headers["webhook-id"]
        if event_id in seen:
            print(f"duplicate {event_id}: already handled", flush=True)
        else:
            seen.add(event_id)
            print(json.dumps({"verified": event_id, "type": event["type"], "seq": event["seq"],
                              "object": event["data"]["object"].get("id")}), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    host, port = LISTEN.rsplit(":", 1)
    print(f"listening on http://{LISTEN}", flush=True)
    ThreadingHTTPServer((host, int(port)), Receiver).serve_forever()
