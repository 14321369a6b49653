"""Meeting content through real signaling: chat, polls, Q&A, files and removing people.

Each change reaches the connected clients as they may see it, on one node and across
two nodes; bad requests get explicit errors and change nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.live.conftest import Stage, TwoNodes
from tests.live.live_client import LiveClient, SignalingError


async def _people(
    stage: Stage, base_url: str | None = None
) -> tuple[LiveClient, LiveClient, LiveClient]:
    url = base_url or stage.base_url
    host = await LiveClient.join(url, stage.code, role="moderator", cookie=stage.owner)
    ada = await LiveClient.join(url, stage.code, role="listener")
    ben = await LiveClient.join(url, stage.code, role="listener")
    return host, ada, ben


def _of(client: LiveClient, kind: str) -> list[dict[str, Any]]:
    return [m for m in client.messages if m.get("type") == kind]


async def _settle() -> None:
    await asyncio.sleep(0.3)


async def test_chat_reaches_its_audience_and_hosts_delete(stage: Stage) -> None:
    host, ada, ben = await _people(stage)
    await ada.request({"type": "chat.send", "text": "Hello everyone"})
    await ada.request({"type": "chat.send", "text": "Hosts only", "audience": "hosts"})
    ben_key = ben.welcome["participant"]
    await host.request({"type": "chat.send", "text": "Psst", "audience": "private", "to": ben_key})
    await _settle()
    texts = {c: [m["message"]["text"] for m in _of(c, "chat.message")] for c in (host, ada, ben)}
    assert texts[host] == ["Hello everyone", "Hosts only", "Psst"]
    assert texts[ada] == ["Hello everyone", "Hosts only"]
    assert texts[ben] == ["Hello everyone", "Psst"]

    first = _of(ben, "chat.message")[0]["message"]["id"]
    with pytest.raises(SignalingError) as refused:
        await ben.request({"type": "chat.delete", "message_id": first})
    assert refused.value.code == "forbidden"
    await host.request({"type": "chat.delete", "message_id": first})
    assert (await ada.next_message("chat.deleted"))["id"] == first
    later = await LiveClient.join(stage.base_url, stage.code, role="listener")
    snapshot = await later.request({"type": "content"})
    assert snapshot["chat"] == []  # the deleted one is gone, the others were not for them
    for client in (host, ada, ben, later):
        await client.close()


async def test_a_poll_is_answered_and_its_results_shown_when_closed(stage: Stage) -> None:
    host, ada, ben = await _people(stage)
    opened = await host.request(
        {"type": "poll.open", "question": "Start now?", "options": ["Yes", "No"]}
    )
    poll_id = opened["poll"]["id"]
    yes = opened["poll"]["options"][0]["id"]
    seen = await ada.next_message("poll")
    assert seen["poll"]["question"] == "Start now?" and seen["poll"]["results"] is False
    voted = await ada.request({"type": "poll.vote", "poll_id": poll_id, "options": [yes]})
    assert voted["poll"]["mine"] == [yes] and voted["poll"]["options"][0]["votes"] is None
    await ben.request({"type": "poll.vote", "poll_id": poll_id, "options": [yes]})
    with pytest.raises(SignalingError) as refused:
        await ben.request({"type": "poll.vote", "poll_id": poll_id, "options": ["Yes"]})
    assert refused.value.code == "bad_request"
    with pytest.raises(SignalingError):
        await ada.request({"type": "poll.close", "poll_id": poll_id})
    await host.request({"type": "poll.close", "poll_id": poll_id})
    await _settle()
    final = _of(ben, "poll")[-1]["poll"]
    assert final["status"] == "closed" and final["options"][0]["votes"] == 2
    for client in (host, ada, ben):
        await client.close()


async def test_questions_are_upvoted_and_moderated(stage: Stage) -> None:
    host, ada, ben = await _people(stage)
    asked = await ada.request({"type": "question.ask", "text": "Slides?", "anonymous": True})
    question_id = asked["question"]["id"]
    assert asked["question"]["mine"] and asked["question"]["from"] == "Anonymous"
    upvoted = await ben.request({"type": "question.upvote", "question_id": question_id})
    assert upvoted["question"]["votes"] == 1 and upvoted["question"]["voted"]
    await host.request(
        {"type": "question.moderate", "question_id": question_id, "status": "dismissed"}
    )
    assert (await ben.next_message("question.hidden"))["id"] == question_id
    await _settle()
    assert _of(ada, "question")[-1]["question"]["status"] == "dismissed"
    assert all("asker_key" not in m["question"] for m in _of(ben, "question"))
    with pytest.raises(SignalingError) as refused:
        await ben.request({"type": "question.ask", "text": "   "})
    assert refused.value.code == "empty"
    for client in (host, ada, ben):
        await client.close()


async def test_files_are_shared_over_http_by_connected_participants(stage: Stage) -> None:
    host, ada, ben = await _people(stage)
    token = ada.welcome["content_token"]
    path = f"/api/live/{stage.code}/files"
    async with httpx.AsyncClient(base_url=stage.base_url) as http:
        bearer = {"Authorization": f"Bearer {token}"}
        shared = await http.post(
            path, params={"name": "agenda.txt"}, content=b"9:00 start", headers=bearer
        )
        assert shared.status_code == 201, shared.text
        file_id = shared.json()["id"]
        assert (await ben.next_message("file"))["file"]["name"] == "agenda.txt"
        got = await http.get(
            f"{path}/{file_id}", headers={"Authorization": f"Bearer {ben.welcome['content_token']}"}
        )
        assert got.content == b"9:00 start"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["content-type"].startswith("text/plain")

        for params, body, headers, status in (
            ({"name": "agenda.txt"}, b"x", {}, 401),
            ({"name": "agenda.txt"}, b"x", {"Authorization": "Bearer nonsense"}, 401),
            ({"name": "run.exe"}, b"MZ", bearer, 415),
            ({"name": "fake.pdf"}, b"not a pdf", bearer, 415),
            ({"name": "empty.txt"}, b"", bearer, 422),
            ({}, b"x", bearer, 422),
        ):
            refused = await http.post(path, params=params, content=body, headers=headers)
            assert refused.status_code == status, (params, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
        assert (await http.get(f"{path}/{file_id}")).status_code == 401
        assert (await http.get(f"{path}/999999", headers=bearer)).status_code == 404

        with pytest.raises(SignalingError):
            await ben.request({"type": "file.remove", "file_id": file_id})
        await ada.request({"type": "file.remove", "file_id": file_id})
        assert (await ben.next_message("file.removed"))["id"] == file_id
        await ada.close()
        await _settle()
        gone = await http.post(path, params={"name": "late.txt"}, content=b"x", headers=bearer)
        assert gone.status_code == 401  # the connection ended: its token with it
    for client in (host, ben):
        await client.close()


async def test_a_file_over_the_limit_is_refused_before_it_is_read(
    platform: Any, stage: Stage
) -> None:
    host, ada, _ben = await _people(stage)
    limit = platform.settings.meeting_file_max_bytes
    async with httpx.AsyncClient(base_url=stage.base_url) as http:
        refused = await http.post(
            f"/api/live/{stage.code}/files",
            params={"name": "huge.txt"},
            content=b"a" * (limit + 1),
            headers={"Authorization": f"Bearer {ada.welcome['content_token']}"},
        )
    assert refused.status_code == 413
    snapshot = await host.request({"type": "content"})
    assert snapshot["files"] == []
    for client in (host, ada, _ben):
        await client.close()


async def test_a_removed_participant_is_sent_away_and_cannot_come_back(stage: Stage) -> None:
    host, ada, ben = await _people(stage)
    ada_key = ada.welcome["participant"]
    state = await host.latest_state(
        lambda s: any(p["key"] == ada_key for p in s.get("participants", []))
    )
    assert {p["role"] for p in state["participants"]} >= {"listener", "moderator"}
    with pytest.raises(SignalingError) as refused:
        await ben.request({"type": "participant.remove", "key": ada_key})
    assert refused.value.code == "forbidden"
    await host.request({"type": "participant.remove", "key": ada_key})
    assert (await ada.next_message("error"))["code"] == "revoked"
    with pytest.raises(SignalingError):
        await LiveClient.join(stage.base_url, stage.code, role="listener", resume=ada_key)
    again = await LiveClient.join(stage.base_url, stage.code, role="listener")  # someone new
    await again.close()
    for client in (host, ben):
        await client.close()


async def test_content_reaches_clients_on_another_node(two_nodes: TwoNodes) -> None:
    stage = two_nodes.stage
    host = await LiveClient.join(two_nodes.a, stage.code, role="moderator", cookie=stage.owner)
    ada = await LiveClient.join(two_nodes.b, stage.code, role="listener")
    await host.request({"type": "chat.send", "text": "From node A"})
    assert (await ada.next_message("chat.message"))["message"]["text"] == "From node A"
    await ada.request({"type": "chat.send", "text": "Hosts only, from B", "audience": "hosts"})
    await _settle()
    assert [m["message"]["text"] for m in _of(host, "chat.message")] == [
        "From node A",
        "Hosts only, from B",
    ]
    await host.close()
    await ada.close()
