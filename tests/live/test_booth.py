"""The booth console (ISO 20109 functions) without any media: pure state."""

from __future__ import annotations

import pytest

from interpreta.live.booth import BoothConsole, ConsoleError


def _booth() -> BoothConsole:
    booth = BoothConsole("7")
    booth.sit("ana", "Ana")
    booth.sit("ben", "Ben")
    booth.attach_microphone("ana", "ana-mic")
    booth.attach_microphone("ben", "ben-mic")
    return booth


def test_microphone_on_puts_the_interpreter_on_air_and_off_pauses() -> None:
    booth = _booth()
    assert booth.source() is None
    assert booth.microphone("ana", True) == "ana-mic"
    assert booth.microphone("ana", False) is None


def test_only_one_interpreter_on_air_the_mate_must_request_a_handover() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    with pytest.raises(ConsoleError) as refused:
        booth.microphone("ben", True)
    assert refused.value.code == "mate_on_air"
    assert booth.source() == "ana-mic"


def test_cough_key_mutes_without_leaving_air() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    assert booth.cough("ana", True) is None
    assert booth.on_air == "ana"
    assert booth.cough("ana", False) == "ana-mic"


def test_handover_offered_by_the_on_air_interpreter_and_accepted_by_the_mate() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    booth.request_handover("ana")
    assert booth.accept_handover("ben") == "ben-mic"
    assert booth.on_air == "ben" and booth.handover is None


def test_handover_asked_for_by_the_mate_and_accepted_by_the_on_air_interpreter() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    request = booth.request_handover("ben")
    assert (request.giver, request.taker) == ("ana", "ben")
    assert booth.accept_handover("ana") == "ben-mic"


def test_a_handover_meant_for_someone_else_cannot_be_taken() -> None:
    booth = _booth()
    booth.sit("cem", "Cem")
    booth.attach_microphone("cem", "cem-mic")
    booth.microphone("ana", True)
    booth.request_handover("ana", taker="ben")
    with pytest.raises(ConsoleError):
        booth.accept_handover("cem")
    with pytest.raises(ConsoleError):
        booth.accept_handover("ana")


def test_leaving_on_air_pauses_the_channel_and_clears_requests() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    booth.request_handover("ana")
    assert booth.leave("ana") is None
    assert booth.handover is None and booth.on_air is None


def test_a_dropped_microphone_pauses_until_it_is_back() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    assert booth.attach_microphone("ana", None) is None
    assert booth.attach_microphone("ana", "ana-mic-2") == "ana-mic-2"


def test_alone_in_the_booth_there_is_nobody_to_hand_over_to() -> None:
    booth = BoothConsole("1")
    booth.sit("ana", "Ana")
    booth.attach_microphone("ana", "m")
    booth.microphone("ana", True)
    with pytest.raises(ConsoleError, match="Nobody else"):
        booth.request_handover("ana")


def test_a_handover_is_void_once_the_giver_is_off_air() -> None:
    booth = _booth()
    booth.sit("cem", "Cem")
    booth.attach_microphone("cem", "cem-mic")
    booth.microphone("ana", True)
    booth.request_handover("ben")  # ben asks ana
    booth.microphone("ana", False)
    assert booth.handover is None
    booth.microphone("cem", True)
    with pytest.raises(ConsoleError):
        booth.accept_handover("ana")
    assert booth.on_air == "cem"


def test_a_stale_request_cannot_take_the_mic_from_someone_else() -> None:
    booth = _booth()
    booth.sit("cem", "Cem")
    booth.attach_microphone("cem", "cem-mic")
    booth.microphone("ana", True)
    booth.request_handover("ben")
    booth.on_air = "cem"  # e.g. ana dropped and cem went on air before the request cleared
    with pytest.raises(ConsoleError) as stale:
        booth.accept_handover("ana")
    assert stale.value.code == "stale" and booth.on_air == "cem"


def test_a_console_survives_its_document() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    booth.request_handover("ana")
    booth.cough("ben", True)
    again = BoothConsole.from_document("7", booth.to_document())
    assert again == booth
    assert again.source() == "ana-mic"


def test_a_countdown_handover_passes_by_itself_when_due() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    request = booth.request_handover("ana", due=100.0)
    assert request.taker == "ben"  # offered to any mate: the one with a microphone
    assert not booth.complete_due_handover(99.9) and booth.on_air == "ana"
    assert booth.complete_due_handover(100.0)
    assert booth.on_air == "ben" and booth.source() == "ben-mic" and booth.handover is None


def test_a_declined_countdown_does_not_pass_and_a_stale_one_is_dropped() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    booth.request_handover("ana", due=100.0)
    booth.decline_handover("ben")
    assert not booth.complete_due_handover(200.0) and booth.on_air == "ana"
    booth.request_handover("ana", due=100.0)
    booth.microphone("ana", False)  # the giver left the air meanwhile
    assert not booth.complete_due_handover(200.0) and booth.on_air is None


def test_takeover_takes_the_air_at_once_without_the_mate_accepting() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    booth.request_handover("ana")
    assert booth.take_over("ben") == "ben-mic"
    assert booth.on_air == "ben" and booth.handover is None
    booth.attach_microphone("ana", None)
    with pytest.raises(ConsoleError) as refused:
        booth.take_over("ana")
    assert refused.value.code == "no_microphone"


def test_talkback_takes_the_on_air_microphone_off_the_channel_and_to_the_booth() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    assert booth.talkback("ana", True) is None  # listeners do not hear it
    assert booth.talkback_source() == "ana-mic" and booth.on_air == "ana"
    with pytest.raises(ConsoleError) as refused:
        booth.talkback("ben", True)
    assert refused.value.code == "mate_talking"
    assert booth.talkback("ana", False) == "ana-mic"
    assert booth.talkback_source() is None
    booth.talkback("ben", True)  # the mate off air talks back: the air goes on
    assert booth.source() == "ana-mic" and booth.talkback_source() == "ben-mic"
    booth.leave("ben")
    assert booth.talkback_source() is None


def test_the_output_switches_to_another_channel_and_back() -> None:
    booth = _booth()
    booth.work_into("ana", 9)
    assert booth.output == 9
    booth.work_into("ben", 7)  # its own channel: back home
    assert booth.output is None
    with pytest.raises(ConsoleError):
        booth.work_into("nobody", 9)


def test_the_new_console_state_travels_between_nodes() -> None:
    booth = _booth()
    booth.microphone("ana", True)
    booth.request_handover("ana", due=5.0)
    booth.work_into("ana", 9)
    booth.retour_fill, booth.on_air_since = 8, 1234.5
    booth.talkback("ben", True)
    copy = BoothConsole.from_document("7", booth.to_document())
    assert copy == booth
