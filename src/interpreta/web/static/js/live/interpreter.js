// The interpreter console: microphone (on air / off), cough key, handover, incoming
// channel (floor or relay) with its own volume and tone, booth chat, slow-down, level
// meters. What the interpreter hears goes through the page's limiter (limiter.js).
//
// Entering the booth opens the microphone (no browser voice processing unless the
// setting asks for it), joins as interpreter, publishes the microphone to the booth's
// channel (off air until switched on) and subscribes to the floor. After a drop it
// reconnects, publishes and subscribes again, and goes back on air if it was on air
// and no booth mate took over.

import { _ } from "../i18n.js";
import { Backoff, channelIndex, channelLabel, connectionText, pageData, say } from "./common.js";
import { Ear, Mic, audioContext, runMeter } from "./media.js";
import { limiter } from "./limiter.js";
import { Strip } from "./tone.js";
import { ToneControls } from "./tone-controls.js";
import { FloorLanes } from "./floor_lanes.js";
import { MeetingPanel } from "./meeting.js";
import { renderQuality } from "./input_quality.js";
import { VideoPanel } from "./video.js";
import { LiveSession } from "./session.js";
import { BoothWork } from "./booth_work.js";
import { GlossaryPanel } from "./glossary.js";
import { forTheTab, remembered } from "../storage.js";

const data = pageData();
const channels = channelIndex(data);
const booth = data.booth;
const $ = (id) => document.getElementById(id);

const el = {
  root: $("console"),
  connection: $("connection"),
  start: $("start-card"),
  enter: $("enter"),
  startError: $("start-error"),
  grid: $("console-grid"),
  onAir: $("on-air"),
  mic: $("mic"),
  micLabel: document.querySelector("#mic .mic-button-label"),
  cough: $("cough"),
  micError: $("mic-error"),
  listeners: $("listeners"),
  incoming: $("incoming"),
  incomingStatus: $("incoming-status"),
  audio: $("incoming-audio"),
  slowdown: $("slowdown"),
  seats: $("seats"),
  prompt: $("handover-prompt"),
  promptText: $("handover-text"),
  accept: $("handover-accept"),
  decline: $("handover-decline"),
  waiting: $("handover-waiting"),
  handover: $("handover"),
  notices: $("notices"),
  chatLog: $("chat-log"),
  chatForm: $("chat-form"),
  chatText: $("chat-text"),
  processing: $("processing"),
  toast: $("toast"),
};

const settingsKey = "interpreta.console.processing";
const incomingKey = `interpreta.console.incoming.${data.code}.${booth.booth_id}`;
el.processing.checked = remembered.get(settingsKey) === "true";

let started = false;
let connection = "closed";
let wantOnAir = false;
let coughing = false;
let handoverPending = null; // {from, giver, taker} a mate asked and we answer
let incomingId = Number(forTheTab.get(incomingKey)) || floorOf(booth.topic_id);
if (!channels.has(incomingId) || incomingId === booth.channel_id) incomingId = floorOf(booth.topic_id);
const micRetry = new Backoff();
const earRetry = new Backoff();

const mic = new Mic(() => republishLater());
const strip = new Strip(); // the incoming channel's volume and tone, then the limiter
const ear = new Ear(el.audio, () => resubscribeLater(), "main", strip);
const tone = new ToneControls(strip, `interpreta.console.tone.${data.code}`);
// the floor's other talkers (a meeting, a panel), at the incoming channel's volume
const lanes = new FloorLanes(() => strip.volume);
limiter.bindSwitch($("hearing-protection"));

const session = new LiveSession({
  code: data.code,
  join: { role: "interpreter", booth_id: booth.booth_id },
  storageKey: `interpreta.participant.interpreter.${data.code}`,
  onStatus: (status, detail) => {
    connection = status;
    say(el.connection, connectionText(status, detail));
    el.root.dataset.connection = status;
    if (status === "refused") say(el.startError, detail || _("Joining was refused."));
    if (status !== "open") video.offline();
    if (status !== "open") meeting.offline(connectionText(status, detail));
    render();
  },
  onWelcome: () => {
    meeting.connected();
    micRetry.reset();
    earRetry.reset();
    publish();
    subscribe();
    work.listen();
    glossary.refresh();
  },
  onMessage: (message) =>
    video.handle(message) ||
    meeting.handle(message) ||
    glossary.handle(message) ||
    work.handle(message) ||
    lanes.handle(message) ||
    handle(message),
});
const meeting = new MeetingPanel(session);
const glossary = new GlossaryPanel($("glossary"), data.event_id);
const work = new BoothWork({
  root: $("booth-work"),
  session,
  booth,
  channels,
  notice: (text) => notice(text),
  strip: new Strip(), // the talkback's own volume, then the limiter
});
const video = new VideoPanel(session, { soundOf: () => ear.pc, sends: ["booth", "sign"], maySend: (kind, state) => kind !== "booth" || Boolean(state?.booth) });

