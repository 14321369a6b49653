"""Captions shown to the people who turned them on, on every node, and the request that
turns them on.

A listener asks ``{"type": "captions", "channel_id": 12, "language": "it"}`` (``null``
turns them off): captions of a channel in its own language, or translated by machine
into another (:func:`interpreta.speech.translation.available`). The node that makes a
channel's captions (:mod:`interpreta.live.captions`) publishes each on the bus; every
node sends it on to its own clients who chose that channel::

    {"type": "caption", "channel_id": 12, "language": "en", "stream": "…", "utterance": 31,
     "text": "good morning every", "final": false, "start": 812.4, "end": 813.6,
     "automatic": true, "machine_translated": false}

Partial words come in the channel's language only: a translation is made of a whole
sentence, once it is final, on each node once per language (:class:`Translations`), and
carries ``"machine_translated": true`` and the words it translates (``source_text``). An
empty final takes back the partial words of an utterance nothing came of. Both labels
say what the EU AI Act (Art. 50) asks to be said: the words were made by a machine.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any, Protocol

from interpreta.i18n.catalogues import gettext
from interpreta.live.booth import ConsoleError
from interpreta.speech import translation
from interpreta.speech.recognition import Caption

__all__ = ["REQUESTS", "Translations", "Viewer", "bus_message", "chosen", "deliver", "offer"]

log = logging.getLogger(__name__)

REQUESTS = frozenset({"captions"})
"""The requests of this module."""

KIND = "caption"
"""The bus message's ``kind``."""


class Viewer(Protocol):
    """What delivery reads of a client."""

    waiting: bool
    captions: tuple[int, str] | None


def offer(captioned: dict[int, str]) -> dict[int, list[str]]:
    """The caption languages of each captioned channel: its own first, then those a
    machine translates it into."""
    return {
        channel_id: [language, *sorted(translation.available(language))]
        for channel_id, language in captioned.items()
    }


def chosen(message: dict[str, Any], offered: dict[int, list[str]]) -> tuple[int, str] | None:
    """The channel and language a ``captions`` request asks for (None: captions off).

    :raises ConsoleError: a channel without captions, or a language they are not in.
    """
    language = message.get("language")
    if language is None:
        return None
    channel_id = message.get("channel_id")
    if not isinstance(channel_id, int) or isinstance(channel_id, bool):
        raise ConsoleError("bad_request", gettext("Name the channel by its number."))
    if channel_id not in offered:
        raise ConsoleError("not_captioned", gettext("This channel has no automatic captions."))
    if language not in offered[channel_id]:
        raise ConsoleError(
            "unknown_language",
            gettext(
                "This channel's captions are not offered in %(language)s.",
                language=repr(str(language)[:16]),
            ),
        )
    return channel_id, str(language)


def bus_message(
    event_id: int, channel_id: int, language: str, caption: Caption, stream: str
) -> dict[str, Any]:
    """A caption as the bus carries it to every node; `stream` names the recogniser's
    run (its utterances are numbered from 1: another node's run after a handoff counts
    again)."""
    return {
        "event": event_id,
        "stream": stream,
        "kind": KIND,
        "channel": channel_id,
        "language": language,
        "caption": asdict(caption),
    }


class Translations:
    """Final captions translated by machine, each sentence once per language on this node
    (the latest few kept: several listeners want the same), on threads of their own: a
    slow translation never holds up the threads the platform's database work runs on."""

    def __init__(self, keep: int = 256, threads: int = 2) -> None:
        self._keep = keep
        self._done: OrderedDict[tuple[str, str, str], asyncio.Future[str | None]] = OrderedDict()
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="translation")

    async def translate(self, text: str, source: str, target: str) -> str | None:
        """`text` in `target`; None when the translation failed (logged)."""
        key = (text, source, target)
        found = self._done.get(key)
        if found is None:
            found = asyncio.get_running_loop().create_future()
            self._done[key] = found
            while len(self._done) > self._keep:
                self._done.popitem(last=False)
            done: str | None = None
            try:
                done = await asyncio.get_running_loop().run_in_executor(
                    self._threads, translation.translate, text, source, target
                )
            except Exception:
                log.exception("translating a caption into %s failed", target)
            finally:  # (cancelled too: nobody waits on it for ever)
                if not found.done():
                    found.set_result(done)
        return await asyncio.shield(found)


async def deliver(
    clients: Iterable[Viewer],
    message: dict[str, Any],
    send: Callable[[Any, dict[str, Any]], Awaitable[None]],
    translations: Translations,
) -> None:
    """Send a caption from the bus to each client who chose its channel, in the language
    each chose: those reading the channel's own language first, then each translation as
    it is done (one language never waits for another's)."""
    channel_id, source = message["channel"], message["language"]
    caption = message["caption"]
    wanting: dict[str, list[Viewer]] = defaultdict(list)
    for client in clients:
        if not client.waiting and client.captions and client.captions[0] == channel_id:
            wanting[client.captions[1]].append(client)
    translating = []
    for language, group in sorted(wanting.items(), key=lambda item: item[0] != source):
        shown = {
            "type": KIND,
            "channel_id": channel_id,
            "language": language,
            "stream": message.get("stream", ""),
            "utterance": caption["utterance"],
            "text": caption["text"],
            "final": caption["final"],
            "start": caption["start"],
            "end": caption["end"],
            "automatic": True,
            "machine_translated": language != source,
        }
        if language == source:
            for client in group:
                await send(client, shown)
        elif caption["final"] and caption["text"]:  # partial words are not translated
            translating.append(_translated(shown, group, send, translations, source))
    await asyncio.gather(*translating)


async def _translated(
    shown: dict[str, Any],
    group: list[Viewer],
    send: Callable[[Any, dict[str, Any]], Awaitable[None]],
    translations: Translations,
    source: str,
) -> None:
    translated = await translations.translate(shown["text"], source, shown["language"])
    if translated is None:
        return
    shown = {**shown, "text": translated, "source_text": shown["text"]}
    for client in group:
        await send(client, shown)
