#!/usr/bin/env python3
"""secfront: the TLS and SASL server side of a Kafka broker, in front of
librdkafka mock brokers (which have neither).

The test peer is honest: it implements only what a secured Kafka listener
adds (TLS, SaslHandshake v1, SaslAuthenticate v0-2 with PLAIN, SCRAM-SHA-256,
SCRAM-SHA-512, AWS_MSK_IAM and MSK's IAM OAUTHBEARER token, KIP-368 session
lifetimes) and relays every
other request, byte for byte, to the real mock broker behind it. Nothing is
faked on the Kafka side. Written independently of turnout's C code (Python
hashlib/hmac/ssl), so the two check each other.

Broker rules it enforces, as Kafka does:
  * before authentication only ApiVersions, SaslHandshake and
    SaslAuthenticate are accepted; anything else closes the connection;
  * a failed SaslAuthenticate is answered with SASL_AUTHENTICATION_FAILED
    (58) and the connection is closed;
  * with a session lifetime, a request other than SaslHandshake that
    arrives after the session expired closes the connection (KIP-368);
    re-authentication must keep the mechanism and the principal;
  * ApiVersions answers (relayed from the mock) gain SaslHandshake 0-1 and
    SaslAuthenticate 0-2, as a SASL listener advertises them (v0-v2 only).

Usage: secfront.py SPEC.json. Prints "LISTEN <name> <port>" per broker, then
"READY". Commands on stdin, one reply line each ("OK ..." / "ERR ..."):
  password <user> <password>       add a user or change its password
  lifetime <ms>                    session lifetime for authentications from now on
  iamkey <akid> <secret> <principal> [<token>]   add or replace an AWS key
  iamdel <akid>                    remove an AWS key
  stats                            counters
  quit
Events go to stderr, one line each.
"""

import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import os
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import uuid

API_SASL_HANDSHAKE = 17
API_SASL_AUTHENTICATE = 36
API_VERSIONS = 18
ERR_UNSUPPORTED_SASL_MECHANISM = 33
ERR_ILLEGAL_SASL_STATE = 34
ERR_SASL_AUTHENTICATION_FAILED = 58
SCRAM_ITERATIONS = 4096


def log(msg):
    sys.stderr.write(f"secfront {time.strftime('%H:%M:%S')} {msg}\n")
    sys.stderr.flush()


class State:
    """Everything the stdin commands change; read by connections."""

    def __init__(self, spec):
        self.mechanisms = list(spec.get("mechanisms", []))
        self.lifetime_ms = int(spec.get("session_lifetime_ms", 0))
        self.scram = {}     # (mechanism, user) -> (salt, stored_key, server_key)
        self.plain = {}     # user -> password
        for user, pw in spec.get("users", {}).items():
            self.set_password(user, pw)
        iam = spec.get("iam", {})
        self.iam_region = iam.get("region", "us-east-1")
        self.iam_hosts = set(iam.get("hosts", []))
        self.iam_keys = {k: dict(v) for k, v in iam.get("keys", {}).items()}
        self.stats = dict(auth_ok=0, auth_failed=0, reauth_ok=0, expired_closes=0,
                          connections=0, relayed=0, iam_keys_used="")

    def set_password(self, user, pw):
        self.plain[user] = pw
        for mech, h in (("SCRAM-SHA-256", "sha256"), ("SCRAM-SHA-512", "sha512")):
            salt = os.urandom(16)
            salted = hashlib.pbkdf2_hmac(h, pw.encode(), salt, SCRAM_ITERATIONS)
            client_key = hmac.new(salted, b"Client Key", h).digest()
            stored = hashlib.new(h, client_key).digest()
            server_key = hmac.new(salted, b"Server Key", h).digest()
            self.scram[(mech, user)] = (salt, stored, server_key)


# -- Kafka framing ---------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.b, self.i = data, 0

    def take(self, n):
        if self.i + n > len(self.b):
            raise ValueError("truncated")
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        shift = v = 0
        while True:
            c = self.take(1)[0]
            v |= (c & 0x7F) << shift
            if not c & 0x80:
                return v
            shift += 7
            if shift > 28:
                raise ValueError("varint too long")

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def uvarint(v):
    out = b""
    while True:
        if v < 0x80:
            return out + bytes([v])
        out += bytes([v & 0x7F | 0x80])
        v >>= 7


