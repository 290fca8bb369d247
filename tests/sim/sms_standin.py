#!/usr/bin/env python3
"""Loopback stand-in for the SMS gateways hotspotd speaks to (docs/sms.md).

Answers, on 127.0.0.1, the three request shapes of api/sms.c and checks each
request exactly as the real gateway would need it:

  POST /2010-04-01/Accounts/{SID}/Messages.json    Twilio: HTTP Basic SID:TOKEN,
       form fields To, From, Body (nothing else)
  POST /version1/messaging                          Africa's Talking: headers
       apiKey and Accept: application/json, form fields username, to,
       message and from (when expected)
  POST|PUT /generic/json, /generic/form             the generic HTTP driver:
       the Authorization header, a JSON object {to, from, message} or the
       form fields to, from, text

A request that breaks a rule gets 400 and is logged with valid=false.  What
a valid request gets depends on a marker in its text:

  case:perm       4xx every time (Twilio 400 with code 21211; AT 401; HTTP 400)
  case:permonce   4xx the first time, then accepted
  case:5xx        503 the first time, then accepted
  case:429        429 the first time, then accepted
  case:timeout    no answer for --delay seconds the first time, then accepted
  case:atreject   AT only: 201 with the recipient's status InvalidPhoneNumber
  anything else   accepted (Twilio 201 {sid}; AT 201 SMSMessageData; HTTP 200
                  {"data": {"id": ...}})

Every request is one JSON line in --log: method, path, valid, problem,
fields, answer (status, or 0 for no answer) and ref.  The port is written to
--port-file once listening.
"""
import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SEEN = {}  # text -> requests so far


def first_time(text):
    with LOCK:
        n = SEEN.get(text, 0)
        SEEN[text] = n + 1
        return n == 0


