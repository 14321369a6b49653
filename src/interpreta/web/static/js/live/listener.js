// The listener's player on the join page: pick a language, press Play, hear it.
//
// Play opens the live session (role listener, no account) and subscribes to the chosen
// channel; changing the language sends `switch` on the same connection (no
// renegotiation). When the socket or the peer connection drops, it reconnects with
// backoff, resumes the same participant and subscribes to the same channel again.
//
// The mix: while an interpretation plays, a listener may hear the floor beneath it at
// 0-50 % of the volume. A second subscription (slot "under") brings the floor to its own
// strip (tone.js: its volume); the choice is kept on the device once preferences are allowed (../storage.js). Both
// strips end in the page's limiter (limiter.js), on unless the listener turns it off.
//
// Talking: in a meeting, or in a webinar once a host lets them, a listener may send their
// microphone to the floor ("Talk"); a host's mute stops it. Several people talk at once on
// a floor's lanes (floor_lanes.js), heard beside the floor; nobody hears their own voice
// back.

import { _ } from "../i18n.js";
import { Backoff, channelIndex, channelLabel, connectionText, pageData, say } from "./common.js";
import { Ear, Mic, audioContext, runMeter } from "./media.js";
import { limiter } from "./limiter.js";
import { Strip } from "./tone.js";
import { MeetingPanel } from "./meeting.js";
import { FloorLanes } from "./floor_lanes.js";
import { VideoPanel } from "./video.js";
import { CaptionsPanel } from "./captions.js";
import { LiveSession } from "./session.js";
import { forTheTab, remembered } from "../storage.js";

const root = document.getElementById("player");
const data = pageData("player-data");
const channels = channelIndex(data);
const topicSelect = document.getElementById("player-topic");
const languageSelect = document.getElementById("player-language");
const toggle = document.getElementById("player-toggle");
const volume = document.getElementById("player-volume");
const statusLine = document.getElementById("player-status");
const audio = document.getElementById("player-audio");
const meter = document.getElementById("player-meter");
const mixSlider = document.getElementById("player-mix");
const mixValue = document.getElementById("player-mix-value");
const underAudio = document.getElementById("player-under");
const talkButton = document.getElementById("player-talk");
const mixKey = "interpreta.listen.mix";
let mix = Math.min(0.5, Math.max(0, Number(remembered.get(mixKey)) || 0));

const choiceKey = `interpreta.listen.${data.code}`;
const firstTopic = data.topics[0];
let topicId = firstTopic.id;
let selected = Number(forTheTab.get(choiceKey)) || null;
if (!channels.has(selected)) selected = null;
if (selected) topicId = channels.get(selected).topic_id;
let playing = false;
let connection = "closed";
let mediaState = "idle";
const mediaRetry = new Backoff();

const mainStrip = new Strip();
const underStrip = new Strip();
const ear = new Ear(
  audio,
  () => {
    mediaState = "lost";
    render();
    resubscribeLater();
  },
  "main",
  mainStrip,
);

const under = new Ear(underAudio, () => mixLater(), "under", underStrip);
const lanes = new FloorLanes(() => Number(volume.value));
limiter.bindSwitch(document.getElementById("hearing-protection"));
const mic = new Mic(() => stopTalking(_("Your microphone connection dropped.")));
let talking = false;
let admitted = true; // false while in the waiting room
const mixRetry = new Backoff();

const session = new LiveSession({
  code: data.code,
  // a registered listener's personal link carries its ticket (events that take registrations)
  join: { role: "listener", topic_id: topicId, ...(data.ticket ? { ticket: data.ticket } : {}) },
  storageKey: `interpreta.participant.listener.${data.code}`,
  onStatus: (status, detail) => {
    connection = status;
    if (status !== "open") video.offline();
    if (status !== "open") meeting.offline(connectionText(status, detail));
    if (status === "refused") stop(detail);
    render(detail);
  },
  onWelcome: (welcome) => {
    meeting.connected();
    captions.connected();
    mediaRetry.reset();
    admitted = !welcome.waiting;
    if (admitted) subscribe();
    else render();
  },
  onMessage: (message) => {
    if (captions.handle(message) || video.handle(message) || meeting.handle(message) || lanes.handle(message)) return;
    if (message.type === "state") {
      syncLanes();
      render();
    }
    else if (message.type === "muted") stopTalking(_("%(name)s muted your microphone.", { name: message.by }));
    else if (message.type === "admitted") {
      admitted = true;
      captions.connected();
      subscribe();
    }
    else if (message.type === "media.lost" && message.what === "mix") mixLater();
    else if (message.type === "media.lost") resubscribeLater();
  },
});

const meeting = new MeetingPanel(session);
const captions = new CaptionsPanel(session, channels);
const video = new VideoPanel(session, { soundOf: () => ear.pc, sends: ["camera", "screen"], maySend: (kind, state) => Boolean(state?.you?.may_talk) });

