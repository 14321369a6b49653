"""A recogniser in a process of its own, off the human path.

The recognisers are CPU-bound and PocketSphinx never releases Python's lock, so in a
thread one would slow the event loop that forwards everyone's audio. Each captioned
stream runs instead in a child process (``python -m interpreta.speech.worker``),
started at a lower priority (``nice`` 10) and, where util-linux's ``chrt`` is there (it
is on Debian), in the idle scheduling class (``SCHED_IDLE``): from its first import to
its end it runs only on a core nothing else wants, so under load the media plane and
the browsers on the machine are served first and the captions come later (or miss
words), never the other way round.

The parent writes frames to the child's standard input, each a kind byte and a
big-endian length, then the body:

- ``P``: an Opus packet (RTP payload) after the packet's 32-bit RTP timestamp; a jump in
  timestamps is filled with silence, as the channel was quiet;
- ``S``: silence of a 32-bit number of milliseconds (the channel went quiet: nobody on
  air, so an open utterance can close);
- ``E``: the end of the stream.

The child answers with one JSON object a line on standard output: first
``{"ready": true}`` once its model is loaded, then a caption each:
``{"utterance": 3, "text": "...", "final": false, "start": 12.3, "end": 13.1}``.
:class:`CaptionProcess` is the parent's side. It sends no audio before the child is
ready: loading a model takes seconds (more on a busy machine, at the child's low
priority), and all the audio queued meanwhile would put the child behind from its first word, to be
thinned into a garbled first sentence. The parent keeps the last moments instead (half
of :attr:`CaptionProcess.max_behind`), and sends them once the child is ready, after the
rest of its wait as silence, so the captions' times still count from the child's start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import shutil
import struct
import sys
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import BinaryIO

from interpreta.speech.engines import engine_for
from interpreta.speech.pcm import RATE, SAMPLE_BYTES, OpusToPcm
from interpreta.speech.recognition import Caption, Recogniser

__all__ = ["NICENESS", "CaptionProcess", "idle_prefix", "main"]

NICENESS = 10
"""How much lower the child's priority is than the platform's."""

_HEADER = struct.Struct(">cI")
_OPUS_RATE = 48_000
_MAX_FRAME = 65_536
"""The longest frame body (an Opus packet is at most 1,275 bytes)."""
_PIPE_BYTES = 4096
"""The pipe to the child is shrunk to this, so little audio waits where the parent
cannot see it."""
_MIN_GAP_MS = 40
"""The shortest jump in timestamps filled with silence (two packets lost or unsent);
below it, the resampler's uneven output."""
_MAX_GAP_MS = 10_000
"""The longest silence a timestamp jump fills; a larger jump is a new source."""
_PACKET_SECONDS = 0.02
"""The audio in one packet of a channel."""
_READY = b'{"ready": true}\n'
"""The child's first line: its model is loaded, audio may come."""
_MAX_LATE = _MAX_GAP_MS * _OPUS_RATE // 1000
"""The latest a packet can come and still be the same source's (in RTP timestamp
units); a timestamp further back is a new source (a handover), heard from there."""