function floorOf(topicId) {
  for (const channel of channels.values()) {
    if (channel.topic_id === topicId && channel.kind === "floor") return channel.id;
  }
  return null;
}

function me() {
  return session.welcome?.participant ?? null;
}

function boothState() {
  return session.state?.booth ?? null;
}

function info(channelId) {
  return session.state?.channels.find((c) => c.id === channelId) || null;
}

function toast(text) {
  el.toast.textContent = text;
  el.toast.classList.add("visible");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.toast.classList.remove("visible"), 4000);
}

function notice(text) {
  const item = document.createElement("p");
  item.className = "notice";
  const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  item.textContent = `${time} ${text}`;
  el.notices.prepend(item);
  while (el.notices.children.length > 5) el.notices.lastChild.remove();
}

// --- media -----------------------------------------------------------------------------

async function publish() {
  if (!session.open || !mic.stream) return;
  try {
    await mic.publish(session);
    micRetry.reset();
    say(el.micError, "");
    if (wantOnAir && boothState()?.on_air == null) {
      await session.request({ type: "mic", on: true }).catch(() => {
        wantOnAir = false;
      });
    }
  } catch (error) {
    say(el.micError, _("Microphone connection failed: %(error)s. Retrying…", { error: error.message }));
    republishLater();
  }
  render();
}

function republishLater() {
  if (!started) return;
  micRetry.schedule(() => session.open && publish());
}

async function subscribe() {
  if (!session.open) return;
  try {
    await ear.start(session, incomingId);
    earRetry.reset();
  } catch {
    resubscribeLater();
  }
  syncLanes();
  render();
}

/** Hear the floor's other talkers while the incoming channel is the floor. */
function syncLanes() {
  const hearsFloor = session.open && ear.connected && channels.get(incomingId)?.kind === "floor";
  lanes.sync(session, hearsFloor ? incomingId : null);
}

function resubscribeLater() {
  if (!started) return;
  earRetry.schedule(() => session.open && subscribe());
}

async function enter() {
  audioContext();
  limiter.prepare();
  say(el.startError, "");
  el.enter.disabled = true;
  try {
    await mic.open(el.processing.checked);
  } catch (error) {
    el.enter.disabled = false;
    say(el.startError, _("The browser gave no microphone: %(error)s", { error: error.message }));
    return;
  }
  started = true;
  el.start.hidden = true;
  el.grid.hidden = false;
  session.start();
  render();
}

// --- console actions -------------------------------------------------------------------

async function act(message, onError) {
  try {
    await session.request(message);
    say(el.micError, "");
    return true;
  } catch (error) {
    if (onError) onError(error);
    else say(el.micError, error.message);
    return false;
  }
}

async function setMic(on) {
  if (!on) wantOnAir = false;
  const ok = await act({ type: "mic", on });
  if (ok && on) wantOnAir = true;
}

function setCough(held) {
  if (held === coughing) return;
  coughing = held;
  el.cough.setAttribute("aria-pressed", held ? "true" : "false");
  act({ type: "cough", held });
}

function handle(message) {
  switch (message.type) {
    case "state": {
      syncLanes();
      const measured = session.state?.input_quality?.[floorOf(booth.topic_id)] ?? null;
      renderQuality(document.getElementById("input-quality"), measured);
      const state = boothState();
      if (state?.on_air && state.on_air !== me()) wantOnAir = false;
      if (state?.on_air && state.on_air === me()) wantOnAir = true;
      if (!state?.handover) {
        handoverPending = null;
      }
      break;
    }
    case "handover.requested":
      handoverPending = message;
      break;
    case "chat": {
      const item = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = message.from === data.name ? _("You") : message.from;
      item.append(who, document.createTextNode(` ${message.text}`));
      el.chatLog.append(item);
      el.chatLog.scrollTop = el.chatLog.scrollHeight;
      break;
    }
    case "booth.left":
      notice(_("%(name)s left the booth.", { name: message.name }));
      break;
    case "booth.dropped":
      notice(_("%(name)s's connection dropped.", { name: message.name }));
      break;
    case "media.lost":
      if (message.what === "microphone") republishLater();
      else resubscribeLater();
      break;
    default:
      break;
  }
  render();
}

