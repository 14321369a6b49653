"""nginx with the RTMP module as the app runs it: started, stopped, and an nginx that an
earlier, killed run left behind on the port is stopped before a new one starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from interpreta.child_process import port_open
from interpreta.live.rtmp_server import NginxRtmp, nginx_binary, rtmp_module
from tests.live_server import free_port


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The node's folder for nginx; skips without nginx or its RTMP module."""
    if nginx_binary() is None or rtmp_module() is None:
        pytest.skip("nginx with its RTMP module is not installed (nginx, libnginx-mod-rtmp)")
    return tmp_path / "rtmp"


def test_it_listens_with_a_configuration_for_latency(folder: Path) -> None:
    port = free_port()
    server = NginxRtmp(folder=folder, port=port, hooks_url="http://127.0.0.1:9", host="127.0.0.1")
    with server:
        assert port_open("127.0.0.1", port)
        config = server.config_path.read_text()
        for directive in ("live on;", "wait_key off;", "idle_streams off;", "play_restart on;"):
            assert directive in config
        assert "on_publish http://127.0.0.1:9/publish;" in config
        assert "deny play all;" in config and "record off;" in config
        assert server.play_url("K-x") == f"rtmp://127.0.0.1:{port}/live/K-x"
    assert not port_open("127.0.0.1", port)
    assert "start worker process" in server.log_path.read_text()


def test_an_nginx_left_behind_is_stopped_first(folder: Path) -> None:
    port = free_port()
    hooks = "http://127.0.0.1:9"
    left = NginxRtmp(folder=folder, port=port, hooks_url=hooks, host="127.0.0.1")
    left.start()
    process = left._process
    assert process is not None
    try:
        with NginxRtmp(folder=folder, port=port, hooks_url=hooks, host="127.0.0.1") as again:
            assert process.wait(5) is not None, "the nginx left behind was stopped"
            assert again.pid != process.pid and port_open("127.0.0.1", port)
    finally:
        left.stop()