function floorOf(topic) {
  for (const channel of channels.values()) {
    if (channel.topic_id === topic && channel.kind === "floor") return channel.id;
  }
  return null;
}

function liveInfo(channelId) {
  return session.state?.channels.find((c) => c.id === channelId) || null;
}

function current() {
  return selected && channels.get(selected)?.topic_id === topicId ? selected : floorOf(topicId);
}

async function subscribe() {
  if (!playing || !session.open || !admitted) return;
  const channelId = current();
  mediaState = "connecting";
  render();
  try {
    await ear.start(session, channelId);
    mediaState = "playing";
    mediaRetry.reset();
    syncMix();
    syncLanes();
  } catch (error) {
    mediaState = "lost";
    resubscribeLater();
  }
  render();
}

function resubscribeLater() {
  if (!playing) return;
  mediaRetry.schedule(() => {
    if (playing && session.open) subscribe();
  });
}

async function choose(channelId) {
  selected = channelId;
  forTheTab.set(choiceKey, String(channelId));
  if (playing && ear.connected && session.open) {
    try {
      await ear.switchTo(session, channelId);
    } catch {
      subscribe();
    }
  }
  syncMix();
  syncLanes();
  render();
}

/** Hear the floor's other talkers while the floor plays (not beneath an interpretation). */
function syncLanes() {
  const hearsFloor = playing && session.open && ear.connected && channels.get(current())?.kind === "floor";
  lanes.sync(session, hearsFloor ? current() : null);
  applyVolumes();
}

/** Whether the floor should play beneath: an interpretation is playing and the mix is up. */
function mixWanted() {
  return playing && session.open && ear.connected && mix > 0 && channels.get(current())?.kind !== "floor";
}

/** Start, move or stop the floor beneath the interpretation, as the mix says. */
async function syncMix() {
  applyVolumes();
  if (!mixWanted()) {
    if (under.pc) {
      under.close();
      if (session.open) session.request({ type: "unsubscribe", slot: "under" }).catch(() => {});
    }
    return;
  }
  const floor = floorOf(topicId);
  if (under.connected && under.channelId === floor) return;
  try {
    if (under.connected) await under.switchTo(session, floor);
    else await under.start(session, floor);
    mixRetry.reset();
  } catch {
    mixLater();
  }
  applyVolumes();
}

function mixLater() {
  if (!mixWanted()) return;
  mixRetry.schedule(() => syncMix());
}

function applyVolumes() {
  const level = Number(volume.value);
  // a talker does not hear their own voice back, from the floor or beneath
  const ownOnFloor = session.state?.you?.heard_in === "floor";
  const mainIsFloor = channels.get(current())?.kind === "floor";
  mainStrip.volume = ownOnFloor && mainIsFloor ? 0 : level;
  underStrip.volume = ownOnFloor ? 0 : level * mix;
  lanes.applyVolumes();
  const shown = `${Math.round(mix * 100)} %`;
  say(mixValue, shown);
  mixSlider.setAttribute("aria-valuetext", shown);
}

/** The details the organiser asks for (name, email), or null when one is missing. */
function askedDetails() {
  const fields = [document.getElementById("player-name"), document.getElementById("player-email")];
  const given = {};
  for (const field of fields) {
    if (!field) continue;
    if (!field.value.trim() || !field.checkValidity()) {
      field.focus();
      field.reportValidity();
      return null;
    }
    given[field.id === "player-name" ? "name" : "email"] = field.value.trim();
  }
  return given;
}

function play() {
  const details = askedDetails();
  if (details === null) return;
  Object.assign(session.options.join, details);
  audioContext(); // created inside the click: browsers allow audio from here on
  limiter.prepare();
  playing = true;
  applyVolumes();
  session.start();
  render();
}

/** Send the microphone to the floor (in a meeting, or when a host lets this listener). */
async function talk() {
  talking = true;
  render();
  try {
    await mic.open(true); // echo cancellation: a listener talking likely has no headset
    await mic.publish(session);
  } catch (error) {
    stopTalking(_("Talking failed: %(error)s", { error: error.message }));
  }
  render();
}

function stopTalking(reason) {
  if (!talking) return;
  talking = false;
  mic.release();
  if (reason) say(document.getElementById("meeting-notice"), reason);
  render();
}

function stop(reason) {
  stopTalking();
  playing = false;
  mediaRetry.reset();
  mixRetry.reset();
  ear.close();
  under.close();
  lanes.close();
  mediaState = "idle";
  if (!reason) session.stop();
  render(reason);
}

function renderLanguages() {
  const wanted = current();
  const options = [];
  for (const channel of channels.values()) {
    if (channel.topic_id !== topicId) continue;
    const info = liveInfo(channel.id);
    const known = session.state !== null;
    const available = channel.kind === "floor" || !known || info?.live || channel.id === wanted;
    if (!available) continue;
    let label = channelLabel(channel);
    if (known && channel.kind !== "floor" && !info?.live) label = _("%(language)s (not live)", { language: label });
    options.push([channel.id, label]);
  }
  const signature = JSON.stringify(options);
  if (languageSelect.dataset.signature !== signature) {
    languageSelect.replaceChildren(
      ...options.map(([id, label]) => new Option(label, String(id), false, id === wanted)),
    );
    languageSelect.dataset.signature = signature;
  }
  languageSelect.value = String(wanted);
}