// --- rendering -------------------------------------------------------------------------

function renderIncoming() {
  const options = [];
  for (const channel of channels.values()) {
    if (channel.topic_id !== booth.topic_id || channel.id === booth.channel_id) continue;
    const live = info(channel.id);
    let label;
    if (channel.kind === "floor") label = _("Floor (original)");
    else if (session.state && !live?.live) label = _("Relay: %(channel)s (no interpreter)", { channel: channelLabel(channel) });
    else label = _("Relay: %(channel)s", { channel: channelLabel(channel) });
    options.push([channel.id, label]);
  }
  const signature = JSON.stringify(options);
  if (el.incoming.dataset.signature !== signature) {
    el.incoming.replaceChildren(...options.map(([id, label]) => new Option(label, String(id))));
    el.incoming.dataset.signature = signature;
  }
  el.incoming.value = String(incomingId);
  const live = info(incomingId);
  const channel = channels.get(incomingId);
  tone.use(incomingId, channel.kind === "floor" ? _("Floor (original)") : channelLabel(channel));
  let text = "";
  if (!ear.connected) text = started ? _("Connecting…") : "";
  else if (channel.kind === "floor") text = live?.on_air ? _("Speaker on air.") : _("The floor is quiet.");
  else if (live?.on_air) {
    text = live.on_air_name
      ? _("%(name)s is on air in %(channel)s.", { name: live.on_air_name, channel: channelLabel(channel) })
      : _("The interpreter is on air in %(channel)s.", { channel: channelLabel(channel) });
  } else text = _("%(channel)s is paused.", { channel: channelLabel(channel) });
  say(el.incomingStatus, text);
}

function renderBooth() {
  const state = boothState();
  const you = me();
  const seats = state?.seats || [];
  el.seats.replaceChildren(
    ...seats.map((seat) => {
      const item = document.createElement("li");
      item.className = "seat";
      item.dataset.onAir = seat.on_air ? "true" : "false";
      const name = document.createElement("span");
      name.className = "seat-name";
      name.textContent = seat.key === you ? _("%(name)s (you)", { name: seat.name }) : seat.name;
      const tag = document.createElement("span");
      tag.className = "seat-tag";
      tag.textContent = seat.on_air
        ? seat.coughing
          ? _("On air · coughing")
          : _("On air")
        : seat.mic
          ? _("Ready")
          : _("Connecting mic…");
      item.append(name, tag);
      return item;
    }),
  );
  const onAir = Boolean(state && you && state.on_air === you);
  const mateOnAir = Boolean(state?.on_air && state.on_air !== you);
  const mates = seats.filter((s) => s.key !== you);
  // the handover button
  el.handover.disabled = !session.open || mates.length === 0 || (!onAir && !mateOnAir) || Boolean(state?.handover);
  el.handover.textContent = onAir ? _("Offer handover to your booth mate") : _("Ask to take over");
  // the prompt (a mate asked us) and the waiting line (we asked)
  const pending = handoverPending && state?.handover;
  el.prompt.hidden = !pending;
  if (pending) {
    say(
      el.promptText,
      handoverPending.giver === you
        ? _("%(name)s asks to take over the microphone.", { name: handoverPending.from })
        : _("%(name)s offers you the microphone.", { name: handoverPending.from }),
    );
  }
  el.waiting.hidden = !(state?.handover && !pending);
  if (!el.waiting.hidden) say(el.waiting, _("Handover requested: waiting for your booth mate…"));
  return { onAir, mateOnAir };
}

function render() {
  const { onAir, mateOnAir } = renderBooth();
  work.render(session.state, me());
  el.root.dataset.onAir = onAir ? "true" : "false";
  el.onAir.dataset.onAir = onAir ? "true" : "false";
  let status = _("Microphone off");
  if (onAir) status = coughing ? _("ON AIR · cough key held") : _("ON AIR");
  else if (mateOnAir) {
    const mate = boothState().seats.find((s) => s.key === boothState().on_air);
    status = mate
      ? _("Microphone off · %(name)s is on air", { name: mate.name })
      : _("Microphone off · your booth mate is on air");
  } else if (started && !mic.published) status = _("Microphone connecting…");
  say(el.onAir, status);
  el.mic.setAttribute("aria-pressed", onAir ? "true" : "false");
  say(el.micLabel, onAir ? _("On air") : _("Microphone"));
  el.mic.disabled = !session.open || !mic.published || (mateOnAir && !onAir);
  el.cough.disabled = !onAir;
  el.slowdown.disabled = !session.open;
  const mine = info(booth.channel_id);
  const count = mine?.listeners ?? 0;
  say(
    el.listeners,
    count === 1
      ? _("1 listener on %(booth)s", { booth: booth.name })
      : _("%(count)s listeners on %(booth)s", { count, booth: booth.name }),
  );
  renderIncoming();
}

