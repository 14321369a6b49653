"""The loopback listener for nginx-rtmp's notifications, over real sockets.

nginx posts form fields with HTTP/1.0; the listener hands them to the hook and answers
200 (go on) or 403 (refused); anything it cannot read is a 400, a hook that fails a 403.
"""

from __future__ import annotations

import asyncio

from interpreta.live.rtmp_hooks import MAX_REQUEST, HookListener
from interpreta.live.rtmp_ingest import split_stream_key, stream_key

NGINX_PUBLISH = (
    "app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:1935"
    "/live&pageurl=&addr=192.0.2.7&clientid=1&call=publish&name=ABC2345-k3y_x&type=live&topic=3"
)
"""What nginx 1.22's RTMP module posted for ``rtmp://.../live/ABC2345-k3y_x?topic=3``."""


async def send(port: int, raw: bytes) -> bytes:
    """Send one raw request; the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def post(path: str, body: str) -> bytes:
    """A request as nginx-rtmp sends it."""
    return (
        f"POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nConnection: Close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def test_the_hook_gets_the_form_and_its_answer_is_the_status() -> None:
    seen: list[dict[str, str]] = []

    async def hook(fields: dict[str, str]) -> bool:
        seen.append(fields)
        return fields.get("name") == "ABC2345-k3y_x"

    listener = HookListener(hook)
    await listener.start()
    try:
        assert listener.url == f"http://127.0.0.1:{listener.port}"
        accepted = await send(listener.port, post("/publish", NGINX_PUBLISH))
        assert accepted.startswith(b"HTTP/1.0 200 ")
        fields = seen[-1]
        assert (fields["call"], fields["name"], fields["app"]) == (
            "publish",
            "ABC2345-k3y_x",
            "live",
        )
        assert (fields["addr"], fields["topic"], fields["hook"]) == ("192.0.2.7", "3", "publish")
        other = NGINX_PUBLISH.replace("ABC2345-k3y_x", "ABC2345-other")
        refused = await send(listener.port, post("/publish", other))
        assert refused.startswith(b"HTTP/1.0 403 ")
    finally:
        await listener.close()


async def test_what_it_cannot_read_is_refused() -> None:
    async def hook(fields: dict[str, str]) -> bool:
        if fields.get("call") == "boom":
            raise RuntimeError("the hook failed")
        return True

    listener = HookListener(hook)
    await listener.start()
    try:
        assert (await send(listener.port, b"GET /publish HTTP/1.0\r\n\r\n")).startswith(
            b"HTTP/1.0 400 "
        )
        too_long = f"POST /publish HTTP/1.0\r\nContent-Length: {MAX_REQUEST + 1}\r\n\r\n"
        assert (await send(listener.port, too_long.encode())).startswith(b"HTTP/1.0 400 ")
        assert (await send(listener.port, post("/x", "call=boom"))).startswith(b"HTTP/1.0 403 ")
        assert (await send(listener.port, post("/x", "call=fine"))).startswith(b"HTTP/1.0 200 ")
    finally:
        await listener.close()


def test_a_stream_key_is_the_event_code_and_its_ingest_key() -> None:
    key = stream_key("ABC2345", "Zq-8_x-yy")
    assert key == "ABC2345-Zq-8_x-yy"
    assert split_stream_key(key) == ("ABC2345", "Zq-8_x-yy")
    for name in ("ABC2345", "-key", "ABC2345-", "ABC 2345-key", "ABC2345-k/y", "a" * 17 + "-k"):
        assert split_stream_key(name) is None
