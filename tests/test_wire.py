import io

import pytest

from paas import wire


def _reader(data: bytes):
    return io.BufferedReader(io.BytesIO(data)).read


def test_frames_round_trip_in_order():
    data = wire.frame(wire.STDOUT, b"hi\n") + wire.frame(wire.STDIN_EOF) + wire.frame(
        wire.EXIT, b"3")
    read = _reader(data)
    assert wire.read_frame(read) == (wire.STDOUT, b"hi\n")
    assert wire.read_frame(read) == (wire.STDIN_EOF, b"")
    assert wire.read_frame(read) == (wire.EXIT, b"3")
    assert wire.read_frame(read) is None


def test_header_has_the_docker_attach_layout():
    assert wire.frame(2, b"abc") == b"\x02\x00\x00\x00\x00\x00\x00\x03abc"


@pytest.mark.parametrize("data", [
    b"\x01\x00\x00",  # cut header
    b"\x01\x00\x00\x00\x00\x00\x00\x05ab",  # cut payload
    b"\x01\x00\x00\x00\x7f\x00\x00\x00",  # far too large
])
def test_broken_streams_are_protocol_errors(data):
    with pytest.raises(wire.ProtocolError):
        wire.read_frame(_reader(data))


def test_resize_payload():
    assert wire.parse_resize(wire.resize_payload(40, 120)) == (40, 120)
    for bad in (b"", b"40", b"a b", b"0 80", b"40 99999"):
        with pytest.raises(wire.ProtocolError):
            wire.parse_resize(bad)