// --- wiring ----------------------------------------------------------------------------

el.enter.addEventListener("click", enter);
el.mic.addEventListener("click", () => setMic(el.mic.getAttribute("aria-pressed") !== "true"));
el.cough.addEventListener("pointerdown", (event) => {
  el.cough.setPointerCapture?.(event.pointerId);
  setCough(true);
});
for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
  el.cough.addEventListener(type, () => setCough(false));
}
el.cough.addEventListener("keydown", (event) => {
  if ((event.key === " " || event.key === "Enter") && !event.repeat) {
    event.preventDefault();
    setCough(true);
  }
});
el.cough.addEventListener("keyup", (event) => {
  if (event.key === " " || event.key === "Enter") setCough(false);
});

const typing = (target) => target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
document.addEventListener("keydown", (event) => {
  if (!started || typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.toLowerCase();
  const click = (button) => {
    if (!event.repeat && !button.disabled && !button.closest("[hidden]")) button.click();
  };
  if (key === "c") {
    if (!event.repeat && !el.cough.disabled) setCough(true);
  } else if (key === "m") click(el.mic);
  else if (key === "h") click(el.handover);
  else if (key === "a") click(el.accept);
  else if (key === "d") click(el.decline);
  else if (key === "s") click(el.slowdown);
  else if (key === "g") glossary.focus();
  else if (!work.key(event)) return;
  event.preventDefault();
});
document.addEventListener("keyup", (event) => {
  if (event.key === "c" || event.key === "C") setCough(false);
  work.keyUp(event);
});
window.addEventListener("blur", () => setCough(false));

el.incoming.addEventListener("change", async () => {
  incomingId = Number(el.incoming.value);
  forTheTab.set(incomingKey, String(incomingId));
  if (ear.connected && session.open) {
    try {
      await ear.switchTo(session, incomingId);
    } catch {
      subscribe();
    }
  }
  syncLanes();
  render();
});
el.slowdown.addEventListener("click", async () => {
  if (await act({ type: "slowdown" })) toast(_("Slow-down signal sent to the speaker."));
});
el.handover.addEventListener("click", () =>
  act({ type: "handover", action: "request", countdown: work.countdownSeconds }),
);
el.accept.addEventListener("click", () => act({ type: "handover", action: "accept" }));
el.decline.addEventListener("click", () => {
  handoverPending = null;
  act({ type: "handover", action: "decline" });
});
el.chatForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = el.chatText.value.trim();
  if (!text) return;
  if (await act({ type: "chat", text })) el.chatText.value = "";
});
el.processing.addEventListener("change", async () => {
  remembered.set(settingsKey, String(el.processing.checked));
  if (!started) return;
  try {
    await mic.open(el.processing.checked);
    await publish();
    toast(el.processing.checked ? _("Voice processing on.") : _("Voice processing off."));
  } catch (error) {
    say(el.micError, _("Could not reopen the microphone: %(error)s", { error: error.message }));
  }
});

runMeter(document.getElementById("mic-meter"), () => mic.probe);
runMeter(document.getElementById("incoming-meter"), () => ear.probe);
render();

/** A hook for tests and diagnostics. */
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
  get connection() {
    return connection;
  },
  get published() {
    return mic.published;
  },
  get listening() {
    return ear.channelId;
  },
  get localStream() {
    return mic.stream;
  },
  get remoteStream() {
    return ear.stream;
  },
  dominantFrequency: () => (ear.probe ? ear.probe.dominantFrequency() : null),
  /** The floor's other talkers: each lane's channel, volume and dominant frequency. */
  get lanes() {
    return lanes.snapshot;
  },
  /** What the booth mate says on the talkback, as a frequency (tests). */
  talkbackFrequency: () => (work.talkback.probe ? work.talkback.probe.dominantFrequency() : null),
  micFrequency: () => (mic.probe ? mic.probe.dominantFrequency() : null),
  level: () => (ear.probe ? ear.probe.level() : 0),
  micLevel: () => (mic.probe ? mic.probe.level() : 0),
  /** The limiter: on or off, the peaks it measured (in and out) since `resetLimiter()`. */
  get limiter() {
    return limiter.snapshot;
  },
  resetLimiter: () => limiter.resetPeaks(),
  /** The incoming channel's volume, bass and treble. */
  get tone() {
    return tone.snapshot;
  },
};
