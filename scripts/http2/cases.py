#!/usr/bin/env python3
"""h2spec-style HTTP/2 cases against a running atode server, over cleartext
HTTP/2 with prior knowledge (h2c), on raw sockets.

    python cases.py --addr 127.0.0.1:PORT --pid PID [--path /openapi.json] [CASE...]

Frames are written by hand where they must be malformed, with hyperframe
where they are valid, and every frame the server sends is parsed with
hyperframe (HPACK: the `hpack` package, under `h2`; the well-behaved client
that checks the server still serves others is `h2`'s).

Each case prints one row: what h2spec (or, for the floods, the CVE's
mitigation) expects, what hyper answered, and a verdict:

    PASS  the answer h2spec expects
    SAFE  a different answer, recorded below the table, that is still safe:
          the connection is refused or closed, nothing is left unbounded
    FAIL  anything else (the process exits 1)

The flood cases sample the server's memory (VmRSS, and the peak VmHWM after
resetting it through /proc/PID/clear_refs) and fail past --memory-bound-mib
of growth. The `graceful-shutdown` case sends the server SIGTERM, so it runs
last; the caller checks that the server then exits 0.

Loopback only: --addr must be on 127.0.0.0/8 or ::1.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import hpack
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types and flags, for the frames written by hand.
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
F_END_STREAM, F_ACK, F_END_HEADERS = 0x1, 0x1, 0x4

# SETTINGS identifiers.
S_HEADER_TABLE_SIZE, S_MAX_CONCURRENT_STREAMS, S_INITIAL_WINDOW_SIZE = 0x1, 0x3, 0x4
S_MAX_FRAME_SIZE, S_MAX_HEADER_LIST_SIZE = 0x5, 0x6
SETTING_NAMES = {
    0x1: "HEADER_TABLE_SIZE", 0x2: "ENABLE_PUSH", 0x3: "MAX_CONCURRENT_STREAMS",
    0x4: "INITIAL_WINDOW_SIZE", 0x5: "MAX_FRAME_SIZE", 0x6: "MAX_HEADER_LIST_SIZE",
    0x8: "ENABLE_CONNECT_PROTOCOL",
}

ERRORS = {
    0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
    0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
    0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xA: "CONNECT_ERROR", 0xB: "ENHANCE_YOUR_CALM",
    0xC: "INADEQUATE_SECURITY", 0xD: "HTTP_1_1_REQUIRED",
}
CANCEL = 0x8

MAX_WINDOW = 2**31 - 1
WAIT = 3.0  # how long to wait for an answer the server owes, in seconds


def error_name(code: int) -> str:
    return ERRORS.get(code, f"0x{code:x}")


def raw_frame(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    """A frame as bytes, whatever its type, flags and payload (valid or not)."""
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", ftype, flags, stream) + payload


# --- HPACK by hand (RFC 7541), for the blocks an encoder would not write ---

def hpack_int(value: int, prefix_bits: int, first: int = 0) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_str(data: bytes) -> bytes:
    return hpack_int(len(data), 7) + data  # not Huffman-coded


def literal_new_name(name: bytes, value: bytes, indexed: bool) -> bytes:
    """Literal with incremental indexing (0x40) or without indexing (0x00)."""
    return (b"\x40" if indexed else b"\x00") + hpack_str(name) + hpack_str(value)


def request_head_by_hand(authority: str, path: str) -> bytes:
    """GET PATH, with nothing put in the dynamic table: static-table :method
    GET (2) and :scheme http (6), literal :authority (1) and :path (4)."""
    return (b"\x82\x86"
            + hpack_int(1, 4) + hpack_str(authority.encode())
            + hpack_int(4, 4) + hpack_str(path.encode()))


# --- memory ---

def memory_kib(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


def reset_peak(pid: int) -> bool:
    """Resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