def parse_header(frame):
    r = Reader(frame)
    api, ver, corr = r.i16(), r.i16(), r.i32()
    r.string()  # client id
    if api == API_SASL_AUTHENTICATE and ver >= 2:
        r.tags()
    return api, ver, corr, r


def response(corr, body, flexible=False):
    hdr = struct.pack(">i", corr) + (b"\x00" if flexible else b"")
    return struct.pack(">i", len(hdr) + len(body)) + hdr + body


def handshake_response(corr, error, mechanisms):
    body = struct.pack(">hi", error, len(mechanisms))
    for m in mechanisms:
        body += struct.pack(">h", len(m)) + m.encode()
    return response(corr, body)


def authenticate_response(corr, ver, error, message, auth, lifetime_ms):
    if ver >= 2:
        body = struct.pack(">h", error)
        body += uvarint(0) if message is None else uvarint(len(message.encode()) + 1) + \
            message.encode()
        body += uvarint(len(auth) + 1) + auth
        body += struct.pack(">q", lifetime_ms) + b"\x00"
        return response(corr, body, flexible=True)
    body = struct.pack(">h", error)
    body += struct.pack(">h", -1) if message is None else \
        struct.pack(">h", len(message.encode())) + message.encode()
    body += struct.pack(">i", len(auth)) + auth
    if ver >= 1:
        body += struct.pack(">q", lifetime_ms)
    return response(corr, body)


def patch_api_versions(frame, version):
    """Adds SaslHandshake 0-1 and SaslAuthenticate 0-2 to a v0-v2 answer."""
    if version > 2:
        return frame
    corr, err, n = struct.unpack(">ihi", frame[4:14])
    entries = frame[14:14 + 6 * n]
    keys = {struct.unpack(">h", entries[6 * i:6 * i + 2])[0] for i in range(n)}
    add = b""
    for key, lo, hi in ((API_SASL_HANDSHAKE, 0, 1), (API_SASL_AUTHENTICATE, 0, 2)):
        if key not in keys:
            add += struct.pack(">hhh", key, lo, hi)
            n += 1
    body = struct.pack(">ihi", corr, err, n) + entries + add + frame[14 + len(entries):]
    return struct.pack(">i", len(body)) + body


# -- mechanisms (server side) ----------------------------------------------

class AuthFailed(Exception):
    pass


def scram_attrs(msg):
    out = []
    for part in msg.split(","):
        if len(part) < 2 or part[1] != "=":
            raise AuthFailed("malformed SCRAM message")
        out.append((part[0], part[2:]))
    return out


class ScramServer:
    def __init__(self, state, mech):
        self.state, self.mech = state, mech
        self.h = "sha512" if mech.endswith("512") else "sha256"
        self.step = 0

    def step_in(self, data):
        msg = data.decode()
        if self.step == 0:
            if not msg.startswith("n,,"):
                raise AuthFailed("unsupported gs2 header")
            self.first_bare = msg[3:]
            attrs = dict(scram_attrs(self.first_bare))
            self.user = attrs.get("n", "").replace("=2C", ",").replace("=3D", "=")
            cnonce = attrs.get("r", "")
            cred = self.state.scram.get((self.mech, self.user))
            if not cred or not cnonce:
                raise AuthFailed("unknown user")
            self.salt, self.stored, self.server_key = cred
            self.nonce = cnonce + base64.b64encode(os.urandom(12)).decode()
            self.server_first = (f"r={self.nonce},s={base64.b64encode(self.salt).decode()},"
                                 f"i={SCRAM_ITERATIONS}")
            self.step = 1
            return self.server_first.encode(), False
        attrs = scram_attrs(msg)
        if [k for k, _ in attrs][:2] != ["c", "r"] or attrs[-1][0] != "p":
            raise AuthFailed("malformed client-final")
        if attrs[0][1] != "biws" or attrs[1][1] != self.nonce:
            raise AuthFailed("channel binding or nonce mismatch")
        without_proof = msg[:msg.rindex(",p=")]
        auth_message = f"{self.first_bare},{self.server_first},{without_proof}".encode()
        proof = base64.b64decode(attrs[-1][1], validate=True)
        client_sig = hmac.new(self.stored, auth_message, self.h).digest()
        if len(proof) != len(client_sig):
            raise AuthFailed("bad proof length")
        client_key = bytes(a ^ b for a, b in zip(proof, client_sig))
        if not hmac.compare_digest(hashlib.new(self.h, client_key).digest(), self.stored):
            raise AuthFailed("invalid credentials")
        server_sig = hmac.new(self.server_key, auth_message, self.h).digest()
        return b"v=" + base64.b64encode(server_sig), True

    def principal(self):
        return self.user


