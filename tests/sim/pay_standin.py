#!/usr/bin/env python3
"""Loopback stand-ins of the Stripe and Flutterwave APIs for the payment suites.

    pay_standin.py PORT STRIPE_KEY FLUTTERWAVE_KEY

Checks each request as the real API would need it (Bearer key, method, path,
form or JSON fields, types) and answers 400/401 when it is wrong, so that a
driver sending a wrong request fails the suite. Every request is recorded;
the suites read and steer the stand-in through /_ctl:

    GET  /_ctl/log                   the requests so far (JSON array)
    POST /_ctl/mode {"delay": s, "status": code, "prefix": "/v1/"}
                                     answers under prefix wait s seconds and/or
                                     answer status (500...) instead; {} resets
    POST /_ctl/stripe/<cs_id>        {"paid": true} marks a session paid
    POST /_ctl/flw/<id>              patch a transaction (status, amount, currency)
"""
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, STRIPE_KEY, FLW_KEY = int(sys.argv[1]), sys.argv[2], sys.argv[3]
LOCK = threading.Lock()
LOG = []
MODE = {}
SESSIONS = {}  # cs id -> session
TXNS = {}  # flutterwave id -> transaction
COUNTER = [1000]

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def next_id():
    with LOCK:
        COUNTER[0] += 1
        return COUNTER[0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    def record(self, body):
        with LOCK:
            LOG.append({"method": self.command, "path": self.path, "body": body,
                        "auth": self.headers.get("Authorization"),
                        "ctype": self.headers.get("Content-Type"),
                        "idempotency_key": self.headers.get("Idempotency-Key")})

    def steered(self):
        prefix = MODE.get("prefix", "/")
        if not self.path.startswith(prefix):
            return False
        if MODE.get("delay"):
            time.sleep(MODE["delay"])
        if MODE.get("status"):
            self.answer(MODE["status"], {"error": {"message": "stand-in failure"},
                                         "status": "error", "message": "stand-in failure"})
            return True
        return False

    def auth_ok(self, key):
        if self.headers.get("Authorization") != "Bearer " + key:
            self.answer(401, {"error": {"message": "bad key"}, "status": "error",
                              "message": "bad key"})
            return False
        return True

    # --- control ---------------------------------------------------------------

    def ctl(self, body):
        if self.command == "GET" and self.path == "/_ctl/log":
            with LOCK:
                return self.answer(200, LOG)
        data = json.loads(body or "{}")
        if self.path == "/_ctl/mode":
            MODE.clear()
            MODE.update(data)
            return self.answer(200, MODE)
        m = re.match(r"^/_ctl/stripe/(cs_[0-9]+)$", self.path)
        if m and m.group(1) in SESSIONS:
            s = SESSIONS[m.group(1)]
            if data.get("paid"):
                s["payment_status"] = "paid"
                s["status"] = "complete"
                s["payment_intent"] = "pi_" + m.group(1)[3:]
            return self.answer(200, s)
        m = re.match(r"^/_ctl/flw/([0-9]+)$", self.path)
        if m and int(m.group(1)) in TXNS:
            TXNS[int(m.group(1))].update(data)
            return self.answer(200, TXNS[int(m.group(1))])
        return self.answer(404, {})

    # --- Stripe -----------------------------------------------------------------

    def stripe_session_create(self, body):
        f = dict(urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True))
        need = {"mode": "payment", "line_items[0][quantity]": "1"}
        problems = [k for k, v in need.items() if f.get(k) != v]
        pid = f.get("metadata[payment_id]", "")
        if not UUID.match(pid) or f.get("payment_intent_data[metadata][payment_id]") != pid \
                or f.get("client_reference_id") != pid:
            problems.append("metadata[payment_id]")
        if not re.match(r"^[a-z]{3}$", f.get("line_items[0][price_data][currency]", "")):
            problems.append("currency")
        if not re.match(r"^[1-9][0-9]*$", f.get("line_items[0][price_data][unit_amount]", "")):
            problems.append("unit_amount")
        if not f.get("line_items[0][price_data][product_data][name]"):
            problems.append("product_data[name]")
        for k in ("success_url", "cancel_url"):
            if not re.match(r"^https?://", f.get(k, "")):
                problems.append(k)
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            problems.append("content-type")
        if self.headers.get("Idempotency-Key") != pid:
            problems.append("Idempotency-Key")
        if problems:
            return self.answer(400, {"error": {"message": "bad fields: " + ",".join(problems)}})
        cs = "cs_%d" % next_id()
        SESSIONS[cs] = {"id": cs, "object": "checkout.session",
                        "url": "https://checkout.stripe.test/c/pay/" + cs,
                        "amount_total": int(f["line_items[0][price_data][unit_amount]"]),
                        "currency": f["line_items[0][price_data][currency]"],
                        "metadata": {"payment_id": pid}, "payment_status": "unpaid",
                        "status": "open", "payment_intent": None}
        return self.answer(200, SESSIONS[cs])

    def stripe(self, body):
        if not self.auth_ok(STRIPE_KEY):
            return
        if self.command == "POST" and self.path == "/v1/checkout/sessions":
            return self.stripe_session_create(body)
        m = re.match(r"^/v1/checkout/sessions/(cs_[0-9]+)$", self.path)
        if self.command == "GET" and m:
            if m.group(1) not in SESSIONS:
                return self.answer(404, {"error": {"message": "no such session"}})
            return self.answer(200, SESSIONS[m.group(1)])
        if self.command == "POST" and self.path == "/v1/refunds":
            f = dict(urllib.parse.parse_qsl(body, strict_parsing=True))
            pi = f.get("payment_intent", "")
            paid = [s for s in SESSIONS.values() if s["payment_intent"] == pi]
            if not paid or not re.match(r"^[1-9][0-9]*$", f.get("amount", "")) \
                    or int(f["amount"]) > paid[0]["amount_total"]:
                return self.answer(400, {"error": {"message": "bad refund"}})
            return self.answer(200, {"id": "re_%d" % next_id(), "status": "succeeded",
                                     "payment_intent": pi, "amount": int(f["amount"])})
        return self.answer(404, {"error": {"message": "unknown path"}})

    # --- Flutterwave ----------------------------------------------------------------

    def flw_charge(self, body):
        try:
            d = json.loads(body)
        except ValueError:
            return self.answer(400, {"status": "error", "message": "not JSON"})
        ok = (isinstance(d, dict) and UUID.match(str(d.get("tx_ref", "")))
              and isinstance(d.get("amount"), int) and d["amount"] > 0
              and d.get("currency") == "UGX"
              and re.match(r"^[0-9]{4,20}$", str(d.get("phone_number", "")))
              and "@" in str(d.get("email", ""))
              and self.headers.get("Content-Type") == "application/json")
        if not ok:
            return self.answer(400, {"status": "error", "message": "bad charge request"})
        n = next_id()
        TXNS[n] = {"id": n, "tx_ref": d["tx_ref"], "flw_ref": "FLW-MOCK-%d" % n,
                   "amount": d["amount"], "currency": "UGX", "status": "pending",
                   "payment_type": "mobilemoneyug"}
        return self.answer(200, {"status": "success", "message": "Charge initiated",
                                 "data": dict(TXNS[n])})

    def flw(self, body):
        if not self.auth_ok(FLW_KEY):
            return
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if self.command == "POST" and u.path == "/v3/charges" and q == {"type": "mobile_money_uganda"}:
            return self.flw_charge(body)
        m = re.match(r"^/v3/transactions/([0-9]+)/verify$", u.path)
        if self.command == "GET" and m:
            t = TXNS.get(int(m.group(1)))
            if not t:
                return self.answer(404, {"status": "error", "message": "No transaction was found"})
            return self.answer(200, {"status": "success", "message": "Transaction fetched",
                                     "data": t})
        if self.command == "GET" and u.path == "/v3/transactions/verify_by_reference":
            t = [t for t in TXNS.values() if t["tx_ref"] == q.get("tx_ref")]
            if not t:
                return self.answer(404, {"status": "error", "message": "No transaction was found"})
            return self.answer(200, {"status": "success", "message": "Transaction fetched",
                                     "data": t[0]})
        m = re.match(r"^/v3/transactions/([0-9]+)/refund$", u.path)
        if self.command == "POST" and m:
            t = TXNS.get(int(m.group(1)))
            d = json.loads(body or "{}")
            if not t or t["status"] != "successful" or not isinstance(d.get("amount"), int) \
                    or d["amount"] > t["amount"]:
                return self.answer(400, {"status": "error", "message": "bad refund"})
            return self.answer(200, {"status": "success", "message": "Transaction refund initiated",
                                     "data": {"id": next_id(), "tx_id": t["id"],
                                              "amount_refunded": d["amount"],
                                              "status": "completed"}})
        return self.answer(404, {"status": "error", "message": "unknown path"})

    def handle_any(self):
        body = self.body()
        if self.path.startswith("/_ctl/"):
            return self.ctl(body)
        self.record(body)
        if self.steered():
            return
        if self.path.startswith("/v1/"):
            return self.stripe(body)
        if self.path.startswith("/v3/"):
            return self.flw(body)
        return self.answer(404, {})

    do_GET = do_POST = handle_any


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
