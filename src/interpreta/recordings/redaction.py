"""Taking a person's voice and picture out of recordings when they are erased.

Before the rights engine deletes a person's ``recording_voices`` rows, each stretch in
which they were heard (or, in a stage recording, seen) is taken out of its recording:
the recording is decrypted; in a sound recording its Opus packets in those stretches are
replaced by silence frames (no decoding, the rest is untouched), in a video recording
the picture turns black (:func:`~interpreta.media.video_recording.blacked_out`); and the
recording is stored again as new encrypted chunks. The recording keeps its length, so
the other channels stay in step with it.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from typing import Any

import av
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import RECORDING
from interpreta.media.recording import SILENCE, OggOpusRecorder
from interpreta.media.video_recording import blacked_out, codec_of
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights.subjects import Found, Part, rows_in_part
from interpreta.recordings.models import AUDIO, Recording, RecordingChunk, RecordingVoice

CHUNK_BYTES = 256 * 1024
"""The size of the chunks a redacted recording is stored in again."""


def silenced(ogg: bytes, spans: list[tuple[int, int]]) -> bytes:
    """`ogg` (Ogg Opus) with every packet starting within a span (milliseconds, end
    excluded) replaced by silence; the same length and timeline."""
    recorder = OggOpusRecorder()
    position = 0
    with av.open(io.BytesIO(ogg), mode="r") as container:
        for packet in container.demux(audio=0):
            if packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            at_ms = position * 1000 // 48000
            muted = any(start <= at_ms < end for start, end in spans)
            recorder.add(SILENCE if muted else bytes(packet), position)
            position += int(packet.duration or 960)
    return recorder.finish()


@runs_in(RECORDING)
def redact_voices(db: Session, metadata: Any, found: Found, part: Part) -> int:
    """Silence (or black out), in their recordings, the stretches where the person
    `found` was heard or seen (within `part`); how many recordings were rewritten."""
    voice_keys: list[Any] = []
    for ties, _columns, keys in rows_in_part(db, metadata, found, part):
        if ties.table.name == RecordingVoice.__tablename__:
            voice_keys = keys
    if not voice_keys:
        return 0
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for voice in db.scalars(select(RecordingVoice).where(RecordingVoice.id.in_(voice_keys))):
        spans[voice.recording_id].append(
            (voice.from_ms, voice.to_ms if voice.to_ms is not None else 2**31)
        )
    for recording_id, stretches in spans.items():
        chunks = db.scalars(
            select(RecordingChunk)
            .where(RecordingChunk.recording_id == recording_id)
            .order_by(RecordingChunk.seq)
        ).all()
        content = b"".join(base64.b64decode(c.data) for c in chunks)
        if not content:
            continue
        media_type = db.scalar(select(Recording.media_type).where(Recording.id == recording_id))
        if media_type == AUDIO:
            quiet = silenced(content, stretches)
        else:
            quiet = blacked_out(content, codec_of(str(media_type)), stretches)
        db.execute(delete(RecordingChunk).where(RecordingChunk.recording_id == recording_id))
        for seq, start in enumerate(range(0, len(quiet), CHUNK_BYTES)):
            piece = quiet[start : start + CHUNK_BYTES]
            db.add(
                RecordingChunk(
                    recording_id=recording_id,
                    seq=seq,
                    data=base64.b64encode(piece).decode("ascii"),
                )
            )
        db.flush()
    return len(spans)