def sigv4_signature(secret, region, date8, string_to_sign):
    k = hmac.new(("AWS4" + secret).encode(), date8.encode(), hashlib.sha256).digest()
    for part in (region, "kafka-cluster", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


def oauth_payload(state, msg):
    """MSK's IAM OAUTHBEARER: the GS2 initial response "n,,^Aauth=Bearer
    <token>^A^A" whose token is base64url (no padding) of a presigned URL for
    kafka.<region>.amazonaws.com, User-Agent last and unsigned. Returns the
    fields an AWS_MSK_IAM payload has, as JSON, for iam_verify."""
    parts = msg.split("\x01")
    if len(parts) < 3 or not parts[0].startswith("n,") or parts[-2:] != ["", ""]:
        raise AuthFailed("malformed OAUTHBEARER initial response")
    auth = [x for x in parts[1:-2] if x.startswith("auth=")]
    if len(auth) != 1 or not auth[0].startswith("auth=Bearer "):
        raise AuthFailed("no bearer token")
    tok = auth[0][len("auth=Bearer "):]
    if "=" in tok or "+" in tok or "/" in tok:
        raise AuthFailed("token is not unpadded base64url")
    url = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)).decode()
    u = urllib.parse.urlsplit(url)
    if u.scheme != "https" or u.netloc != f"kafka.{state.iam_region}.amazonaws.com" or \
            u.path != "/":
        raise AuthFailed(f"token URL is not the regional endpoint: {u.scheme}://{u.netloc}")
    pairs = urllib.parse.parse_qsl(u.query, keep_blank_values=True, strict_parsing=True)
    if not pairs or pairs[-1][0] != "User-Agent":
        raise AuthFailed("User-Agent is not the last query parameter")
    d = dict(pairs)
    names = {"Action": "action", "X-Amz-Algorithm": "x-amz-algorithm",
             "X-Amz-Credential": "x-amz-credential", "X-Amz-Date": "x-amz-date",
             "X-Amz-Expires": "x-amz-expires", "X-Amz-SignedHeaders": "x-amz-signedheaders",
             "X-Amz-Signature": "x-amz-signature", "X-Amz-Security-Token": "x-amz-security-token",
             "User-Agent": "user-agent"}
    if set(d) - set(names) or len(d) != len(pairs):
        raise AuthFailed(f"unexpected query parameters {sorted(set(d) - set(names))}")
    p = {names[k]: v for k, v in d.items()}
    p.update(version="2020_10_22", host=u.netloc)
    return json.dumps(p)