class _Stream:
    """The child's side: frames in, captions out."""

    def __init__(self, recogniser: Recogniser, out: BinaryIO) -> None:
        self.recogniser = recogniser
        self.out = out
        self.decoder = OpusToPcm()
        self.next_timestamp: int | None = None

    def packet(self, timestamp: int, payload: bytes) -> None:
        """Hear one packet: one that comes late (after a later one) is dropped, as the
        recorder does; a jump forward is silence the channel had."""
        expected = self.next_timestamp
        if expected is not None:
            ahead = (timestamp - expected) % 2**32
            if ahead >= 2**31 and 2**32 - ahead <= _MAX_LATE:
                return  # late: its time has been heard already
            if ahead >= 2**31:
                ahead = 0  # far behind: a new source (after a handover), heard from here
            gap_ms = ahead * 1000 // _OPUS_RATE
            if _MIN_GAP_MS <= gap_ms <= _MAX_GAP_MS:
                self.silence(gap_ms)
        pcm = self.decoder.decode(payload)
        self.next_timestamp = (timestamp + self.decoder.last_samples) % 2**32
        self.emit(self.recogniser.feed(pcm))

    def silence(self, milliseconds: int) -> None:
        """Hear `milliseconds` of silence; a packet that then comes as late as the
        silence lasted fills nothing again."""
        self.emit(self.recogniser.feed(bytes(RATE * SAMPLE_BYTES * milliseconds // 1000)))
        if self.next_timestamp is not None:
            self.next_timestamp = (self.next_timestamp + milliseconds * 48) % 2**32

    def emit(self, captions: list[Caption]) -> None:
        for caption in captions:
            self.out.write(json.dumps(asdict(caption)).encode() + b"\n")
        if captions:
            self.out.flush()


def _read_exactly(source: BinaryIO, size: int) -> bytes | None:
    data = source.read(size)
    return data if data is not None and len(data) == size else None


def main(argv: list[str] | None = None) -> None:
    """Run one stream's recogniser on standard input until its end."""
    parser = argparse.ArgumentParser(description="Captions for one audio stream.")
    parser.add_argument("--language", default="en")
    parser.add_argument("--engine", default=None)
    args = parser.parse_args(argv)
    stream = _Stream(engine_for(args.language, args.engine).start(), sys.stdout.buffer)
    stream.out.write(_READY)
    stream.out.flush()
    source = sys.stdin.buffer
    while (header := _read_exactly(source, _HEADER.size)) is not None:
        kind, length = _HEADER.unpack(header)
        if length > _MAX_FRAME:
            break  # not a frame of ours: the stream is out of step, end it
        body = _read_exactly(source, length) if length else b""
        if body is None or kind == b"E":
            break
        if kind == b"P" and length >= 4:
            stream.packet(int.from_bytes(body[:4], "big"), body[4:])
        elif kind == b"S" and length == 4:
            stream.silence(min(int.from_bytes(body, "big"), _MAX_GAP_MS))
    stream.emit(stream.recogniser.finish())


def idle_prefix() -> list[str]:
    """The command that runs a command at the recognisers' lower priority."""
    prefix = ["nice", "-n", str(NICENESS)]
    chrt = shutil.which("chrt")
    return [*prefix, chrt, "--idle", "0"] if chrt else prefix


class CaptionProcess:
    """The parent's side of one stream's recogniser process.

    Writing never waits: while the child is more than :attr:`max_behind` seconds of audio
    behind, packets are dropped (captions miss words; the event's audio never waits for
    them), and :attr:`dropped` counts them. Of the packets that come before the child is
    :attr:`ready`, the last ``max_behind / 2`` seconds' are kept for it and the older ones
    dropped (:attr:`unready` counts those); the captions are read with :meth:`captions`,
    which also learns that the child is ready.
    """

    def __init__(
        self, language: str = "en", engine: str | None = None, max_behind: float = 3.0
    ) -> None:
        engine_for(language, engine)  # refuses a language no engine knows, here
        self.language, self.engine = language, engine
        self.max_behind = max_behind
        self.dropped = 0
        self.unready = 0
        self.ready = asyncio.Event()
        "Set once the child has loaded its model (seen by :meth:`captions`)."
        self._started = 0.0
        self._early: deque[tuple[int, bytes]] = deque()
        self._process: asyncio.subprocess.Process | None = None
        self._packets = 0
        self._packet_bytes = 0
        self._dropping = False

    @property
    def pid(self) -> int | None:
        """The child's process ID, once started."""
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        """Start the child, at its lower priority from the start (loading a model is
        the heaviest thing it does)."""
        command = [*idle_prefix(), sys.executable, "-m", "interpreta.speech.worker"]
        command += ["--language", self.language]
        if self.engine is not None:
            command += ["--engine", self.engine]
        self._process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self._started = asyncio.get_running_loop().time()
        pipe = self._process.stdin.transport.get_extra_info("pipe") if self._process.stdin else None
        if pipe is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)

    def seconds_behind(self) -> float:
        """About how much audio waits for the child, in seconds (20 ms a packet, of the
        stream's average size so far)."""
        process = self._process
        if process is None or process.stdin is None or not self._packets:
            return 0.0
        waiting = process.stdin.transport.get_write_buffer_size()
        return waiting / (self._packet_bytes / self._packets) * _PACKET_SECONDS

    def _write(self, kind: bytes, body: bytes) -> None:
        process = self._process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return
        process.stdin.write(_HEADER.pack(kind, len(body)) + body)

    def packet(self, timestamp: int, payload: bytes) -> None:
        """Send one Opus packet (a tap's callback: it never waits). Once the child is
        :attr:`max_behind` seconds behind, packets are dropped until it has caught up
        half of that."""
        if not self.ready.is_set():
            if len(self._early) * _PACKET_SECONDS >= self.max_behind / 2:
                self._early.popleft()
                self.unready += 1
            self._early.append((timestamp, payload))
            return
        self._packets += 1
        self._packet_bytes += len(payload) + 9
        behind = self.seconds_behind()
        self._dropping = behind > (self.max_behind / 2 if self._dropping else self.max_behind)
        if self._dropping:
            self.dropped += 1
            return
        self._write(b"P", (timestamp % 2**32).to_bytes(4, "big") + payload)

    def silence(self, milliseconds: int) -> None:
        """Tell the child the channel has been quiet this long (nothing before the child
        is ready: its wait is told as one silence then)."""
        if not self.ready.is_set():
            return
        while milliseconds > 0:
            part = min(milliseconds, _MAX_GAP_MS)
            self._write(b"S", part.to_bytes(4, "big"))
            milliseconds -= part

    async def captions(self) -> AsyncIterator[Caption]:
        """The captions as they come, until the child ends."""
        process = self._process
        if process is None or process.stdout is None:
            return
        while line := await process.stdout.readline():
            if line == _READY:
                waited = asyncio.get_running_loop().time() - self._started
                self.ready.set()
                early, self._early = self._early, deque()
                kept = len(early) * _PACKET_SECONDS
                self.silence(int((waited - kept) * 1000))  # the rest of its wait
                for timestamp, payload in early:
                    self.packet(timestamp, payload)
                continue
            try:
                yield Caption(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line that is not a caption: not ours to show

    @property
    def returncode(self) -> int | None:
        """The child's exit code, once it has ended."""
        return None if self._process is None else self._process.returncode

    async def close(self, wait: float = 30.0) -> int | None:
        """End the stream (the last caption still comes, within `wait` seconds; then the
        child is killed) and wait for the child; its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.write(_HEADER.pack(b"E", 0))
            process.stdin.close()
        try:
            return await asyncio.wait_for(process.wait(), wait)
        except TimeoutError:
            process.kill()
            return await process.wait()


if __name__ == "__main__":
    main()
