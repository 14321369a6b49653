"""What each channel forwards, from the shared state alone: retours, the floor standing
in, relays, talkback and the relay indicator."""

from __future__ import annotations

from interpreta.events.models import ChannelKind
from interpreta.live import sources
from interpreta.live.booth import BoothConsole
from interpreta.live.shared_state import SharedState
from interpreta.live.sources import ChannelInfo

FLOOR, GERMAN, ENGLISH, FRENCH = 1, 2, 3, 4

CHANNELS = {
    FLOOR: ChannelInfo(FLOOR, 10, ChannelKind.FLOOR, None),
    GERMAN: ChannelInfo(GERMAN, 10, ChannelKind.LANGUAGE, "de"),
    ENGLISH: ChannelInfo(ENGLISH, 10, ChannelKind.LANGUAGE, "en"),
    FRENCH: ChannelInfo(FRENCH, 10, ChannelKind.LANGUAGE, "fr"),
}


def _booth(channel: int, key: str) -> BoothConsole:
    booth = BoothConsole(str(channel))
    booth.sit(key, key.title())
    booth.attach_microphone(key, f"{key}-mic")
    booth.microphone(key, True)
    return booth


def _state() -> SharedState:
    shared = SharedState()
    shared.floors[FLOOR] = ["speaker-mic"]
    shared.booths = {GERMAN: _booth(GERMAN, "anna"), ENGLISH: _booth(ENGLISH, "eric")}
    shared.booths[FRENCH] = BoothConsole(str(FRENCH))
    return shared


def test_each_booth_feeds_its_own_channel() -> None:
    assert sources.sources(_state(), CHANNELS) == {
        FLOOR: "speaker-mic",
        GERMAN: "anna-mic",
        ENGLISH: "eric-mic",
        FRENCH: None,
    }


def test_a_retour_feeds_the_other_channel_and_the_floor_stands_in_at_home() -> None:
    shared = _state()
    shared.booths[GERMAN].work_into("anna", ENGLISH)
    found = sources.sources(shared, CHANNELS)
    assert found[ENGLISH] == "anna-mic"  # English listeners hear the German booth's retour
    assert found[GERMAN] == "speaker-mic"  # German listeners hear the floor, never silence
    assert sources.carrier(shared, CHANNELS[ENGLISH], CHANNELS) == {"kind": "retour", "booth": "de"}
    assert sources.carrier(shared, CHANNELS[GERMAN], CHANNELS) == {"kind": "floor"}
    assert sources.retour_into(shared, ENGLISH) == GERMAN
    assert sources.is_live(shared, CHANNELS[GERMAN])


def test_the_organiser_can_set_a_relay_to_stand_in_during_a_retour() -> None:
    shared = _state()
    shared.booths[FRENCH] = _booth(FRENCH, "chloe")
    shared.booths[GERMAN].work_into("anna", ENGLISH)
    shared.booths[GERMAN].retour_fill = FRENCH
    assert sources.source(shared, CHANNELS[GERMAN], CHANNELS) == "chloe-mic"
    assert sources.carrier(shared, CHANNELS[GERMAN], CHANNELS) == {"kind": "relay", "booth": "fr"}
    # a relay booth that is itself on a retour cannot stand in: the floor does
    shared.booths[FRENCH].work_into("chloe", ENGLISH)
    assert sources.source(shared, CHANNELS[GERMAN], CHANNELS) == "speaker-mic"


def test_the_cough_key_silences_a_retour_too() -> None:
    shared = _state()
    shared.booths[GERMAN].work_into("anna", ENGLISH)
    shared.booths[GERMAN].cough("anna", True)
    assert sources.source(shared, CHANNELS[ENGLISH], CHANNELS) is None


def test_talkback_is_a_channel_of_its_own() -> None:
    shared = _state()
    shared.booths[GERMAN].sit("bernd", "Bernd")
    shared.booths[GERMAN].attach_microphone("bernd", "bernd-mic")
    shared.booths[GERMAN].talkback("bernd", True)
    assert sources.talkback_sources(shared)[GERMAN] == "bernd-mic"
    assert sources.source(shared, CHANNELS[GERMAN], CHANNELS) == "anna-mic"
    assert sources.talkback_channel(GERMAN) == "talkback:2"


def test_dropping_a_floor_publisher() -> None:
    shared = _state()
    shared.floors[FLOOR].append("second-mic")
    sources.drop_floor_publisher(shared, "second-mic")
    assert sources.source(shared, CHANNELS[FLOOR], CHANNELS) == "speaker-mic"