class Memory:
    """The server's RSS before a case, and its peak during it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_resettable = reset_peak(pid)
        self.before = memory_kib(pid)["VmRSS"]

    def growth_mib(self) -> float:
        now = memory_kib(self.pid)
        peak = now["VmHWM"] if self.peak_resettable else now["VmRSS"]
        return max(0, max(peak, now["VmRSS"]) - self.before) / 1024

    def describe(self) -> str:
        now = memory_kib(self.pid)
        return f"RSS {self.before / 1024:.1f}->{now['VmRSS'] / 1024:.1f} MiB, peak +{self.growth_mib():.1f} MiB"


# --- a raw HTTP/2 client connection ---

class Closed(Exception):
    pass


@dataclass
class Received:
    """What a connection has received so far."""

    frames: list = field(default_factory=list)
    goaway: GoAwayFrame | None = None
    resets: dict = field(default_factory=dict)  # stream -> error code
    statuses: dict = field(default_factory=dict)  # stream -> :status
    ended: set = field(default_factory=set)  # streams the server ended
    body: dict = field(default_factory=dict)  # stream -> bytes of DATA
    pings_acked: int = 0
    settings_acked: int = 0
    closed: str | None = None  # "EOF" or "RST" once the connection is gone


class Conn:
    """One TCP connection speaking HTTP/2 with prior knowledge. It answers
    the server's SETTINGS and PINGs as a client must (unless told not to),
    and records every frame the server sends."""

    def __init__(self, addr: tuple[str, int], settings: dict[int, int] | None = None,
                 handshake: bool = True, timeout: float = WAIT) -> None:
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.authority = f"{addr[0]}:{addr[1]}"
        self.buf = bytearray()
        self.got = Received()
        self.server_settings: dict[int, int] = {}
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.decoder.max_allowed_table_size = 65536
        self.answer_pings = True
        self.write_failed: str | None = None
        if handshake:
            self.send(PREFACE + SettingsFrame(0, settings=settings or {}).serialize())
            self.wait_for(lambda: bool(self.server_settings), WAIT)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> bool:
        """Writes `data`; False if the server has closed (or stopped reading
        for longer than the socket's timeout)."""
        try:
            self.sock.sendall(data)
            return True
        except socket.timeout:
            self.write_failed = "blocked"
        except (BrokenPipeError, ConnectionResetError) as error:
            # What the server wrote before it closed is still to be read.
            self.write_failed = type(error).__name__
        return False

    def headers_block(self, path: str, method: str = "GET") -> bytes:
        return self.encoder.encode([(":method", method), (":scheme", "http"),
                                    (":authority", self.authority), (":path", path)])

    def request(self, stream: int, path: str, end_stream: bool = True, method: str = "GET") -> bool:
        flags = ["END_HEADERS"] + (["END_STREAM"] if end_stream else [])
        return self.send(HeadersFrame(stream, data=self.headers_block(path, method), flags=flags).serialize())

    def ping(self, data: bytes = b"atode-h2") -> bool:
        return self.send(PingFrame(0, opaque_data=data).serialize())

    # Reading.

    def _fill(self, timeout: float) -> bool:
        """Reads what has arrived within `timeout`: False on timeout."""
        if self.got.closed:
            raise Closed(self.got.closed)
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            self.got.closed = "RST"
            raise Closed("RST") from None
        except socket.timeout:
            return False
        if not chunk:
            self.got.closed = "EOF"
            raise Closed("EOF")
        self.buf += chunk
        return True

    def _next_frame(self) -> Frame | None:
        if len(self.buf) < 9:
            return None
        frame, length = Frame.parse_frame_header(memoryview(bytes(self.buf[:9])))
        if len(self.buf) < 9 + length:
            return None
        frame.parse_body(memoryview(bytes(self.buf[9:9 + length])))
        del self.buf[:9 + length]
        return frame

    def _record(self, frame: Frame) -> None:
        got = self.got
        got.frames.append(frame)
        if isinstance(frame, SettingsFrame):
            if "ACK" in frame.flags:
                got.settings_acked += 1
            else:
                self.server_settings.update(frame.settings)
                if not self.server_settings:
                    self.server_settings[-1] = 0  # an empty SETTINGS still counts
                self.send(SettingsFrame(0, flags=["ACK"]).serialize())
        elif isinstance(frame, PingFrame):
            if "ACK" in frame.flags:
                got.pings_acked += 1
            elif self.answer_pings:
                self.send(PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]).serialize())
        elif isinstance(frame, GoAwayFrame):
            got.goaway = frame
        elif isinstance(frame, RstStreamFrame):
            got.resets[frame.stream_id] = frame.error_code
        elif isinstance(frame, (HeadersFrame, ContinuationFrame)):
            # The server's blocks are whole in one frame here (small heads).
            headers = self.decoder.decode(bytes(frame.data))
            for name, value in headers:
                if name in (":status", b":status"):
                    got.statuses[frame.stream_id] = int(value)
        elif isinstance(frame, DataFrame):
            got.body[frame.stream_id] = got.body.get(frame.stream_id, 0) + len(frame.data)
        if "END_STREAM" in frame.flags and isinstance(frame, (HeadersFrame, DataFrame)):
            got.ended.add(frame.stream_id)

    def wait_for(self, done, timeout: float) -> bool:
        """Reads frames until `done()` is true (True), the connection ends
        or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        while True:
            while (frame := self._next_frame()) is not None:
                self._record(frame)
            if done():
                return True
            # At least one look at the socket, even with no time left.
            left = max(deadline - time.monotonic(), 0)
            try:
                if not self._fill(left):
                    return False
            except Closed:
                while (frame := self._next_frame()) is not None:
                    self._record(frame)
                return done()

    def drain(self, timeout: float = 0.0) -> None:
        """Reads whatever is already there (or arrives within `timeout`)."""
        self.wait_for(lambda: False, timeout)

    def wait_goaway_or_close(self, timeout: float = WAIT) -> None:
        self.wait_for(lambda: self.got.goaway is not None and self.got.closed is not None, timeout)

    def alive(self) -> bool:
        """Whether the connection still answers a PING."""
        if self.got.closed or self.got.goaway is not None:
            return False
        before = self.got.pings_acked
        return self.ping(b"alive?!!") and self.wait_for(lambda: self.got.pings_acked > before, WAIT)


def connection_outcome(conn: Conn) -> str:
    """How a connection ended: 'GOAWAY <code>' (and how it closed), or else."""
    got = conn.got
    if got.goaway is not None:
        code = error_name(got.goaway.error_code)
        debug = bytes(got.goaway.additional_data).decode(errors="replace")
        return f"GOAWAY {code}" + (f" ({debug})" if debug else "")
    if got.closed:
        return f"closed ({got.closed}) without GOAWAY"
    if conn.write_failed == "blocked":
        return "server stopped reading, connection open"
    return "no answer, connection open"


def well_behaved_request(addr: tuple[str, int], path: str) -> int | None:
    """One GET over a fresh connection with h2's client: its status."""
    config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
    conn = h2.connection.H2Connection(config=config)
    with socket.create_connection(addr, timeout=WAIT) as sock:
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "GET"), (":scheme", "http"),
                                   (":authority", f"{addr[0]}:{addr[1]}"), (":path", path)],
                          end_stream=True)
        sock.sendall(conn.data_to_send())
        status = None
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = int(dict(event.headers)[":status"])
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    sock.sendall(conn.data_to_send())
                    return status
            sock.sendall(conn.data_to_send())
        return status


