#!/usr/bin/env python3
"""JSON fuzz run of hotspotd's REST API, over real HTTP (standard library only).

Sends to every route of the route table (as `hotspotd routes` prints it)
bodies, query strings and path segments made from valid examples (those of
the OpenAPI document hotspotd serves, or made from its schemas) and then
broken: JSON cut short or mangled, members of the wrong type, huge numbers,
deep nesting, broken UTF-8, NUL bytes, long strings, unicode escapes (lone
surrogates included), duplicate members, top levels that are not objects.

Checked for every answer: no status of 500 or more (the database is up;
a documented 502 or 504 of an operation that reached a router, where
nothing listens on loopback, aside), a
body that is JSON in the envelope {success, message, data} with success ==
(status < 400), and errors {field: [text]} on a 422 (a success may be of
another media type the operation documents for its status: an HTML page, or
the event stream, whose status and headers alone are read before the
connection is closed, since it never ends); every 100 requests and
at the end, that the process is alive and GET /health answers 200. Apart
from those failures, answers the document does not describe (a status it
does not list for the operation, 405 and 413 aside; a body that does not
fit the status's schema) are collected as the document's issues.

    api_fuzz.py --url http://127.0.0.1:PORT --routes FILE --tokens FILE
                [--pid PID] [--requests 3000] [--seconds 55] [--seed N]
                [--failures FILE] [--doc-issues FILE]

--tokens names a file of bearer tokens, one a line: when the one in use
stops working (a logout, a revocation among the fuzzed requests), the next
is taken at once; a run that has used them all up fails, since its
requests would only reach the 401 from then on. The seed is printed first; the same seed and the same server
repeat the same requests (but for the ids of objects the run created,
which the server draws). Exit status: 0 no failure, 1 failures (each
written, with the request that caused it, to --failures and stderr), 2
bad usage or nothing to fuzz. The document's issues go to --doc-issues
(and stderr), whatever the exit status.
"""
import argparse
import base64
import http.client
import ipaddress
import json
import os
import random
import re
import sys
import time
import urllib.parse
import uuid

METHODS_WITH_BODY = ("POST", "PUT", "PATCH")
MAX_FAILURES_SHOWN = 20

# ---- values --------------------------------------------------------------------

WRONG_VALUES = [
    None, True, False, 0, -1, 1, 1.5, -0.0, "", "x", " ", [], {}, [1, 2], {"a": 1},
    "null", "true", "0", "-1", "1e9", "0x10",
]
# Raw JSON number texts beyond what a 64-bit integer or a double holds.
HUGE_NUMBERS = [
    "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "123456789012345678901234567890", "1e308", "1e309", "-1e999", "1e-400",
    "0.000000000000000000000001", "4294967296", "65536", "2147483648", "-2147483649",
    "1.7976931348623157e308", "123456789.123456789e-5",
]
# Bytes that are not valid UTF-8, to go inside a JSON string.
BROKEN_UTF8 = [
    b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\x80", b"\xe2\x82",
    b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"a\xc3",
]
# JSON string escapes, valid and not.
ESCAPES = [
    "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\uffff", "\\ufeff", "\\u202e", "\\u0007",
    "\\u0000", "\\u00e9", "\\u001f", "\\u007f", "\\ud800\\u0041", "\\uDBFF\\uDFFF",
    "\\x41", "\\u12", "\\", "\\q",
]
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATE_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d(:?\d\d)?)$")
UNICODE_TEXT = ["é", "ü", "😀", "\u202e", "中文", "\ufeff", "\u0301", "ᚠ", "\U0010ffff"]


class Rand(random.Random):
    def pick(self, seq):
        return seq[self.randrange(len(seq))]


def dumps(v):
    return json.dumps(v, ensure_ascii=False).encode("utf-8")


# ---- examples from the document ----------------------------------------------------