function describe() {
  if (connection === "refused") return null;
  if (!playing) {
    return data.status === "draft"
      ? _("Audio starts when the event is live. Press Play to listen.")
      : _("Press Play to listen.");
  }
  if (connection === "reconnecting") return _("Connection lost. Reconnecting…");
  if (session.open && !admitted) return _("You are in the waiting room. A host will let you in shortly.");
  if (!session.open || mediaState === "connecting") return _("Connecting…");
  if (mediaState === "lost") return _("Audio connection lost. Reconnecting…");
  const channelId = current();
  const channel = channels.get(channelId);
  const info = liveInfo(channelId);
  if (channel.kind === "floor") {
    return info?.on_air
      ? _("Live: original sound from the floor.")
      : _("The floor is quiet: no speaker is on air.");
  }
  const name = channelLabel(channel);
  if (channel.machine) {
    return info?.live
      ? _("Machine interpretation: translated by machine and spoken by a synthetic voice. It may contain mistakes.")
      : _("Machine interpretation starts when the floor speaks English.");
  }
  if (!info?.live) return _("No interpreter is in the %(name)s booth right now.", { name });
  if (info.on_air) return _("Interpreter on air: %(name)s.", { name });
  return _("Interpretation paused: the %(name)s interpreter's microphone is off.", { name });
}

function renderTalk() {
  const mayTalk = playing && session.open && Boolean(session.state?.you?.may_talk);
  if (!mayTalk && talking) stopTalking();
  talkButton.hidden = !mayTalk;
  talkButton.textContent = talking ? _("Stop talking") : _("Talk");
  talkButton.setAttribute("aria-pressed", talking ? "true" : "false");
}

function render(detail) {
  renderTalk();
  if (topicSelect) topicSelect.value = String(topicId);
  renderLanguages();
  captions.render(playing ? session.state : null, topicId);
  toggle.textContent = playing ? _("Stop") : _("Play");
  toggle.setAttribute("aria-pressed", playing ? "true" : "false");
  toggle.classList.toggle("button-playing", playing);
  const text = describe() ?? connectionText(connection, detail);
  say(statusLine, text);
  const info = liveInfo(current());
  root.dataset.onAir = playing && info?.on_air ? "true" : "false";
}

toggle.addEventListener("click", () => (playing ? stop() : play()));
talkButton.addEventListener("click", () => (talking ? stopTalking() : talk()));
languageSelect.addEventListener("change", () => choose(Number(languageSelect.value)));
if (topicSelect) {
  topicSelect.addEventListener("change", () => {
    const previous = channels.get(current());
    topicId = Number(topicSelect.value);
    // keep the language when the new topic has it, else its floor
    const same = [...channels.values()].find(
      (c) => c.topic_id === topicId && c.kind === previous.kind && c.language_code === previous.language_code,
    );
    choose(same ? same.id : floorOf(topicId));
  });
}
volume.addEventListener("input", () => applyVolumes());
mixSlider.value = String(mix);
mixSlider.addEventListener("input", () => {
  mix = Number(mixSlider.value);
  remembered.set(mixKey, String(mix));
  syncMix();
});
applyVolumes();
runMeter(meter, () => ear.probe);
render();

/** A hook for tests and diagnostics: what this page hears. */
window.interpreta = {
  /** What the video panel shows (slot → feed, size, frames decoded) and sends. */
  get video() {
    return video.snapshot;
  },
  get state() {
    return session.state;
  },
  get welcome() {
    return session.welcome;
  },
  get listening() {
    return ear.channelId;
  },
  get remoteStream() {
    return ear.stream;
  },
  get connection() {
    return connection;
  },
  get talking() {
    return talking && mic.published;
  },
  dominantFrequency: () => (ear.probe ? ear.probe.dominantFrequency() : null),
  /** What plays beneath (the mix): its channel, dominant frequency and volume. */
  get mix() {
    return { channel: under.channelId, volume: underStrip.volume, level: mix };
  },
  underFrequency: () => (under.probe ? under.probe.dominantFrequency() : null),
  /** The volumes of what plays: the main channel and the floor beneath. */
  get volumes() {
    return { main: mainStrip.volume, under: underStrip.volume };
  },
  /** The floor's other talkers: each lane's channel, volume and dominant frequency. */
  get lanes() {
    return lanes.snapshot;
  },
  level: () => (ear.probe ? ear.probe.level() : 0),
  /** The limiter: on or off, the peaks it measured (in and out) since `resetLimiter()`. */
  get limiter() {
    return limiter.snapshot;
  },
  resetLimiter: () => limiter.resetPeaks(),
};