def iam_verify(state, payload, now, regional=False):
    """Checks an AWS_MSK_IAM payload; returns (principal, akid). regional:
    signed for the regional endpoint (OAUTHBEARER), not a broker."""
    try:
        p = json.loads(payload)
    except ValueError:
        raise AuthFailed("payload is not JSON")
    need = ["version", "host", "user-agent", "action", "x-amz-algorithm", "x-amz-credential",
            "x-amz-date", "x-amz-signedheaders", "x-amz-expires", "x-amz-signature"]
    if not isinstance(p, dict) or any(not isinstance(p.get(k), str) for k in need):
        raise AuthFailed("payload lacks a field")
    extra = set(p) - set(need) - {"x-amz-security-token"}
    if extra:
        raise AuthFailed(f"unexpected payload keys {sorted(extra)}")
    if p["version"] != "2020_10_22" or p["action"] != "kafka-cluster:Connect" or \
            p["x-amz-algorithm"] != "AWS4-HMAC-SHA256" or p["x-amz-signedheaders"] != "host":
        raise AuthFailed("unexpected version, action, algorithm or signed headers")
    if state.iam_hosts and not regional and p["host"] not in state.iam_hosts:
        raise AuthFailed(f"signed for host {p['host']!r}")
    akid, date8, region, service, term = (p["x-amz-credential"].split("/") + [""] * 5)[:5]
    key = state.iam_keys.get(akid)
    if key is None:
        raise AuthFailed("unknown access key id")
    amz_date = p["x-amz-date"]
    signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    expires = int(p["x-amz-expires"])
    if date8 != amz_date[:8] or region != state.iam_region or service != "kafka-cluster" or \
            term != "aws4_request":
        raise AuthFailed("credential scope mismatch")
    if not 0 < expires <= 900 or abs(now - signed_at) > 300 or now > signed_at + expires:
        raise AuthFailed("signature expired or clock skew")
    token = p.get("x-amz-security-token")
    if token != key.get("token"):
        raise AuthFailed("session token mismatch")
    q = urllib.parse.quote
    params = {"Action": p["action"], "X-Amz-Algorithm": p["x-amz-algorithm"],
              "X-Amz-Credential": p["x-amz-credential"], "X-Amz-Date": amz_date,
              "X-Amz-Expires": p["x-amz-expires"], "X-Amz-SignedHeaders": "host"}
    if token is not None:
        params["X-Amz-Security-Token"] = token
    query = "&".join(f"{q(k, safe='-_.~')}={q(v, safe='-_.~')}" for k, v in sorted(params.items()))
    canonical = (f"GET\n/\n{query}\nhost:{p['host']}\n\nhost\n"
                 f"{hashlib.sha256(b'').hexdigest()}")
    sts = (f"AWS4-HMAC-SHA256\n{amz_date}\n{date8}/{region}/kafka-cluster/aws4_request\n"
           f"{hashlib.sha256(canonical.encode()).hexdigest()}")
    want = sigv4_signature(key["secret"], region, date8, sts)
    if not hmac.compare_digest(want, p["x-amz-signature"]):
        raise AuthFailed("signature does not match")
    return key["principal"], akid


# -- one client connection -----------------------------------------------------