# --- the cases ---

@dataclass
class Result:
    case: str
    expected: str
    got: str
    verdict: str  # PASS, SAFE or FAIL
    note: str = ""


class Cases:
    def __init__(self, addr: tuple[str, int], pid: int, path: str, bound_mib: float) -> None:
        self.addr = addr
        self.pid = pid
        self.path = path
        self.bound_mib = bound_mib

    # Helpers shared by the cases.

    def conn(self, **kwargs) -> Conn:
        return Conn(self.addr, **kwargs)

    def others_served(self) -> bool:
        return well_behaved_request(self.addr, self.path) == 200

    def goaway_case(self, case: str, send: bytes, expected_code: str, safe: dict[str, str],
                    settings: dict[int, int] | None = None) -> Result:
        """Sends `send` after the handshake; the server should answer GOAWAY
        `expected_code` and close. `safe` maps another code to why it is safe."""
        conn = self.conn(settings=settings)
        conn.send(send)
        conn.wait_goaway_or_close()
        conn.close()
        got = connection_outcome(conn)
        expected = f"GOAWAY {expected_code}"
        code = error_name(conn.got.goaway.error_code) if conn.got.goaway else None
        if code == expected_code:
            return Result(case, expected, got, "PASS")
        if code in safe:
            return Result(case, expected, got, "SAFE", safe[code])
        return Result(case, expected, got, "FAIL")

    def blocked_stream(self, conn: Conn, stream: int) -> bool:
        """Opens `stream` (a GET) on a connection whose client window is 0:
        the server answers its HEADERS, and its DATA waits for a WINDOW_UPDATE,
        so the stream stays open. True once the response HEADERS came."""
        conn.request(stream, self.path)
        return conn.wait_for(lambda: stream in conn.got.statuses or stream in conn.got.resets, WAIT)

    # SETTINGS (RFC 9113 6.5; h2spec 6.5, 6.5.2, 6.5.3).

    def settings_ack(self) -> Result:
        conn = self.conn()
        acked = conn.wait_for(lambda: conn.got.settings_acked > 0, WAIT)
        conn.close()
        server = ", ".join(f"{SETTING_NAMES.get(k, hex(k))}={v}" for k, v in sorted(conn.server_settings.items()) if k >= 0)
        got = "SETTINGS ACK" if acked else connection_outcome(conn)
        return Result("settings: ACK", "SETTINGS ACK", got, "PASS" if acked else "FAIL",
                      f"server SETTINGS: {server or '(defaults)'}")

    def settings_initial_window_too_large(self) -> Result:
        return self.goaway_case(
            "settings: INITIAL_WINDOW_SIZE 2^31",
            SettingsFrame(0, settings={S_INITIAL_WINDOW_SIZE: 2**31}).serialize(),
            "FLOW_CONTROL_ERROR",
            {"PROTOCOL_ERROR": "h2 (frame/settings.rs) rejects every out-of-range SETTINGS value as "
                               "InvalidSettingValue, which framed_read.rs answers with GOAWAY PROTOCOL_ERROR; "
                               "RFC 9113 6.5.2 asks for FLOW_CONTROL_ERROR. The connection is closed either way."})

    def settings_on_stream(self) -> Result:
        return self.goaway_case(
            "settings: on stream 1",
            raw_frame(SETTINGS, 0, 1, b""),
            "PROTOCOL_ERROR", {})

    def settings_bad_length(self) -> Result:
        return self.goaway_case(
            "settings: length 3 (not 6n)",
            raw_frame(SETTINGS, 0, 0, b"\x00\x03\x00"),
            "FRAME_SIZE_ERROR",
            {"PROTOCOL_ERROR": "h2 answers a SETTINGS payload that is not a multiple of 6 with "
                               "GOAWAY PROTOCOL_ERROR; RFC 9113 6.5 asks for FRAME_SIZE_ERROR. "
                               "The connection is closed either way."})

    def settings_ack_with_payload(self) -> Result:
        return self.goaway_case(
            "settings: ACK with payload",
            raw_frame(SETTINGS, F_ACK, 0, struct.pack(">HI", S_MAX_CONCURRENT_STREAMS, 100)),
            "FRAME_SIZE_ERROR",
            {"PROTOCOL_ERROR": "h2 answers a SETTINGS ACK with a payload with GOAWAY PROTOCOL_ERROR; "
                               "RFC 9113 6.5 asks for FRAME_SIZE_ERROR. The connection is closed either way."})

    # Flow control (RFC 9113 6.9; h2spec 6.9.1, 6.9.2).

    def window_update_overflow_connection(self) -> Result:
        return self.goaway_case(
            "window: connection over 2^31-1",
            raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_WINDOW)),
            "FLOW_CONTROL_ERROR", {})

    def window_update_overflow_stream(self) -> Result:
        case, expected = "window: stream over 2^31-1", "RST_STREAM FLOW_CONTROL_ERROR"
        conn = self.conn(settings={S_INITIAL_WINDOW_SIZE: 0})
        if not self.blocked_stream(conn, 1):
            conn.close()
            return Result(case, expected, "no response HEADERS: " + connection_outcome(conn), "FAIL")
        update = raw_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", MAX_WINDOW))
        conn.send(update + update)
        conn.wait_for(lambda: 1 in conn.got.resets or conn.got.goaway is not None, WAIT)
        alive = conn.alive()
        conn.close()
        if 1 in conn.got.resets:
            got = f"RST_STREAM {error_name(conn.got.resets[1])}" + ("; connection alive" if alive else "")
            ok = conn.got.resets[1] == 0x3 and alive
            return Result(case, expected, got, "PASS" if ok else "FAIL")
        got = connection_outcome(conn)
        if conn.got.goaway is not None and conn.got.goaway.error_code == 0x3:
            return Result(case, expected, got, "SAFE", "a connection error where a stream error would do")
        return Result(case, expected, got, "FAIL")

    def window_update_zero_connection(self) -> Result:
        return self.goaway_case(
            "window: increment 0 on connection",
            raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0)),
            "PROTOCOL_ERROR", {})

    def window_update_zero_stream(self) -> Result:
        case, expected = "window: increment 0 on stream", "RST_STREAM PROTOCOL_ERROR"
        conn = self.conn(settings={S_INITIAL_WINDOW_SIZE: 0})
        if not self.blocked_stream(conn, 1):
            conn.close()
            return Result(case, expected, "no response HEADERS: " + connection_outcome(conn), "FAIL")
        conn.send(raw_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0)))
        conn.wait_for(lambda: 1 in conn.got.resets or conn.got.goaway is not None, WAIT)
        if 1 in conn.got.resets and conn.got.resets[1] == 0x1:
            conn.close()
            return Result(case, expected, "RST_STREAM PROTOCOL_ERROR", "PASS")
        conn.wait_goaway_or_close()
        conn.close()
        got = connection_outcome(conn)
        if conn.got.goaway is not None and conn.got.goaway.error_code == 0x1:
            return Result(case, expected, got, "SAFE",
                          "h2 (frame/window_update.rs) rejects a zero increment while parsing the frame, "
                          "before it looks at the stream, so it is a connection error (GOAWAY PROTOCOL_ERROR); "
                          "RFC 9113 6.9 makes it a stream error, and 5.4.1 lets any stream error end the connection.")
        return Result(case, expected, got, "FAIL")

    # Floods.

    def rapid_reset(self) -> Result:
        """CVE-2023-44487: HEADERS then RST_STREAM, as fast as possible."""
        case, expected = "flood: rapid reset (HEADERS+RST)", "GOAWAY ENHANCE_YOUR_CALM or bounded"
        pairs = 20_000
        memory = Memory(self.pid)
        conn = self.conn()
        started = time.monotonic()
        sent = 0
        batch = 500
        for first in range(0, pairs, batch):
            out = bytearray()
            for i in range(first, min(first + batch, pairs)):
                stream = 2 * i + 1
                out += HeadersFrame(stream, data=conn.headers_block(self.path),
                                    flags=["END_HEADERS", "END_STREAM"]).serialize()
                out += RstStreamFrame(stream, error_code=CANCEL).serialize()
            if not conn.send(bytes(out)):
                break
            sent = min(first + batch, pairs)
            conn.drain()
            if conn.got.goaway is not None or conn.got.closed:
                break
        conn.wait_goaway_or_close()
        conn.close()
        took = time.monotonic() - started
        served = self.others_served()
        grew = memory.growth_mib()
        goaway = conn.got.goaway
        got = connection_outcome(conn)
        if goaway is not None:
            got += f" at stream {goaway.last_stream_id}"
        got += f"; {sent} of {pairs} pairs sent; others {'served' if served else 'NOT served'}; peak +{grew:.1f} MiB"
        ok = served and grew <= self.bound_mib and (
            (goaway is not None and goaway.error_code == 0xB) or took < 30)
        verdict = "PASS" if ok and goaway is not None and goaway.error_code == 0xB else ("SAFE" if ok else "FAIL")
        note = "" if verdict != "SAFE" else "no GOAWAY: the resets were absorbed, with bounded memory and time"
        return Result(case, expected, got, verdict, note)

    def rapid_reset_paced(self) -> Result:
        """Rapid reset paced so that the server takes each stream before its
        RST_STREAM arrives: the limit on resets of streams not yet taken (20)
        never trips, so what bounds it is the cost of a stream, and other
        clients must still be served meanwhile."""
        case = "flood: rapid reset, paced"
        expected = "GOAWAY ENHANCE_YOUR_CALM or bounded"
        seconds = 3.0
        memory = Memory(self.pid)
        conn = self.conn()
        latencies: list[float] = []
        stop = threading.Event()

        def others() -> None:
            while not stop.is_set():
                began = time.monotonic()
                status = well_behaved_request(self.addr, self.path)
                latencies.append(time.monotonic() - began if status == 200 else float("inf"))
                time.sleep(0.05)

        other = threading.Thread(target=others, daemon=True)
        other.start()
        began = time.monotonic()
        pairs = 0
        while time.monotonic() - began < seconds and pairs < 1_000_000:
            stream = 2 * pairs + 1
            if not conn.send(HeadersFrame(stream, data=conn.headers_block(self.path),
                                          flags=["END_HEADERS", "END_STREAM"]).serialize()):
                break
            time.sleep(0.0002)
            if not conn.send(RstStreamFrame(stream, error_code=CANCEL).serialize()):
                break
            pairs += 1
            if pairs % 50 == 0:
                conn.drain()
                if conn.got.goaway is not None or conn.got.closed:
                    break
        stop.set()
        other.join(timeout=WAIT * 2)
        conn.drain(0.5)
        alive = conn.alive()
        conn.close()
        grew = memory.growth_mib()
        answered = sum(1 for s in conn.got.statuses)
        worst = max(latencies) if latencies else float("inf")
        got = (connection_outcome(conn) + "; " if conn.got.goaway is not None else "")
        got += (f"{pairs} pairs in {seconds:.0f}s, {answered} answered before their reset"
                f"; connection {'alive' if alive else 'closed'}; {len(latencies)} requests of others,"
                f" slowest {worst * 1000:.0f} ms; peak +{grew:.1f} MiB")
        ok = latencies and worst < 1.0 and grew <= self.bound_mib
        if ok and conn.got.goaway is not None and conn.got.goaway.error_code == 0xB:
            return Result(case, expected, got, "PASS")
        if ok:
            return Result(case, expected, got, "SAFE",
                          "paced resets are not refused (h2 counts only streams reset before the server "
                          "takes them), so each costs one request served or dropped, the cost of any "
                          "client's request: others are served within a second and memory stays within "
                          "the bound.")
        return Result(case, expected, got, "FAIL")

    def made_you_reset(self) -> Result:
        """CVE-2025-8671 ("MadeYouReset"): frames that make the server reset
        the stream itself, which the rapid-reset limit on the client's own
        resets does not count. Here: each stream's window pushed past
        2^31-1 (RST_STREAM FLOW_CONTROL_ERROR, as `window-overflow-stream`
        shows), with the client's window at 0 so every stream is still open."""
        case, expected = "flood: server-made resets (MadeYouReset)", "GOAWAY ENHANCE_YOUR_CALM or bounded"
        streams = 5_000
        memory = Memory(self.pid)
        conn = self.conn(settings={S_INITIAL_WINDOW_SIZE: 0})
        overflow = struct.pack(">I", MAX_WINDOW)
        sent = 0
        batch = 250
        for first in range(0, streams, batch):
            out = bytearray()
            for i in range(first, min(first + batch, streams)):
                stream = 2 * i + 1
                out += HeadersFrame(stream, data=conn.headers_block(self.path),
                                    flags=["END_HEADERS", "END_STREAM"]).serialize()
                out += raw_frame(WINDOW_UPDATE, 0, stream, overflow) * 2
            if not conn.send(bytes(out)):
                break
            sent = min(first + batch, streams)
            conn.drain()
            if conn.got.goaway is not None or conn.got.closed:
                break
        conn.wait_goaway_or_close()
        conn.close()
        served = self.others_served()
        grew = memory.growth_mib()
        goaway = conn.got.goaway
        got = connection_outcome(conn)
        if goaway is not None:
            got += f" at stream {goaway.last_stream_id}"
        codes = sorted({error_name(c) for c in conn.got.resets.values()})
        got += (f"; {len(conn.got.resets)} RST_STREAM ({', '.join(codes) or '-'}) for {sent} streams sent"
                f"; others {'served' if served else 'NOT served'}; peak +{grew:.1f} MiB")
        ok = served and grew <= self.bound_mib
        if ok and goaway is not None and goaway.error_code == 0xB:
            return Result(case, expected, got, "PASS")
        return Result(case, expected, got, "SAFE" if ok else "FAIL",
                      "no GOAWAY ENHANCE_YOUR_CALM: the resets were answered with bounded memory" if ok else "")

    def continuation_flood(self, empty: bool) -> Result:
        """CVE-2024-27316 and friends: HEADERS without END_HEADERS, then
        CONTINUATION frames that never end the block."""
        what = "empty" if empty else "16 KiB"
        case = f"flood: CONTINUATION ({what})"
        expected = "GOAWAY + close, bounded by the header limit"
        frames = 200_000 if empty else 8_192  # 1.8 MB / 128 MiB of frames at most
        memory = Memory(self.pid)
        conn = self.conn(timeout=WAIT)
        if empty:
            fragment = b""
        else:
            name = b"x-flood"
            value = b"a" * (16384 - 1 - len(hpack_str(name)) - 3)
            fragment = literal_new_name(name, value, indexed=False)
            assert len(fragment) == 16384, len(fragment)
        conn.send(raw_frame(HEADERS, F_END_STREAM, 1, request_head_by_hand(conn.authority, self.path)))
        one = raw_frame(CONTINUATION, 0, 1, fragment)
        per_write = 512 if empty else 16
        sent = 0
        while sent < frames:
            if not conn.send(one * per_write):
                break
            sent += per_write
            try:
                conn.drain()
            except Closed:
                break
            if conn.got.goaway is not None or conn.got.closed:
                break
        conn.wait_goaway_or_close()
        conn.close()
        grew = memory.growth_mib()
        served = self.others_served()
        got = connection_outcome(conn)
        if conn.got.closed:
            got += f", closed ({conn.got.closed})"
        # Written means into the kernel's buffers: several MB on loopback.
        got += (f"; writes refused after {sent} frames" if conn.write_failed
                else f"; {sent} frames written by then")
        got += f"; others {'served' if served else 'NOT served'}; peak +{grew:.1f} MiB"
        goaway = conn.got.goaway
        ok = goaway is not None and goaway.error_code != 0 and conn.got.closed is not None \
            and served and grew <= self.bound_mib
        return Result(case, expected, got, "PASS" if ok else "FAIL")

    def hpack_bomb(self, references: int) -> Result:
        """One header of ~4 KB put in the dynamic table, then referenced
        `references` times by its 1-byte index: a few KB on the wire that
        decode to references x 4 KB."""
        decoded_kib = references * 4038 // 1024
        case = f"hpack bomb: {references} refs (~{decoded_kib:,} KiB)"
        memory = Memory(self.pid)
        conn = self.conn()
        limit = conn.server_settings.get(S_MAX_HEADER_LIST_SIZE)
        # Entry size 6 + 4000 + 32 = 4038 <= 4096, the default table size: it
        # becomes dynamic index 62, referenced as 0xbe.
        insert = literal_new_name(b"x-bomb", b"b" * 4000, indexed=True)
        head = request_head_by_hand(conn.authority, self.path)
        streams = 1 if references > 1000 else 50
        for n in range(streams):
            stream = 2 * n + 1
            block = head + (insert if n == 0 else b"") + b"\xbe" * references
            # Split over HEADERS and CONTINUATION frames of at most 16 KiB.
            chunks = [block[i:i + 16384] for i in range(0, len(block), 16384)]
            out = bytearray()
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                if i == 0:
                    out += raw_frame(HEADERS, F_END_STREAM | (F_END_HEADERS if last else 0), stream, chunk)
                else:
                    out += raw_frame(CONTINUATION, F_END_HEADERS if last else 0, stream, chunk)
            if not conn.send(bytes(out)):
                break
        last_stream = 2 * (streams - 1) + 1
        conn.wait_for(lambda: conn.got.goaway is not None or last_stream in conn.got.ended
                      or last_stream in conn.got.resets, WAIT)
        alive = conn.alive() if conn.got.goaway is None else False
        conn.close()
        grew = memory.growth_mib()
        served = self.others_served()
        tail = f"; others {'served' if served else 'NOT served'}; peak +{grew:.1f} MiB"
        bounded = served and grew <= self.bound_mib
        if streams == 1:
            expected = "GOAWAY (or stream refused), memory bounded"
            got = connection_outcome(conn)
            if conn.got.goaway is not None and bounded:
                return Result(case, expected, got + tail, "PASS")
            return Result(case, expected, got + tail, "FAIL")
        expected = f"each stream refused (431 or RST_STREAM; limit {limit})"
        refused = [s for s in range(1, last_stream + 1, 2)
                   if conn.got.statuses.get(s) == 431 or s in conn.got.resets]
        got = f"{len(refused)}/{streams} streams answered 431"
        resets = {error_name(c) for c in conn.got.resets.values()}
        if resets:
            got += f" (RST_STREAM {', '.join(sorted(resets))})"
        got += "; connection alive" if alive else "; " + connection_outcome(conn)
        if len(refused) == streams and bounded:
            return Result(case, expected, got + tail, "PASS")
        return Result(case, expected, got + tail, "FAIL")

    def stream_limit(self) -> Result:
        """h2spec 5.1.2: one stream past SETTINGS_MAX_CONCURRENT_STREAMS."""
        case = "streams: past MAX_CONCURRENT_STREAMS"
        memory = Memory(self.pid)
        conn = self.conn(settings={S_INITIAL_WINDOW_SIZE: 0})
        limit = conn.server_settings.get(S_MAX_CONCURRENT_STREAMS)
        if limit is None or limit > 10_000:
            conn.close()
            return Result(case, "RST_STREAM REFUSED_STREAM", f"no usable limit advertised ({limit})", "FAIL")
        expected = f"RST_STREAM REFUSED_STREAM (limit {limit})"
        # `limit` streams whose responses wait on the client's window of 0.
        out = bytearray()
        for n in range(limit):
            out += HeadersFrame(2 * n + 1, data=conn.headers_block(self.path),
                                flags=["END_HEADERS", "END_STREAM"]).serialize()
        conn.send(bytes(out))
        answered = conn.wait_for(lambda: len(conn.got.statuses) >= limit or conn.got.goaway is not None, WAIT * 2)
        open_streams = sum(1 for s in conn.got.statuses if s not in conn.got.ended)
        extra = 2 * limit + 1
        conn.request(extra, self.path)
        conn.wait_for(lambda: extra in conn.got.resets or extra in conn.got.statuses
                      or conn.got.goaway is not None, WAIT)
        alive = conn.alive()
        # The window opens: every stream held open completes.
        conn.send(raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 30))
                  + b"".join(raw_frame(WINDOW_UPDATE, 0, 2 * n + 1, struct.pack(">I", 1 << 20))
                             for n in range(limit)))
        completed = conn.wait_for(lambda: all(2 * n + 1 in conn.got.ended for n in range(limit)), WAIT * 2)
        conn.close()
        grew = memory.growth_mib()
        if extra in conn.got.resets:
            got = f"RST_STREAM {error_name(conn.got.resets[extra])} for stream {limit + 1}"
        elif extra in conn.got.statuses:
            got = f"stream {limit + 1} answered {conn.got.statuses[extra]}"
        else:
            got = connection_outcome(conn)
        got += (f"; {open_streams} held open; {'all' if completed else 'NOT all'} completed after WINDOW_UPDATE"
                f"; connection {'alive' if alive else 'dead'}; peak +{grew:.1f} MiB")
        code = conn.got.resets.get(extra)
        ok = answered and open_streams == limit and alive and completed and grew <= self.bound_mib
        if ok and code == 0x7:
            return Result(case, expected, got, "PASS")
        if ok and code == 0x1:
            return Result(case, expected, got, "SAFE", "PROTOCOL_ERROR is the other answer RFC 9113 5.1.2 allows")
        return Result(case, expected, got, "FAIL")

    def ping_flood(self) -> Result:
        """PINGs sent without reading the ACKs: the server must not queue
        ACKs without bound (it stops reading instead), and answer them all
        once the client reads."""
        case, expected = "flood: PING (ACKs unread)", "every PING ACKed, memory bounded"
        pings = 50_000
        memory = Memory(self.pid)
        conn = self.conn(timeout=10)
        frames = b"".join(PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize() for i in range(pings))
        base = conn.got.pings_acked
        writer = threading.Thread(target=conn.send, args=(frames,), daemon=True)
        writer.start()
        time.sleep(0.5)  # ACKs pile up unread: the server's writes block
        grew_unread = memory.growth_mib()
        conn.wait_for(lambda: conn.got.pings_acked - base >= pings or conn.got.goaway is not None, 10)
        writer.join(timeout=5)
        acks = conn.got.pings_acked - base
        alive = conn.alive()
        conn.request(2 * 1 + 1, self.path)
        status_ok = conn.wait_for(lambda: 3 in conn.got.ended or conn.got.goaway is not None, WAIT) \
            and conn.got.statuses.get(3) == 200
        conn.close()
        grew = memory.growth_mib()
        if conn.got.goaway is not None:
            got = f"{connection_outcome(conn)} after {acks} ACKs of {pings}; peak +{grew:.1f} MiB"
            ok = conn.got.goaway.error_code == 0xB and grew <= self.bound_mib and self.others_served()
            return Result(case, expected, got, "SAFE" if ok else "FAIL",
                          "the server ended the flood with GOAWAY ENHANCE_YOUR_CALM" if ok else "")
        got = (f"{acks}/{pings} ACKs; then 200 on the same connection: {'yes' if status_ok else 'no'}; "
               f"peak +{grew_unread:.1f} MiB unread, +{grew:.1f} MiB overall")
        ok = acks == pings and alive and status_ok and grew <= self.bound_mib
        return Result(case, expected, got, "PASS" if ok else "FAIL")

    def graceful_shutdown(self) -> Result:
        """SIGTERM while a stream is in flight: GOAWAY NO_ERROR, the stream
        completes, then the connection closes."""
        case, expected = "shutdown: SIGTERM mid-stream", "GOAWAY NO_ERROR; in-flight stream completes"
        conn = self.conn(settings={S_INITIAL_WINDOW_SIZE: 0}, timeout=10)
        if not self.blocked_stream(conn, 1) or conn.got.statuses.get(1) != 200:
            conn.close()
            return Result(case, expected, "no response HEADERS: " + connection_outcome(conn), "FAIL")
        os.kill(self.pid, signal.SIGTERM)
        got_goaway = conn.wait_for(lambda: conn.got.goaway is not None, 5)
        first = conn.got.goaway
        # hyper's graceful GOAWAY is two-step (last stream 2^31-1, then, after a
        # PING round trip, the last stream it took): read on for the second.
        conn.wait_for(lambda: conn.got.goaway is not first, 1)
        goaways = [f for f in conn.got.frames if isinstance(f, GoAwayFrame)]
        # Only now may the response's DATA flow.
        conn.send(raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 24))
                  + raw_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1 << 24)))
        completed = conn.wait_for(lambda: 1 in conn.got.ended, 5)
        closed = conn.wait_for(lambda: conn.got.closed is not None, 5)
        conn.close()
        if not got_goaway:
            return Result(case, expected, "no GOAWAY within 5 s: " + connection_outcome(conn), "FAIL")
        steps = ", ".join(f"GOAWAY {error_name(g.error_code)} last={g.last_stream_id}" for g in goaways)
        body = conn.got.body.get(1, 0)
        got = (f"{steps}; stream 1 {'completed (' + str(body) + ' B)' if completed else 'NOT completed'}; "
               f"connection {'closed' if closed else 'left open'}")
        ok = all(g.error_code == 0 for g in goaways) and completed and closed \
            and goaways[-1].last_stream_id >= 1
        return Result(case, expected, got, "PASS" if ok else "FAIL")

    def all(self) -> dict:
        return {
            "settings-ack": self.settings_ack,
            "settings-initial-window": self.settings_initial_window_too_large,
            "settings-on-stream": self.settings_on_stream,
            "settings-bad-length": self.settings_bad_length,
            "settings-ack-payload": self.settings_ack_with_payload,
            "window-overflow-connection": self.window_update_overflow_connection,
            "window-overflow-stream": self.window_update_overflow_stream,
            "window-zero-connection": self.window_update_zero_connection,
            "window-zero-stream": self.window_update_zero_stream,
            "stream-limit": self.stream_limit,
            "rapid-reset": self.rapid_reset,
            "rapid-reset-paced": self.rapid_reset_paced,
            "made-you-reset": self.made_you_reset,
            "continuation-flood": lambda: self.continuation_flood(empty=False),
            "continuation-flood-empty": lambda: self.continuation_flood(empty=True),
            "hpack-bomb-over-limit": lambda: self.hpack_bomb(17),
            "hpack-bomb": lambda: self.hpack_bomb(12_000),
            "ping-flood": self.ping_flood,
            # Last: it stops the server.
            "graceful-shutdown": self.graceful_shutdown,
        }


