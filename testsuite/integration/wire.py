"""The wire format (doc/protocol.md) for tests that speak raw protocol:
a 4-byte big-endian length, then a JSON object."""

import json
import struct


def frame(obj):
    """obj (a dict, or bytes sent as they are) as one frame."""
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack(">I", len(data)) + data


def recv_exact(s, n):
    """n bytes from socket s, or None when the peer closed first."""
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_frame(s):
    """One frame's JSON object, or None when the peer closed."""
    hdr = recv_exact(s, 4)
    if hdr is None:
        return None
    (n,) = struct.unpack(">I", hdr)
    assert n < 64 << 20, "reply frame of %d bytes" % n
    body = recv_exact(s, n)
    assert body is not None, "connection closed inside a frame"
    return json.loads(body.decode())