class Conn:
    def __init__(self, state, name, upstream, reader, writer):
        self.state, self.name, self.upstream = state, name, upstream
        self.reader, self.writer = reader, writer
        self.up_reader = self.up_writer = None
        self.slots = asyncio.Queue()     # futures, in request order
        self.relay_due = []              # futures of relayed requests, in order
        self.mechanism = None            # chosen by the last SaslHandshake
        self.principal = None            # set once authenticated
        self.expires_at = None           # monotonic; None = no lifetime
        self.auth = None                 # mechanism state during an exchange
        self.closing = False
        self.peer = writer.get_extra_info("peername")
        if not state.mechanisms:
            self.principal = "ANONYMOUS"  # a TLS-only (or plaintext) listener

    async def run(self):
        self.state.stats["connections"] += 1
        writer_task = asyncio.ensure_future(self.write_loop())
        try:
            while not self.closing:
                size = struct.unpack(">i", await self.reader.readexactly(4))[0]
                if size < 8 or size > 100 << 20:
                    log(f"{self.name} bad frame size {size}, closing")
                    break
                frame = await self.reader.readexactly(size)
                if not await self.handle(frame):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        except Exception as exc:  # noqa: BLE001 - a bad peer must not kill the front
            log(f"{self.name} connection error: {exc!r}")
        self.closing = True
        await self.slots.put(None)
        try:
            await asyncio.wait_for(writer_task, 5)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001
            writer_task.cancel()
        for w in (self.writer, self.up_writer):
            if w is not None:
                try:
                    w.close()
                except Exception:  # noqa: BLE001
                    pass

    async def write_loop(self):
        while True:
            fut = await self.slots.get()
            if fut is None:
                return
            data = await fut
            if data is None:        # the mock went away
                self.closing = True
                return
            self.writer.write(data)
            await self.writer.drain()

    def local(self, data):
        f = asyncio.get_running_loop().create_future()
        f.set_result(data)
        self.slots.put_nowait(f)

    async def relay(self, frame, api, ver):
        if self.up_writer is None:
            self.up_reader, self.up_writer = await asyncio.open_connection(*self.upstream)
            asyncio.ensure_future(self.up_read_loop())
        f = asyncio.get_running_loop().create_future()
        f.api, f.ver = api, ver
        self.relay_due.append(f)
        self.slots.put_nowait(f)
        self.up_writer.write(struct.pack(">i", len(frame)) + frame)
        self.state.stats["relayed"] += 1

    async def up_read_loop(self):
        try:
            while True:
                size = struct.unpack(">i", await self.up_reader.readexactly(4))[0]
                data = struct.pack(">i", size) + await self.up_reader.readexactly(size)
                f = self.relay_due.pop(0)
                if f.api == API_VERSIONS:
                    data = patch_api_versions(data, f.ver)
                f.set_result(data)
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            for f in self.relay_due:
                if not f.done():
                    f.set_result(None)

    async def handle(self, frame):
        api, ver, corr, r = parse_header(frame)
        if api == API_SASL_HANDSHAKE:
            return self.on_handshake(ver, corr, r)
        if api == API_SASL_AUTHENTICATE:
            return self.on_authenticate(ver, corr, r)
        if self.principal is None and api != API_VERSIONS:
            log(f"{self.name} unauthenticated request api={api}, closing")
            return False
        if self.expires_at is not None and time.monotonic() > self.expires_at and \
                self.auth is None:
            self.state.stats["expired_closes"] += 1
            log(f"{self.name} session expired, api={api} after expiry: closing")
            return False
        await self.relay(frame, api, ver)
        return True

    def on_handshake(self, ver, corr, r):
        mech = r.string()
        if ver < 1:
            log(f"{self.name} SaslHandshake v0 (raw tokens) not supported, closing")
            return False
        if mech not in self.state.mechanisms:
            self.local(handshake_response(corr, ERR_UNSUPPORTED_SASL_MECHANISM,
                                          self.state.mechanisms))
            log(f"{self.name} handshake mechanism={mech} refused")
            return True
        if self.principal is not None and mech != self.mechanism:
            self.local(handshake_response(corr, ERR_ILLEGAL_SASL_STATE, self.state.mechanisms))
            return False
        self.mechanism = mech
        self.auth = ScramServer(self.state, mech) if mech.startswith("SCRAM") else mech
        self.local(handshake_response(corr, 0, self.state.mechanisms))
        return True

    def fail(self, ver, corr, why):
        self.state.stats["auth_failed"] += 1
        log(f"{self.name} auth_failed mechanism={self.mechanism} reason={why}")
        msg = (f"Authentication failed during authentication due to invalid credentials with "
               f"SASL mechanism {self.mechanism}")
        self.local(authenticate_response(corr, ver, ERR_SASL_AUTHENTICATION_FAILED, msg, b"", 0))
        return False

    def on_authenticate(self, ver, corr, r):
        if self.auth is None:
            self.local(authenticate_response(corr, ver, ERR_ILLEGAL_SASL_STATE,
                                             "SaslAuthenticate before SaslHandshake", b"", 0))
            return False
        token = r.take(r.uvarint() - 1) if ver >= 2 else r.take(r.i32())
        try:
            out, done, principal, extra = self.mechanism_step(token)
        except (AuthFailed, ValueError, UnicodeDecodeError) as exc:
            return self.fail(ver, corr, str(exc))
        if not done:
            self.local(authenticate_response(corr, ver, 0, None, out, 0))
            return True
        reauth = self.principal is not None
        if reauth and principal != self.principal:
            return self.fail(ver, corr, f"Cannot change principals during re-authentication "
                                        f"from {self.principal}: {principal}")
        lifetime = self.state.lifetime_ms if ver >= 1 else 0
        self.principal, self.auth = principal, None
        self.expires_at = time.monotonic() + lifetime / 1000 if lifetime else None
        self.state.stats["reauth_ok" if reauth else "auth_ok"] += 1
        log(f"{self.name} {'reauth_ok' if reauth else 'auth_ok'} mechanism={self.mechanism} "
            f"principal={principal} lifetime_ms={lifetime} version={ver}{extra}")
        self.local(authenticate_response(corr, ver, 0, None, out, lifetime))
        return True

    def mechanism_step(self, token):
        if isinstance(self.auth, ScramServer):
            out, done = self.auth.step_in(token)
            return out, done, self.auth.principal() if done else None, ""
        if self.auth == "PLAIN":
            parts = token.split(b"\x00")
            if len(parts) != 3:
                raise AuthFailed("malformed PLAIN message")
            authzid, user, pw = (p.decode() for p in parts)
            want = self.state.plain.get(user)
            if want is None or not hmac.compare_digest(want.encode(), pw.encode()) or \
                    authzid not in ("", user):
                raise AuthFailed("invalid credentials")
            return b"", True, user, ""
        if self.auth == "AWS_MSK_IAM":
            principal, akid = iam_verify(self.state, token.decode(), time.time())
            used = self.state.stats["iam_keys_used"].split(",")
            if akid not in used:
                self.state.stats["iam_keys_used"] = ",".join(u for u in used + [akid] if u)
            reply = json.dumps({"version": "2020_10_22", "request-id": str(uuid.uuid4())})
            return reply.encode(), True, principal, f" akid={akid}"
        if self.auth == "OAUTHBEARER":
            payload = oauth_payload(self.state, token.decode())
            principal, akid = iam_verify(self.state, payload, time.time(), regional=True)
            used = self.state.stats["iam_keys_used"].split(",")
            if akid not in used:
                self.state.stats["iam_keys_used"] = ",".join(u for u in used + [akid] if u)
            return b"", True, principal, f" akid={akid}"
        raise AuthFailed("no mechanism")