def print_table(results: list[Result]) -> None:
    headers = ("case", "expected", "got", "verdict")
    rows = [(r.case, r.expected, r.got, r.verdict) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    widths[2] = min(widths[2], 110)

    def line(cells):
        return " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    print(line(headers))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    notes = [r for r in results if r.note]
    if notes:
        print()
        for r in notes:
            print(f"* {r.case} [{r.verdict}]: {r.note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--addr", required=True, help="HOST:PORT of the server (loopback only)")
    parser.add_argument("--pid", required=True, type=int, help="the server's process id (memory; SIGTERM)")
    parser.add_argument("--path", default="/openapi.json", help="a GET route that answers 200 with a body")
    parser.add_argument("--memory-bound-mib", type=float, default=32.0,
                        help="most RSS growth a flood may cause (default 32 MiB)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("cases", nargs="*", help="cases to run (default: all, in order)")
    args = parser.parse_args()

    host, _, port = args.addr.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        parser.error(f"{host} is not a loopback address")
    cases = Cases((host, int(port)), args.pid, args.path, args.memory_bound_mib).all()
    if args.list:
        print("\n".join(cases))
        return 0
    unknown = [c for c in args.cases if c not in cases]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}; --list names them")
    # Always in the listed order, so that the shutdown case comes last.
    chosen = [c for c in cases if not args.cases or c in args.cases]

    results = []
    for name in chosen:
        started = time.monotonic()
        try:
            result = cases[name]()
        except Exception as error:  # a crash of the client is a failure of the case
            result = Result(name, "-", f"client error: {type(error).__name__}: {error}", "FAIL")
        print(f"  {name}: {result.verdict} ({time.monotonic() - started:.1f}s)", file=sys.stderr)
        results.append(result)
        if name != "graceful-shutdown" and not os.path.exists(f"/proc/{args.pid}"):
            results.append(Result("server alive", "running", "the server died", "FAIL"))
            break

    print()
    print_table(results)
    failed = sum(r.verdict == "FAIL" for r in results)
    print()
    print(f"http2_conformance: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