class Spec:
    """The OpenAPI document: valid example bodies and query parameters per operation."""

    def __init__(self, doc):
        self.doc = doc if isinstance(doc, dict) else {}

    def resolve(self, node, depth=0):
        while isinstance(node, dict) and "$ref" in node and depth < 20:
            ref = node["$ref"]
            node = self.doc
            for part in ref.lstrip("#/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            depth += 1
        return node if isinstance(node, dict) else {}

    def operation(self, method, path):
        return self.resolve(self.doc.get("paths", {}).get(path, {})).get(method.lower())

    def body_example(self, op, rnd):
        """A valid body for op (its example, or one made from its schema), or None."""
        if not op:
            return None
        media = self.resolve(op.get("requestBody", {})).get("content", {}).get("application/json")
        if not media:
            return None
        if "example" in media:
            return media["example"]
        return self.from_schema(media.get("schema", {}), rnd, 0)

    def from_schema(self, schema, rnd, depth):
        s = self.resolve(schema)
        if "example" in s:
            return s["example"]
        if "enum" in s and s["enum"]:
            return rnd.pick(s["enum"])
        if "default" in s:
            return s["default"]
        for key in ("allOf", "oneOf", "anyOf"):
            if s.get(key):
                if key == "allOf":
                    out = {}
                    for part in s[key]:
                        v = self.from_schema(part, rnd, depth + 1)
                        if isinstance(v, dict):
                            out.update(v)
                    return out
                return self.from_schema(s[key][0], rnd, depth + 1)
        t = s.get("type", "object" if "properties" in s else "string")
        if depth > 6:
            return None
        if t == "object":
            return {k: self.from_schema(v, rnd, depth + 1)
                    for k, v in s.get("properties", {}).items()}
        if t == "array":
            return [self.from_schema(s.get("items", {}), rnd, depth + 1)]
        if t == "integer":
            return int(s.get("minimum", 1))
        if t == "number":
            return float(s.get("minimum", 1))
        if t == "boolean":
            return True
        fmt = s.get("format")
        if fmt == "uuid":
            return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        if fmt == "email":
            return "fuzz%d@example.org" % rnd.randrange(10**6)
        if fmt == "date-time":
            return "2026-01-01T00:00:00Z"
        if fmt == "date":
            return "2026-01-01"
        return "x" * max(1, int(s.get("minLength", 1)))

    def response_media(self, op, status):
        """{media type: media object} of op's answer with status, or None
        when the status is not documented."""
        responses = (op or {}).get("responses", {})
        r = responses.get(str(status), responses.get("default"))
        if r is None:
            return None
        return self.resolve(r).get("content", {})

    def response_schema(self, op, status):
        """(documented, schema or None) of op's answer with status."""
        content = self.response_media(op, status)
        if content is None:
            return False, None
        return True, content.get("application/json", {}).get("schema")

    def validate(self, schema, v, where, errs, depth=0):
        """Appends to errs where v does not fit schema (the OpenAPI 3.0 subset
        the fragments use: types, nullable, enum, required, properties,
        additionalProperties, items, allOf/oneOf/anyOf, lengths, bounds,
        uuid and date-time formats)."""
        s = self.resolve(schema)
        if depth > 40 or not s:
            return
        for part in s.get("allOf", []):
            self.validate(part, v, where, errs, depth + 1)
        for key in ("oneOf", "anyOf"):
            if s.get(key):
                fits = 0
                for part in s[key]:
                    e = []
                    self.validate(part, v, where, e, depth + 1)
                    fits += not e
                if fits == 0 or (key == "oneOf" and fits > 1):
                    errs.append("%s: fits %d of %s" % (where, fits, key))
        t = s.get("type")
        if v is None:
            if t and not s.get("nullable"):
                errs.append("%s: null where the document says %s" % (where, t))
            return
        if "enum" in s and not any(v == e and type(v) is type(e) for e in s["enum"]):
            errs.append("%s: %r is not one of %r" % (where, v, s["enum"]))
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
        if t in kinds and not isinstance(v, kinds[t]):
            errs.append("%s: %s where the document says %s" % (where, type(v).__name__, t))
            return
        if t in ("integer", "number") and (isinstance(v, bool) or not isinstance(
                v, int if t == "integer" else (int, float))):
            errs.append("%s: %r where the document says %s" % (where, v, t))
            return
        if isinstance(v, dict):
            for k in s.get("required", []):
                if k not in v:
                    errs.append("%s: member %s missing" % (where, k))
            props = s.get("properties", {})
            extra = s.get("additionalProperties")
            for k, x in v.items():
                if k in props:
                    self.validate(props[k], x, "%s.%s" % (where, k), errs, depth + 1)
                elif isinstance(extra, dict):
                    self.validate(extra, x, "%s.%s" % (where, k), errs, depth + 1)
        elif isinstance(v, list):
            for i, x in enumerate(v[:50]):
                self.validate(s.get("items", {}), x, "%s[%d]" % (where, i), errs, depth + 1)
            if len(v) < s.get("minItems", 0):
                errs.append("%s: fewer than %d items" % (where, s["minItems"]))
        elif isinstance(v, str):
            if not s.get("minLength", 0) <= len(v) <= s.get("maxLength", len(v)):
                errs.append("%s: length %d out of the document's bounds" % (where, len(v)))
            if s.get("format") == "uuid" and not UUID_RE.match(v):
                errs.append("%s: %r is not a uuid" % (where, v))
            if s.get("format") == "date-time" and not DATE_TIME_RE.match(v):
                errs.append("%s: %r is not a date-time" % (where, v))
        elif isinstance(v, (int, float)):
            if v < s.get("minimum", v) or v > s.get("maximum", v):
                errs.append("%s: %r out of the document's bounds" % (where, v))

    def query_params(self, op):
        """[(name, schema)] of op's query parameters."""
        out = []
        for p in (op or {}).get("parameters", []):
            p = self.resolve(p)
            if p.get("in") == "query" and p.get("name"):
                out.append((p["name"], self.resolve(p.get("schema", {}))))
        return out


# ---- mutations -------------------------------------------------------------------------

def leaf_paths(v, prefix=()):
    """Paths (tuples of keys and indexes) to every member of v."""
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            out.append(prefix + (k,))
            out.extend(leaf_paths(x, prefix + (k,)))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out.append(prefix + (i,))
            out.extend(leaf_paths(x, prefix + (i,)))
    return out


def set_path(v, path, new):
    for k in path[:-1]:
        v = v[k]
    v[path[-1]] = new


def mutate_value(rnd, doc):
    """doc (a copy) with one member changed; JSON-serializable."""
    doc = json.loads(json.dumps(doc))
    paths = leaf_paths(doc)
    if not paths:
        return doc
    path = rnd.pick(paths)
    kind = rnd.randrange(5)
    if kind == 0:
        new = rnd.pick(WRONG_VALUES)
    elif kind == 1:
        new = "A" * rnd.pick([0, 1, 7, 8, 99, 100, 101, 127, 128, 129, 199, 200, 201, 255,
                              256, 257, 1000, 4096, 65536])
    elif kind == 2:
        new = rnd.pick(UNICODE_TEXT) * rnd.pick([1, 2, 50, 101, 201, 300])
    elif kind == 3:
        new = rnd.pick([-(2**63), 2**63 - 1, 2**64, -(2**64), 2**31, 10**30, 1e300, -1e300])
    else:
        new = "a\u0000b" if rnd.randrange(2) else "tab\there\nline"
    set_path(doc, path, new)
    return doc


def raw_mutation(rnd, text):
    """A byte-level change of the JSON text."""
    kind = rnd.randrange(12)
    n = len(text)
    if kind == 0 and n:  # cut short
        return text[: rnd.randrange(n)]
    if kind == 1:  # a huge number where a value was
        i = text.find(b":")
        if i >= 0:
            j = i + 1
            while j < n and text[j] not in b",}":
                j += 1
            return text[: i + 1] + rnd.pick(HUGE_NUMBERS).encode() + text[j:]
    if kind == 2:  # broken UTF-8 inside a string
        i = text.find(b'"', 1)
        if i > 0:
            return text[:i] + rnd.pick(BROKEN_UTF8) + text[i:]
    if kind == 3:  # an escape inside a string
        i = text.rfind(b'"', 0, max(1, n - 1))
        if i > 0:
            return text[:i] + rnd.pick(ESCAPES).encode() + text[i:]
    if kind == 4:  # a raw NUL
        i = rnd.randrange(n + 1)
        return text[:i] + b"\x00" + text[i:]
    if kind == 5 and text.startswith(b"{") and len(text) > 2:  # a duplicate member
        j = text.find(b",", 1)
        first = text[1:j] if j > 0 else text[1:-1]
        return b"{" + first + b"," + text[1:]
    if kind == 6:  # deep nesting
        depth = rnd.pick([100, 1000, 2048, 2049, 5000, 20000])
        inner = b'{"a":' * depth + b"1" + b"}" * depth if rnd.randrange(2) else \
            b"[" * depth + b"]" * depth
        if text.startswith(b"{") and len(text) > 2:
            return b'{"deep":' + inner + b"," + text[1:]
        return inner
    if kind == 7:  # a random byte changed or inserted
        i = rnd.randrange(n + 1)
        return text[:i] + bytes([rnd.randrange(256)]) + text[i + 1 if rnd.randrange(2) else i:]
    if kind == 8:  # trailing garbage, or a trailing comma
        return text + rnd.pick([b",", b"}", b" x", b"\x00", b"\n{}", b"]"])
    if kind == 9 and text.endswith(b"}") and len(text) > 2:
        return text[:-1] + b",}"
    if kind == 10:  # single quotes, comments and other JSON it is not
        return text.replace(b'"', b"'", 1 + rnd.randrange(3)) if rnd.randrange(2) \
            else b"/* c */" + text
    return text + b" " * rnd.randrange(1, 64)


NON_OBJECTS = [b"", b" ", b"null", b"true", b"0", b"-1", b'"text"', b"[]", b"[{}]", b"{",
               b"}", b"{}", b"{}{}", b'{"a"}', b'{"a":}', b"\xef\xbb\xbf{}", b"\x00",
               b'{"":1}', b'{"\\u0000":1}', b"NaN", b"Infinity", b"1e400"]


def is_address(v):
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return False


def loopback(rnd, v):
    """v with every IP address in it replaced by a random loopback one, so
    that nothing hotspotd is made to reach (a router's API, its CoA port)
    lies outside this machine."""
    if isinstance(v, dict):
        return {k: loopback(rnd, x) for k, x in v.items()}
    if isinstance(v, list):
        return [loopback(rnd, x) for x in v]
    if isinstance(v, str) and is_address(v):
        return "127.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
    return v


def make_body(rnd, example):
    """A fuzzed body: bytes."""
    roll = rnd.random()
    if example is None or roll < 0.10:
        return rnd.pick(NON_OBJECTS)
    example = loopback(rnd, example)
    if roll < 0.15:
        return dumps(example)  # the valid example itself
    doc = example
    for _ in range(rnd.randrange(1, 3)):
        doc = mutate_value(rnd, doc)
    if isinstance(doc, dict) and rnd.random() < 0.2:
        doc["unknown_%d" % rnd.randrange(100)] = rnd.pick(WRONG_VALUES)
    text = dumps(doc)
    for _ in range(rnd.randrange(0, 3)):
        text = raw_mutation(rnd, text)
    return text


# ---- query strings and paths ---------------------------------------------------------------

def pct(b):
    return urllib.parse.quote_from_bytes(b, safe="")


def query_value(rnd, schema):
    """A value (bytes) for a query parameter: valid, or one of many wrong ones."""
    if rnd.random() < 0.35:
        if schema.get("enum"):
            return str(rnd.pick(schema["enum"])).encode()
        if schema.get("type") == "integer":
            lo = int(schema.get("minimum", 1))
            hi = int(schema.get("maximum", lo + 100))
            return str(rnd.randint(lo, min(hi, lo + 100))).encode()
        return rnd.pick([b"a", b"router", b"192.168", b"%", b"_", b"\\"])
    return rnd.pick([
        b"", b"0", b"-1", b"1.5", b"1e3", b"abc", b"99999999999999999999", b"9223372036854775808",
        b" 1", b"1 ", b"+1", b"0x1", b"\x00", b"a\x00b", b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80",
        "é".encode() * 101, b"x" * rnd.pick([100, 101, 1000, 8000]), b"' OR 1=1 --",
        b"%", b"_", b"\\", b"\n", b"\x1b[0m", "😀".encode() * 30, b"asc", b"desc", b"name",
    ])


def make_query(rnd, params):
    parts = []
    for name, schema in params:
        if rnd.random() < 0.5:
            parts.append(pct(name.encode()) + "=" + pct(query_value(rnd, schema)))
    roll = rnd.random()
    if roll < 0.1 and params:  # a parameter twice
        name, schema = rnd.pick(params)
        parts += [pct(name.encode()) + "=" + pct(query_value(rnd, schema))] * 2
    elif roll < 0.2:
        parts.append(rnd.pick(["unknown=1", "a", "=b", "&", "%", "%zz=1", "%00=1", "page",
                               "per_page=", "x=" + "y" * 5000]))
    return "&".join(parts)


def path_value(rnd):
    """A :param segment: a random UUID mostly, else junk."""
    roll = rnd.random()
    if roll < 0.55:
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    return pct(rnd.pick([
        b"not-a-uuid", b"0", b"-1", b"1", b"00000000-0000-0000-0000-000000000000",
        b"FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF", b"..", b"%", b"a" * 127, b"a" * 128,
        b"a" * 400, b"\xff", "é".encode() * 20, b"' OR '1'='1", b"\x00",
        str(uuid.UUID(int=rnd.getrandbits(128), version=4)).encode() + b"\x00",
        b"{id}", b":id", b"9" * 40,
    ]))


def fill_path(rnd, pattern, known):
    """pattern with its :name segments filled: the name (a voucher's code),
    or else the id, of an object the run created or listed under the path
    before the segment (a third of the time, when there is one), else
    path_value."""
    segs = pattern.split("/")
    out = []
    for i, seg in enumerate(segs):
        objs = known.get("/".join(segs[:i]))
        if seg.startswith(":") and objs and rnd.random() < 0.33:
            obj = rnd.pick(objs)
            out.append(obj.get(seg[1:], obj["id"]))
        elif seg.startswith(":"):
            out.append(path_value(rnd))
        else:
            out.append(seg)
    return "/".join(out)


# ---- the run ----------------------------------------------------------------------------------

class Fuzzer:
    def __init__(self, args):
        u = urllib.parse.urlsplit(args.url)
        self.host, self.port = u.hostname, u.port
        self.args = args
        self.rnd = Rand(args.seed)
        self.conn = None
        self.tokens = [t.strip() for t in open(args.tokens) if t.strip()]
        self.token_i = 0
        self.tokens_out = False
        self.failures = []
        self.doc_issues = {}  # what -> the first request that showed it
        self.spec = Spec({})
        self.sent = 0
        self.statuses = {}
        self.slowest = (0.0, "")
        self.routes = []
        self.known = {}  # pattern of a collection -> [{id, code}] created or listed there
        for line in open(args.routes):
            f = line.split()
            if len(f) == 3:
                self.routes.append((f[0], f[1], f[2]))

    # -- HTTP --
    def connect(self):
        if self.conn:
            self.conn.close()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)

    def request(self, method, target, body=None, headers=None):
        """(status, content type, body bytes or None for a stream), or raises OSError."""
        if not self.conn:
            self.connect()
        try:
            self.conn.putrequest(method, target, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                self.conn.putheader(k, v)
            if body is not None:
                self.conn.putheader("Content-Length", str(len(body)))
            self.conn.endheaders(body)
            resp = self.conn.getresponse()
            ctype = resp.getheader("Content-Type", "")
            if "event-stream" in ctype:
                self.conn.close()  # a stream never ends: its headers are enough
                self.conn = None
                return resp.status, ctype, None
            data = resp.read(64 * 1024 * 1024)
            if resp.will_close:
                self.connect()
            return resp.status, ctype, data
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise

    def auth(self):
        if self.token_i >= len(self.tokens):
            return {}
        return {"Authorization": "Bearer " + self.tokens[self.token_i]}

    # -- checks --
    def fail(self, what, req):
        self.failures.append((what, req))
        if len(self.failures) <= MAX_FAILURES_SHOWN:
            print("FAIL: %s\n  request: %s" % (what, describe(req)), file=sys.stderr)

    def check_answer(self, req, status, ctype, data):
        method, target = req["method"], req["target"]
        if status >= 500 and not self.upstream_failure(req, status):
            self.fail("status %d" % status, req)
        if method == "HEAD":
            return
        if not ctype.startswith("application/json"):
            # An event stream, a printable page: a success the document
            # lists with that media type. An error is the envelope, unless
            # the document says the operation answers it otherwise (the
            # public purchase pages answer a buyer in HTML).
            if status >= 400 and not self.documented_media(req, status, ctype):
                self.fail("status %d as %r, not the JSON envelope: %r" % (
                    status, ctype, (data or b"")[:200]), req)
            else:
                self.check_media(req, status, ctype)
            return
        if data is None:
            return
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.fail("status %d: the body is not JSON (%s): %r" % (status, e, data[:200]), req)
            return
        # The server decodes the path, and a %00 ends it there.
        decoded = urllib.parse.unquote_to_bytes(target.split("?")[0]).split(b"\0")[0]
        if decoded == b"/api/v1/openapi.json" and status == 200:
            if not isinstance(doc, dict) or "openapi" not in doc:
                self.fail("the OpenAPI document has no openapi member", req)
            return
        if not (isinstance(doc, dict) and isinstance(doc.get("success"), bool)
                and isinstance(doc.get("message"), str) and "data" in doc):
            self.fail("status %d: not the envelope: %r" % (status, data[:200]), req)
            return
        if doc["success"] != (status < 400):
            self.fail("status %d with success %s" % (status, doc["success"]), req)
        if status == 422:
            errs = doc.get("errors")
            if not (isinstance(errs, dict) and errs and all(
                    isinstance(v, list) and v and all(isinstance(m, str) for m in v)
                    for v in errs.values())):
                self.fail("422 without errors {field: [text]}: %r" % data[:300], req)
        self.check_documented(req, status, doc)

    def documented_media(self, req, status, ctype):
        """Whether the document lists status with media type ctype for the
        request's operation (for a mangled path, the operation it was made
        from, which may still be the one that answered)."""
        op = req.get("op") or req.get("route_op")
        if op is None:
            return False
        content = self.spec.response_media(op, status)
        return content is not None and ctype.split(";")[0].strip().lower() in content

    def upstream_failure(self, req, status):
        """Whether status is a router's failure the operation documents: 502
        (the router refused or broke off) or 504 (it did not answer in
        time). The fuzzed routers are on loopback, where nothing listens, so
        an operation that reaches one ends that way; that is no fault of
        hotspotd."""
        return status in (502, 504) and req.get("op") is not None and \
            self.spec.response_media(req["op"], status) is not None

    def check_media(self, req, status, ctype):
        """Whether a success that is not JSON is one the document describes:
        its status, and its media type among those of that status."""
        if req.get("op") is None:
            return
        content = self.spec.response_media(req["op"], status)
        media = ctype.split(";")[0].strip().lower()
        if content is None:
            self.doc_issue("%s: answers %d, which is not documented" % (req["route"], status), req)
        elif media not in content:
            self.doc_issue("%s: %d as %s, where the document says %s" % (
                req["route"], status, media, ", ".join(sorted(content)) or "no content"), req)

    def check_documented(self, req, status, doc):
        """Whether the answer is one the document describes: its status (405
        and 413, which any route may answer, aside), its media type and its
        schema."""
        if req.get("op") is None:
            return
        content = self.spec.response_media(req["op"], status)
        if content and "application/json" not in content:
            self.doc_issue("%s: %d as application/json, where the document says %s" % (
                req["route"], status, ", ".join(sorted(content))), req)
        documented, schema = self.spec.response_schema(req["op"], status)
        if not documented:
            if status not in (405, 413):
                self.doc_issue("%s: answers %d, which is not documented" % (req["route"], status),
                               req)
            return
        if schema:
            errs = []
            self.spec.validate(schema, doc, "answer", errs)
            for e in errs[:3]:
                self.doc_issue("%s: %d: %s" % (req["route"], status, e), req)

    def doc_issue(self, what, req):
        if what not in self.doc_issues:
            self.doc_issues[what] = req
            print("DOC: %s\n  request: %s" % (what, describe(req)), file=sys.stderr)

    def alive(self, when):
        """Whether the process lives and /health says 200; a failure otherwise."""
        if self.args.pid:
            try:
                os.kill(self.args.pid, 0)
            except OSError:
                self.fail("hotspotd (pid %d) is gone %s" % (self.args.pid, when), {})
                return False
        for _ in range(3):
            try:
                status, _, data = self.request("GET", "/health")
                if status == 200:
                    return True
                self.fail("GET /health is %d %s: %r" % (status, when, data[:200]), {})
                return False
            except (OSError, http.client.HTTPException):
                time.sleep(0.5)
        self.fail("GET /health does not answer %s" % when, {})
        return False

    def next_token(self):
        """Drops the token in use (logged out or refused) for the next one."""
        if self.token_i < len(self.tokens):
            print("api_fuzz: token %d revoked or refused; taking the next" % self.token_i)
            self.token_i += 1
        if self.token_i == len(self.tokens) and not self.tokens_out:
            self.tokens_out = True
            self.fail("every token of --tokens is used up after %d requests: give more" %
                      self.sent, {})

    def token_ok(self):
        """Takes the next token when the current one is refused (401)."""
        probe = [r for r in self.routes if r[0] == "GET" and r[2] != "-" and ":" not in r[1]]
        if not probe or not self.tokens:
            return
        while self.token_i < len(self.tokens):
            try:
                status, _, _ = self.request("GET", probe[0][1], headers=self.auth())
            except (OSError, http.client.HTTPException):
                return
            if status != 401:
                return
            self.next_token()

    # -- one request --
    def one(self, spec):
        rnd = self.rnd
        route_method, pattern, ability = rnd.pick(self.routes)
        method = route_method
        if rnd.random() < 0.03:  # a method the route does not have, or HEAD
            method = rnd.pick(["PATCH", "DELETE", "HEAD", "OPTIONS", "PUT"])
        doc_path = "/".join("{%s}" % s[1:] if s.startswith(":") else s
                            for s in pattern.split("/"))
        op = spec.operation(method, doc_path)
        path = fill_path(rnd, pattern, self.known)
        exact = method == route_method
        # HEAD runs the path's GET without its body: the GET's documented
        # answers (a router's 502, say) are HEAD's too.
        head_op = spec.operation("GET", doc_path) if method == "HEAD" else None
        if rnd.random() < 0.02:
            exact = False
            head_op = None
            path = rnd.pick([path + "/", path + "/extra", path.upper(), path + "%00",
                             "/api/v1/" + pct(rnd.randbytes(6)), path.replace("/", "//", 1)])
        query = make_query(rnd, spec.query_params(op)) if rnd.random() < 0.8 else ""
        target = path + ("?" + query if query else "")
        headers = {}
        roll = rnd.random()
        if roll < 0.85:
            headers.update(self.auth())
        elif roll < 0.92:
            headers["Authorization"] = rnd.pick([
                "Bearer", "Bearer ", "Bearer x", "Basic dXNlcjpwYXNz", "bearer " + "a" * 300,
                "Bearer " + "a" * 64, "Bearer \xff", "Bearer a b"])
        body = None
        if method in METHODS_WITH_BODY or rnd.random() < 0.05:
            body = make_body(rnd, spec.body_example(op, rnd))
            if rnd.random() < 0.9:
                headers["Content-Type"] = rnd.pick(["application/json"] * 8 + [
                    "text/plain", "application/json; charset=latin1",
                    "application/x-www-form-urlencoded"])
        req = {"method": method, "target": target, "headers": headers, "body": body,
               "op": op if exact else head_op, "route_op": op,
               "route": "%s %s" % (method, doc_path)}
        t0 = time.monotonic()
        try:
            status, ctype, data = self.request(method, target, body, headers)
        except (OSError, http.client.HTTPException) as e:
            self.fail("no answer: %s: %s" % (type(e).__name__, e), req)
            self.alive("after a request got no answer")
            return
        took = time.monotonic() - t0
        if took > self.slowest[0]:
            self.slowest = (took, "%s %s" % (method, target[:120]))
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.check_answer(req, status, ctype, data)
        if headers.get("Authorization") == self.auth().get("Authorization") and (
                status == 401 or (exact and route_method == "POST" and status == 200
                                  and pattern.endswith("/auth/logout"))):
            self.next_token()
        if exact and ":" not in pattern and (method, status) in (("POST", 201), ("GET", 200)):
            self.remember(pattern, data)

    def remember(self, pattern, data):
        """Keeps the id (and code) of the object a POST to the collection
        pattern created, or of those its GET listed, for the paths under it."""
        try:
            got = json.loads(data)["data"]
        except (ValueError, TypeError, KeyError):
            return
        objs = self.known.setdefault(pattern, [])
        for o in (got if isinstance(got, list) else [got])[:20]:
            if not isinstance(o, dict):
                continue
            keep = {k: pct(v.encode()) for k, v in o.items()
                    if k in ("id", "code") and isinstance(v, str) and 0 < len(v) <= 64}
            if "id" in keep and keep not in objs and len(objs) < 50:
                objs.append(keep)

    def run(self):
        print("api_fuzz: seed %d, %d routes, at most %d requests or %d s" %
              (self.args.seed, len(self.routes), self.args.requests, self.args.seconds))
        sys.stdout.flush()
        try:
            status, _, data = self.request("GET", "/api/v1/openapi.json")
            spec = Spec(json.loads(data) if status == 200 else {})
        except (OSError, http.client.HTTPException, ValueError) as e:
            self.fail("cannot read the OpenAPI document: %s" % e, {})
            spec = Spec({})
        self.spec = spec
        end = time.monotonic() + self.args.seconds
        while self.sent < self.args.requests and time.monotonic() < end:
            self.one(spec)
            self.sent += 1
            if self.sent % 100 == 0:
                if not self.alive("after %d requests" % self.sent):
                    break
                self.token_ok()
        self.alive("at the end")
        print("api_fuzz: %d requests; statuses %s; slowest %.3f s (%s); %d objects created or listed" % (
            self.sent, ", ".join("%d: %d" % kv for kv in sorted(self.statuses.items())),
            self.slowest[0], self.slowest[1], sum(len(v) for v in self.known.values())))
        return self.failures


def describe(req):
    if not req:
        return "-"
    body = req.get("body")
    b = "" if body is None else " body(base64)=%s" % base64.b64encode(body[:2000]).decode()
    return "%s %s headers=%s%s" % (req["method"], req["target"][:2000],
                                   json.dumps(req["headers"]), b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--routes", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=55)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--failures", default=None)
    ap.add_argument("--doc-issues", default=None)
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")
    fz = Fuzzer(args)
    if not fz.routes:
        print("api_fuzz: no routes in %s" % args.routes, file=sys.stderr)
        return 2
    failures = fz.run()
    if args.failures:
        with open(args.failures, "w") as f:
            for what, req in failures:
                f.write("%s\n  %s\n" % (what, describe(req)))
    if args.doc_issues:
        with open(args.doc_issues, "w") as f:
            for what, req in fz.doc_issues.items():
                f.write("%s\n  %s\n" % (what, describe(req)))
    print("api_fuzz: %d failures, %d answers unlike the document (seed %d)" % (
        len(failures), len(fz.doc_issues), args.seed))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