def mode_of(text):
    for m in ("permonce", "perm", "5xx", "429", "timeout", "atreject"):
        if "case:" + m in text:
            return m
    return "ok"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet; the JSON log is the record
        pass

    def record(self, entry):
        with LOCK, open(self.server.opts.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_form(self, problems):
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            problems.append("content type " + ctype)
        raw = self.body.decode("utf-8", "replace")
        pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True, strict_parsing=False)
        fields = {}
        for k, v in pairs:
            if k in fields:
                problems.append("field twice: " + k)
            fields[k] = v
        return fields

    def expect_fields(self, fields, want, problems):
        if sorted(fields) != sorted(want):
            problems.append("fields %s, want %s" % (sorted(fields), sorted(want)))
        for k, v in want.items():
            if v is not None and fields.get(k) != v:
                problems.append("%s is %r" % (k, fields.get(k)))

    # --- the gateways ------------------------------------------------------

    def twilio(self, problems):
        o = self.server.opts
        want_auth = "Basic " + base64.b64encode(("%s:%s" % (o.sid, o.token)).encode()).decode()
        if self.headers.get("Authorization") != want_auth:
            problems.append("authorization")
        if self.path != "/2010-04-01/Accounts/%s/Messages.json" % o.sid:
            problems.append("path")
        fields = self.read_form(problems)
        self.expect_fields(fields, {"To": None, "From": o.sender, "Body": None}, problems)
        return fields, fields.get("Body", "")

    def twilio_reply(self, mode, fields):
        if mode in ("perm", "permonce"):
            return 400, {"code": 21211, "message": "The 'To' number %s is not a valid phone number."
                         % fields.get("To"), "more_info": "https://www.twilio.com/docs/errors/21211",
                         "status": 400}, None
        ref = "SM" + secrets.token_hex(16)
        return 201, {"sid": ref, "status": "queued", "to": fields.get("To")}, ref

    def at(self, problems):
        o = self.server.opts
        if self.headers.get("apiKey") != o.at_key:
            problems.append("apiKey header")
        if self.headers.get("Accept") != "application/json":
            problems.append("Accept header")
        fields = self.read_form(problems)
        want = {"username": o.at_user, "to": None, "message": None}
        if o.sender:
            want["from"] = o.sender
        self.expect_fields(fields, want, problems)
        return fields, fields.get("message", "")

    def at_reply(self, mode, fields):
        if mode in ("perm", "permonce"):
            return 401, "The supplied authentication is invalid", None
        if mode == "atreject":
            rec = {"statusCode": 403, "number": fields.get("to"), "status": "InvalidPhoneNumber",
                   "cost": "0", "messageId": "None"}
            return 201, {"SMSMessageData": {"Message": "Sent to 0/1", "Recipients": [rec]}}, None
        ref = "ATXid_" + secrets.token_hex(16)
        rec = {"statusCode": 101, "number": fields.get("to"), "status": "Success",
               "cost": "UGX 30.0000", "messageId": ref}
        return 201, {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: UGX 30.0000",
                                        "Recipients": [rec]}}, ref

    def generic(self, problems):
        o = self.server.opts
        if self.headers.get("Authorization") != o.http_auth:
            problems.append("authorization")
        if self.path == "/generic/json":
            if self.headers.get("Content-Type") != "application/json":
                problems.append("content type")
            try:
                fields = json.loads(self.body.decode("utf-8"))
            except ValueError:
                problems.append("body is not JSON")
                fields = {}
            if not isinstance(fields, dict):
                problems.append("body is not an object")
                fields = {}
            self.expect_fields(fields, {"to": None, "from": o.sender, "message": None}, problems)
            return fields, fields.get("message", "") if isinstance(fields.get("message"), str) else ""
        fields = self.read_form(problems)
        self.expect_fields(fields, {"to": None, "from": o.sender, "text": None}, problems)
        return fields, fields.get("text", "")

    def generic_reply(self, mode, fields):
        if mode in ("perm", "permonce"):
            return 400, {"error": "rejected"}, None
        ref = "gw-" + secrets.token_hex(8)
        return 200, {"data": {"id": ref}}, ref

    # --- dispatch ------------------------------------------------------------

    def handle_any(self):
        n = int(self.headers.get("Content-Length", "0") or "0")
        self.body = self.rfile.read(n) if n else b""
        problems = []
        if self.path.startswith("/2010-04-01/Accounts/"):
            gw, reply = self.twilio, self.twilio_reply
        elif self.path == "/version1/messaging":
            gw, reply = self.at, self.at_reply
        elif self.path in ("/generic/json", "/generic/form"):
            gw, reply = self.generic, self.generic_reply
        else:
            self.record({"method": self.command, "path": self.path, "valid": False,
                         "problem": "unknown path", "answer": 404})
            return self.answer(404, {"message": "no such path"})
        expect_method = "PUT" if self.path == "/generic/form" and self.server.opts.put else "POST"
        if self.command != expect_method:
            problems.append("method " + self.command)
        fields, text = gw(problems)
        entry = {"method": self.command, "path": self.path, "valid": not problems,
                 "problem": "; ".join(problems), "fields": fields, "ref": None}
        if problems:
            entry["answer"] = 400
            self.record(entry)
            return self.answer(400, {"code": 0, "message": "standin: " + "; ".join(problems)})
        mode = mode_of(text)
        once = first_time(text)
        if mode == "timeout" and once:
            entry["answer"] = 0
            self.record(entry)
            time.sleep(self.server.opts.delay)
            self.close_connection = True
            return None
        if mode in ("5xx", "429") and once:
            entry["answer"] = 503 if mode == "5xx" else 429
            self.record(entry)
            return self.answer(entry["answer"], {"message": "try later"})
        if mode == "permonce" and not once:
            mode = "ok"
        status, body, ref = reply(mode, fields)
        entry["answer"], entry["ref"] = status, ref
        self.record(entry)
        if isinstance(body, str):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        return self.answer(status, body)

    do_POST = handle_any
    do_PUT = handle_any
    do_GET = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--sid", default="AC0123456789abcdef0123456789abcdef")
    ap.add_argument("--token", default="")
    ap.add_argument("--at-user", default="")
    ap.add_argument("--at-key", default="")
    ap.add_argument("--http-auth", default="")
    ap.add_argument("--sender", default="")
    ap.add_argument("--put", action="store_true", help="/generic/form expects PUT")
    ap.add_argument("--delay", type=float, default=4.0)
    opts = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.opts = opts
    with open(opts.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(opts.port_file + ".tmp", opts.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
