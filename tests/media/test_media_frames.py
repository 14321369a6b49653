"""Reassembling video frames from RTP packets, and telling key frames."""

from __future__ import annotations

from interpreta.media.forwarder.frames import FrameAssembler, is_key_frame, starts_frame
from interpreta.media.forwarder.video_track import ForwardedFrame, VideoForwardingTrack

KEY_VP8 = b"\x10\x02\x00\x9d\x01\x2a"  # frame tag P bit 0: a key frame
DELTA_VP8 = b"\x31\x01\x00"


def _frame(assembler: FrameAssembler, seq: int, ts: int, parts: list[bytes], at: float = 0.0):
    out = []
    for index, part in enumerate(parts):
        out += assembler.add(seq + index, ts, index == len(parts) - 1, part, at)
    return out


def _primed() -> FrameAssembler:
    """An assembler that has seen one frame end (it then knows where frames start)."""
    assembler = FrameAssembler("VP8")
    assert assembler.add(99, 0, True, DELTA_VP8, 0.0) == []
    return assembler


def test_key_frames_are_told_apart() -> None:
    assert is_key_frame("VP8", KEY_VP8)
    assert not is_key_frame("VP8", DELTA_VP8)
    assert not is_key_frame("VP8", b"")
    sps_idr = b"\x00\x00\x00\x01\x67\x42\x00\x1f\x00\x00\x00\x01\x65\x88"
    non_idr = b"\x00\x00\x00\x01\x41\x9a"
    assert is_key_frame("H264", sps_idr)
    assert not is_key_frame("H264", non_idr)


def test_a_frame_comes_out_whole_when_its_last_packet_arrives() -> None:
    assembler = _primed()
    assert _frame(assembler, 100, 3000, [KEY_VP8, b"b", b"c"])[0].data == KEY_VP8 + b"bc"
    frames = _frame(assembler, 103, 6000, [DELTA_VP8, b"e"])
    assert [(f.timestamp, f.key, f.after_loss) for f in frames] == [(6000, False, False)]


def test_a_slow_key_frame_is_waited_for_when_nothing_is_missing() -> None:
    assembler = _primed()
    parts = [KEY_VP8] + [b"k"] * 99  # a big key frame, trickling in over 0.3 s
    out = []
    for index, part in enumerate(parts):
        out += assembler.add(100 + index, 3000, index == 99, part, index * 0.003)
    assert [(f.key, len(f.data)) for f in out] == [(True, len(KEY_VP8) + 99)]


def test_a_packet_that_starts_a_frame_lets_the_first_frame_through() -> None:
    assembler = FrameAssembler("VP8")
    first = assembler.add(500, 3000, False, KEY_VP8, 0.0, starts=True)
    frames = first + assembler.add(501, 3000, True, b"rest", 0.0)
    assert [(f.key, f.data) for f in frames] == [(True, KEY_VP8 + b"rest")]
    assert starts_frame("VP8", b"\x10\x00") and not starts_frame("VP8", b"\x00\x00")
    assert starts_frame("H264", b"\x67\x42") and starts_frame("H264", b"\x78\x00")
    assert not starts_frame("H264", b"\x7c\x45")  # a FU-A piece


def test_the_first_frame_after_priming_says_frames_were_lost() -> None:
    assembler = _primed()
    (frame,) = _frame(assembler, 100, 3000, [KEY_VP8])
    assert frame.after_loss and frame.key


def test_a_retransmitted_packet_completes_its_frame_late() -> None:
    assembler = _primed()
    _frame(assembler, 100, 3000, [KEY_VP8])
    assert assembler.add(101, 6000, False, DELTA_VP8, 0.01) == []
    assert assembler.add(103, 9000, True, DELTA_VP8, 0.02) == []  # 102 is missing
    frames = assembler.add(102, 6000, True, b"x", 0.05)  # the NACKed packet is back
    assert [(f.timestamp, f.data, f.after_loss) for f in frames] == [
        (6000, DELTA_VP8 + b"x", False),
        (9000, DELTA_VP8, False),
    ]


def test_a_gap_that_stays_open_is_given_up() -> None:
    assembler = _primed()
    _frame(assembler, 100, 3000, [KEY_VP8])
    assembler.add(101, 6000, False, DELTA_VP8, 0.0)  # 102, its end, never comes
    assert assembler.add(103, 9000, True, DELTA_VP8, 0.01) == []
    frames = _frame(assembler, 104, 12000, [KEY_VP8], at=0.5)
    assert [(f.timestamp, f.after_loss) for f in frames] == [(12000, True)]


def test_sequence_numbers_wrap() -> None:
    assembler = FrameAssembler("VP8")
    assembler.add(65535, 0, True, DELTA_VP8, 0.0)
    assert [f.timestamp for f in _frame(assembler, 0, 3000, [DELTA_VP8, b"z"])] == [3000]


def _forwarded(stream: object, ts: int, key: bool) -> ForwardedFrame:
    return ForwardedFrame(KEY_VP8 if key else DELTA_VP8, stream, ts, key, 0.0)


async def test_a_viewer_starts_from_a_key_frame_and_asks_for_one_once_connected() -> None:
    asked: list[float] = []
    now = [0.0]
    track = VideoForwardingTrack(max_queue=2, clock=lambda: now[0])
    track.want_key_frame = lambda: asked.append(now[0])
    camera = object()
    track.push(_forwarded(camera, 3000, key=False))
    assert (track.queued, asked) == (0, [])  # not connected yet: nobody to ask for
    track.push(_forwarded(camera, 6000, key=True))
    await track.recv()  # the sender takes its first frame: connected
    track.push(_forwarded(camera, 9000, key=False))
    assert track.queued == 1
    other = object()  # the source changed: its frames count from its key frame
    now[0] = 1.0
    track.push(_forwarded(other, 100, key=False))
    now[0] = 1.1
    track.push(_forwarded(other, 3100, key=False))  # asked a moment ago: not again yet
    assert asked == [1.0]


def test_a_viewer_that_falls_behind_starts_again_from_a_key_frame() -> None:
    track = VideoForwardingTrack(max_queue=2)
    camera = object()
    for ts, key in ((3000, True), (6000, False), (9000, False)):
        track.push(_forwarded(camera, ts, key))
    assert track.queued == 0 and track.packets_dropped == 3
    track.push(_forwarded(camera, 12000, key=True))
    assert track.queued == 1
