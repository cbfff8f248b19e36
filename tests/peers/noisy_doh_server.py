#!/usr/bin/python3
"""A DoH server that misbehaves in chosen, legal (or not) ways.

Test peer for trr's transport (tests/trr/noisy_peer_test.cc): it answers
every A query with one A record (192.0.2.1, TTL 60) and any other type with
NODATA, and on the way floods, refuses, resets or drops as told. Built on
Debian's python3-h2; frames h2 will not send (a response split into many
CONTINUATION frames) are written by hand. A client that does not pick h2
in ALPN is served HTTP/1.1 (written by hand, one thread per connection),
framed or broken as --http1 says. Loopback only.

Every event is one line on stdout, for the test to wait on and count:
  listening PORT | connection N | answered N | refused N | dropped N ...
"""

import argparse
import base64
import heapq
import selectors
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hpack
import hyperframe.frame


LOG_LOCK = threading.Lock()


def log(*words):
    with LOG_LOCK:
        print(*words, flush=True)


def dns_body(method, target, body):
    """The DNS query of a DoH request: the POST body, or GET's ?dns=."""
    if method == b"GET":
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        encoded = query.get("dns", [""])[0]
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return body


def answer_for(query):
    """A response to a DNS query: one A record for A, NODATA otherwise."""
    if len(query) < 12:
        return None
    offset = 12
    while offset < len(query) and query[offset] != 0:
        offset += 1 + query[offset]
    question_end = offset + 5
    if question_end > len(query):
        return None
    qtype = struct.unpack(">H", query[offset + 1:offset + 3])[0]
    flags = 0x8080 | (query[2] & 0x01) << 8  # QR and RA; RD copied
    answers = 1 if qtype == 1 else 0
    message = query[:2] + struct.pack(">HHHHH", flags, 1, answers, 0, 0)
    message += query[12:question_end]
    if answers:
        message += struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4)
        message += bytes([192, 0, 2, 1])
    return message