# -- process ---------------------------------------------------------------------

def command(state, line):
    w = line.split()
    if not w:
        return "ERR empty command"
    if w[0] == "password" and len(w) == 3:
        state.set_password(w[1], w[2])
        return f"OK password {w[1]}"
    if w[0] == "lifetime" and len(w) == 2 and w[1].isdigit():
        state.lifetime_ms = int(w[1])
        return f"OK lifetime {w[1]}"
    if w[0] == "iamkey" and len(w) in (4, 5):
        state.iam_keys[w[1]] = {"secret": w[2], "principal": w[3],
                                "token": w[4] if len(w) == 5 else None}
        return f"OK iamkey {w[1]}"
    if w[0] == "iamdel" and len(w) == 2:
        state.iam_keys.pop(w[1], None)
        return f"OK iamdel {w[1]}"
    if w[0] == "stats" and len(w) == 1:
        return "OK " + " ".join(f"{k}={v}" for k, v in sorted(state.stats.items()))
    if w[0] == "quit":
        return "OK bye"
    return f"ERR unknown command {line.strip()!r}"


def stdin_loop(loop, state, stop):
    for line in sys.stdin:
        reply = command(state, line)
        print(reply, flush=True)
        if reply == "OK bye":
            break
    loop.call_soon_threadsafe(stop.set_result, None)


async def main(spec_path):
    spec = json.loads(open(spec_path).read())
    state = State(spec)
    ctx = None
    if spec.get("tls"):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(spec["tls"]["cert"], spec["tls"]["key"])
    servers = []
    for b in spec["brokers"]:
        async def on_conn(reader, writer, b=b):
            await Conn(state, b["name"], tuple(b["upstream"]), reader, writer).run()
        srv = await asyncio.start_server(on_conn, "127.0.0.1", b.get("port", 0), ssl=ctx)
        servers.append(srv)
        print(f"LISTEN {b['name']} {srv.sockets[0].getsockname()[1]}", flush=True)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    threading.Thread(target=stdin_loop, args=(loop, state, stop), daemon=True).start()
    await stop
    for s in servers:
        s.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