class Connection:
    def __init__(self, server, sock, number):
        self.server = server
        self.sock = sock
        self.number = number
        config = h2.config.H2Configuration(client_side=False,
                                           header_encoding=None)
        self.h2 = h2.connection.H2Connection(config=config)
        self.requests = {}  # stream id -> [headers, body]
        self.received = 0  # streams opened by the client
        self.last_stream = None  # set by the GOAWAY sent, if any
        self.flooded = False
        self.closed = False
        self.out = b""

    def start(self):
        self.h2.initiate_connection()
        settings = {}
        if self.server.args.max_streams:
            settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = (
                self.server.args.max_streams)
        if self.server.args.initial_window:
            settings[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] = (
                self.server.args.initial_window)
        if settings:
            self.h2.update_settings(settings)
        self.queue(self.h2.data_to_send())

    def queue(self, data):
        self.out += data

    def flood(self):
        """The chosen storm, once per connection, before the first answer."""
        args = self.server.args
        if self.flooded:
            return
        self.flooded = True
        for i in range(args.ping_flood):
            self.h2.ping(struct.pack(">Q", i))
        for _ in range(args.settings_flood):
            # An empty SETTINGS frame: legal, and each one needs an ACK.
            self.queue(self.h2.data_to_send())
            self.queue(hyperframe.frame.SettingsFrame(0).serialize())
        for _ in range(args.window_update_flood):
            self.h2.increment_flow_control_window(1)
        self.queue(self.h2.data_to_send())
        if args.settings_entries:
            # One SETTINGS frame with that many entries (nghttp2 takes 32).
            frame = hyperframe.frame.SettingsFrame(0)
            frame.settings = {0x4000 + i: 1 for i in range(args.settings_entries)}
            self.queue(frame.serialize())
        if args.window_overflow:
            # Past 2^31-1: a flow-control error (RFC 9113 section 6.9.1).
            for _ in range(2):
                update = hyperframe.frame.WindowUpdateFrame(0)
                update.window_increment = 0x7FFFFFFF
                self.queue(update.serialize())
        log("flooded", self.number)

    def on_data(self, data):
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            log("protocol-error", self.number, repr(error))
            self.queue(self.h2.data_to_send())
            return False
        ended = []
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                if self.server.args.strict_bodies and self.incomplete():
                    # As knot-resolver 5.6: no new stream while another
                    # stream's body is still coming.
                    self.h2.reset_stream(event.stream_id,
                                         h2.errors.ErrorCodes.REFUSED_STREAM)
                    log("refused-incomplete", self.number, event.stream_id)
                    continue
                self.received += 1
                self.requests[event.stream_id] = [dict(event.headers), b""]
                self.maybe_goaway(event.stream_id)
            elif isinstance(event, h2.events.DataReceived):
                if event.stream_id in self.requests:
                    self.requests[event.stream_id][1] += event.data
                self.h2.acknowledge_received_data(
                    event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                ended.append(event.stream_id)
                if event.stream_id in self.requests:
                    self.requests[event.stream_id].append(True)
            elif isinstance(event, h2.events.StreamReset):
                self.requests.pop(event.stream_id, None)
            elif isinstance(event, h2.events.ConnectionTerminated):
                log("goaway-received", self.number)
        args = self.server.args
        # Every stream this read opened and not yet answered counts as open
        # at once (what BIND 9.18 looked at).
        if args.drop_above and len(self.requests) > args.drop_above:
            log("dropped", self.number, len(self.requests))
            return False
        for stream_id in ended:
            if args.answer_delay_ms:
                self.server.later(args.answer_delay_ms, self, stream_id)
            else:
                self.respond(stream_id)
        self.queue(self.h2.data_to_send())
        if self.last_stream is not None and not any(
                stream <= self.last_stream for stream in self.requests):
            return False  # every stream the GOAWAY kept is answered
        return True

    def incomplete(self):
        """Whether a request still waits for the end of its body."""
        return any(len(request) == 2 for request in self.requests.values())

    def maybe_goaway(self, stream_id):
        """--goaway-after N: the Nth stream is the last one answered; every
        later one is refused by a GOAWAY sent with streams in flight."""
        after = self.server.args.goaway_after
        if after and self.last_stream is None and self.received == after:
            self.last_stream = stream_id
            # Written by hand: h2 sends nothing more after its own GOAWAY,
            # and the streams up to this one still get their answers.
            goaway = hyperframe.frame.GoAwayFrame(0)
            goaway.last_stream_id = stream_id
            self.queue(self.h2.data_to_send())
            self.queue(goaway.serialize())
            log("goaway", self.number, stream_id)

    def respond(self, stream_id):
        args = self.server.args
        if stream_id not in self.requests:
            return  # reset by the client meanwhile
        headers, body = self.requests.pop(stream_id)[:2]
        # What the client sent beside the request itself (its credentials
        # are never logged).
        log("headers", self.number, ";".join(
            "%s=%s" % (name.decode(), value.decode())
            for name, value in sorted(headers.items())
            if not name.startswith(b":") and name != b"authorization"))
        self.server.streams += 1
        if args.refuse_every and self.server.streams % args.refuse_every == 0:
            self.h2.reset_stream(stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
            log("refused", self.number, stream_id)
            return
        if self.last_stream is not None and stream_id > self.last_stream:
            return  # refused by the GOAWAY
        body = dns_body(headers.get(b":method"),
                        headers.get(b":path", b"").decode(), body)
        self.flood()
        message = answer_for(body)
        if message is None:
            self.h2.send_headers(stream_id, [(":status", "400")],
                                 end_stream=True)
            return
        response = [(":status", "200"),
                    ("content-type", "application/dns-message"),
                    ("content-length", str(len(message)))]
        if args.continuation:
            self.queue(self.h2.data_to_send())
            self.queue(self.split_headers(stream_id, response, message))
        else:
            self.h2.send_headers(stream_id, response)
            self.h2.send_data(stream_id, message, end_stream=True)
        log("answered", self.number, stream_id)

    def split_headers(self, stream_id, response, message):
        """HEADERS plus --continuation CONTINUATION frames, then DATA.

        Literal never-indexed fields, so h2's own HPACK table stays in step
        with the client's."""
        fields = [hpack.NeverIndexedHeaderTuple(n, v) for n, v in response]
        fields.append(hpack.NeverIndexedHeaderTuple("x-pad", "p" * 64))
        block = hpack.Encoder().encode(fields)
        pieces = self.server.args.continuation + 1
        size = max(1, len(block) // pieces)
        chunks = [block[i * size:(i + 1) * size] for i in range(pieces - 1)]
        chunks.append(block[(pieces - 1) * size:])
        first = hyperframe.frame.HeadersFrame(stream_id)
        first.data = chunks[0]
        frames = [first]
        for chunk in chunks[1:]:
            frame = hyperframe.frame.ContinuationFrame(stream_id)
            frame.data = chunk
            frames.append(frame)
        frames[-1].flags.add("END_HEADERS")
        data = hyperframe.frame.DataFrame(stream_id)
        data.data = message
        data.flags.add("END_STREAM")
        frames.append(data)
        return b"".join(frame.serialize() for frame in frames)


class Http1Connection:
    """One HTTP/1.1 connection: a request at a time, answered as --http1
    says: plain (Content-Length, kept alive), chunked, continue (a 100
    Continue first), until-close (no length, body up to the close),
    close-each (Connection: close), split (one byte per write),
    drop-after=N (the N+1th request read and the connection closed without
    an answer), hang-first (the first connection never answers), garbage, endless (a body that never ends), huge-headers,
    unsolicited (a second response after each answer)."""

    def __init__(self, server, sock, number):
        self.server = server
        self.sock = sock
        self.number = number
        self.behaviour = server.args.http1
        self.buffer = b""

    def read_request(self):
        while b"\r\n\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        method, target = lines[0].split(b" ")[:2]
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(self.buffer) < length:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return method, target.decode(), body

    def response(self, message):
        b = self.behaviour
        ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
        if b == "garbage":
            return b"THIS IS NOT HTTP\r\n\r\n"
        if b == "huge-headers":
            return ok + b"X-Pad: " + b"p" * 100000 + b"\r\n\r\n"
        if b == "chunked":
            chunks = [message[i:i + 7] for i in range(0, len(message), 7)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
            return ok + b"Transfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"
        if b == "until-close":
            return ok + b"Connection: close\r\n\r\n" + message
        length = b"Content-Length: %d\r\n" % len(message)
        if b == "close-each":
            return ok + length + b"Connection: close\r\n\r\n" + message
        head = ok + length + b"\r\n"
        if b == "continue":
            return b"HTTP/1.1 100 Continue\r\n\r\n" + head + message
        return head + message

    def serve(self):
        self.sock.settimeout(10)
        answered = 0
        try:
            while True:
                request = self.read_request()
                if request is None:
                    break
                b = self.behaviour
                if b.startswith("drop-after=") and answered == int(b[11:]):
                    log("dropped", self.number)
                    break
                if b == "hang-first" and self.number == 1:
                    # No answer: wait for the client to give up and close.
                    self.sock.settimeout(None)
                    while self.sock.recv(65536):
                        pass
                    break
                message = answer_for(dns_body(*request))
                if self.server.args.answer_delay_ms:
                    # A busy server: this connection's thread is its worker.
                    time.sleep(self.server.args.answer_delay_ms / 1000)
                if b == "endless":
                    self.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: "
                                      b"application/dns-message\r\n"
                                      b"Transfer-Encoding: chunked\r\n\r\n")
                    while True:
                        self.sock.sendall(b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
                data = self.response(message)
                if b == "split":
                    for i in range(len(data)):
                        self.sock.sendall(data[i:i + 1])
                else:
                    self.sock.sendall(data)
                answered += 1
                log("answered", self.number, answered)
                if b == "unsolicited":
                    self.sock.sendall(self.response(message))
                if b in ("until-close", "close-each", "garbage",
                         "huge-headers"):
                    break
        except (OSError, ValueError):
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        log("closed", self.number)
        if self.number == 1:
            self.server.first_closed.set()


class Server:
    def __init__(self, args):
        self.args = args
        self.streams = 0
        self.connections = 0
        # Set when the first connection closes (--hold-later-tls).
        self.first_closed = threading.Event()
        self.selector = selectors.DefaultSelector()
        # Answers held back by --answer-delay-ms: (due, serial, conn, stream).
        self.delayed = []
        self.serial = 0
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        if args.alpn != "none":
            context.set_alpn_protocols(args.alpn.split(","))
        self.context = context

    def serve(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.args.port))
        listener.listen(64)
        listener.setblocking(False)
        self.selector.register(listener, selectors.EVENT_READ, None)
        log("listening", listener.getsockname()[1])
        while True:
            timeout = None
            if self.delayed:
                timeout = max(0, self.delayed[0][0] - time.monotonic())
            for key, _ in self.selector.select(timeout):
                if key.data is None:
                    self.accept(key.fileobj)
                else:
                    self.serve_connection(key.data)
            self.answer_due()

    def later(self, delay_ms, conn, stream_id):
        """Answers `stream_id` on `conn` once `delay_ms` has passed."""
        self.serial += 1
        heapq.heappush(self.delayed, (time.monotonic() + delay_ms / 1000,
                                      self.serial, conn, stream_id))

    def answer_due(self):
        now = time.monotonic()
        while self.delayed and self.delayed[0][0] <= now:
            _, _, conn, stream_id = heapq.heappop(self.delayed)
            if conn.closed:
                continue
            conn.respond(stream_id)
            conn.queue(conn.h2.data_to_send())
            self.send(conn)

    def accept(self, listener):
        raw, _ = listener.accept()
        if self.connections >= 1 and self.args.hold_later_tls:
            # Every connection after the first gets its TLS handshake only
            # once the first has closed (30 s at most); the first keeps
            # being served meanwhile, on its own thread (HTTP/1.1).
            self.first_closed.wait(30)
        raw.setblocking(True)
        raw.settimeout(5)
        try:
            sock = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log("tls-failed", repr(error))
            raw.close()
            return
        self.connections += 1
        protocol = sock.selected_alpn_protocol()
        log("connection", self.connections, protocol)
        if protocol != "h2":
            threading.Thread(target=Http1Connection(self, sock,
                                                    self.connections).serve,
                             daemon=True).start()
            return
        sock.setblocking(False)
        conn = Connection(self, sock, self.connections)
        conn.start()
        self.selector.register(sock, selectors.EVENT_READ, conn)
        self.send(conn)

    def close(self, conn):
        conn.closed = True
        self.selector.unregister(conn.sock)
        conn.sock.close()
        log("closed", conn.number)
        if conn.number == 1:
            self.first_closed.set()

    def send(self, conn):
        while conn.out:
            try:
                sent = conn.sock.send(conn.out)
            except (ssl.SSLWantWriteError, BlockingIOError):
                # A slow reader: wait until it drains.
                self.wait_writable(conn)
                continue
            except OSError:
                self.close(conn)
                return False
            conn.out = conn.out[sent:]
        return True

    def wait_writable(self, conn):
        writable = selectors.DefaultSelector()
        writable.register(conn.sock, selectors.EVENT_WRITE)
        writable.select(5)
        writable.close()

    def serve_connection(self, conn):
        try:
            data = conn.sock.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            return
        except OSError:
            data = b""
        if not data:
            self.close(conn)
            return
        keep = conn.on_data(data)
        if self.send(conn) and not keep:
            self.close(conn)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--alpn", default="h2",
                        help="comma-separated ALPN ids to accept, or none")
    parser.add_argument("--http1", default="plain",
                        help="how to serve a client that does not pick h2 "
                        "(see Http1Connection)")
    parser.add_argument("--hold-later-tls", action="store_true",
                        help="no TLS handshake for a connection after the "
                        "first until the first has closed")
    parser.add_argument("--ping-flood", type=int, default=0)
    parser.add_argument("--settings-flood", type=int, default=0)
    parser.add_argument("--window-update-flood", type=int, default=0)
    parser.add_argument("--settings-entries", type=int, default=0,
                        help="one SETTINGS frame with N entries")
    parser.add_argument("--window-overflow", action="store_true",
                        help="WINDOW_UPDATEs past 2^31-1")
    parser.add_argument("--continuation", type=int, default=0,
                        help="CONTINUATION frames per response header block")
    parser.add_argument("--initial-window", type=int, default=0,
                        help="SETTINGS_INITIAL_WINDOW_SIZE: how much of a "
                        "request body may come before a WINDOW_UPDATE")
    parser.add_argument("--strict-bodies", action="store_true",
                        help="refuse a stream that opens while another "
                        "stream's body is incomplete (knot-resolver 5.6)")
    parser.add_argument("--max-streams", type=int, default=0,
                        help="SETTINGS_MAX_CONCURRENT_STREAMS to advertise")
    parser.add_argument("--answer-delay-ms", type=int, default=0,
                        help="answer each request this long after it came "
                        "(HTTP/2: other streams go on meanwhile)")
    parser.add_argument("--refuse-every", type=int, default=0,
                        help="REFUSED_STREAM for every Nth stream")
    parser.add_argument("--goaway-after", type=int, default=0,
                        help="GOAWAY once a connection opened N streams")
    parser.add_argument("--drop-above", type=int, default=0,
                        help="close a connection with more than N open "
                        "streams")
    args = parser.parse_args()
    try:
        Server(args).serve()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
