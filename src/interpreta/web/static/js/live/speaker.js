// The speaker's page: publish the microphone to the topic's floor, show its level and
// the interpreters' slow-down signals. Reconnects and publishes again after a drop.

import { _ } from "../i18n.js";
import { Backoff, connectionText, pageData, say } from "./common.js";
import { Mic, audioContext, runMeter } from "./media.js";
import { MeetingPanel } from "./meeting.js";
import { renderQuality } from "./input_quality.js";
import { VideoPanel } from "./video.js";
import { LiveSession } from "./session.js";
import { remembered } from "../storage.js";

const data = pageData();
const $ = (id) => document.getElementById(id);
const root = $("speaker");
const startButton = $("speak");
const status = $("speak-status");
const error = $("speak-error");
const connectionLine = $("connection");
const signals = $("signals");
const banner = $("slowdown-banner");
const processing = $("processing");

let speaking = false;
let connection = "closed";
const retry = new Backoff();
const mic = new Mic(() => republishLater());
const settingsKey = "interpreta.speaker.processing";
processing.checked = remembered.get(settingsKey) === "true";

const session = new LiveSession({
  code: data.code,
  join: { role: "speaker", key: data.key, topic_id: data.topic_id },
  storageKey: `interpreta.participant.speaker.${data.code}`,
  onStatus: (value, detail) => {
    connection = value;
    say(connectionLine, connectionText(value, detail));
    if (value !== "open") video.offline();
    if (value !== "open") meeting.offline(connectionText(value, detail));
    if (value === "refused") {
      say(error, detail || _("Joining was refused."));
      stop();
    }
    render();
  },
  onWelcome: () => {
    meeting.connected();
    retry.reset();
    publish();
  },
  onMessage: (message) => {
    if (video.handle(message) || meeting.handle(message)) return;
    if (message.type === "muted") {
      stop();
      say(error, _("%(name)s muted your microphone. Start it again when you are ready.", { name: message.by }));
    }
    else if (message.type === "slowdown") slowDown(message);
    else if (message.type === "media.lost") republishLater();
    render();
  },
});

const meeting = new MeetingPanel(session);
const video = new VideoPanel(session, { sends: ["camera", "screen"], maySend: () => true });

async function publish() {
  if (!speaking || !session.open) return;
  try {
    await mic.publish(session);
    retry.reset();
    say(error, "");
  } catch (problem) {
    say(error, _("Sending failed: %(error)s. Retrying…", { error: problem.message }));
    republishLater();
  }
  render();
}

function republishLater() {
  if (speaking) retry.schedule(() => session.open && publish());
}

async function start() {
  const phone = document.getElementById("speaker-phone");
  if (phone && !phone.checkValidity()) {
    phone.reportValidity();
    return;
  }
  if (phone?.value.trim()) session.options.join.phone = phone.value.trim();
  audioContext();
  say(error, "");
  startButton.disabled = true;
  try {
    await mic.open(processing.checked);
  } catch (problem) {
    say(error, _("The browser gave no microphone: %(error)s", { error: problem.message }));
    startButton.disabled = false;
    return;
  }
  speaking = true;
  session.start();
  startButton.disabled = false;
  render();
}

function stop() {
  speaking = false;
  retry.reset();
  mic.release();
  if (session.open || connection !== "refused") session.stop();
  render();
}

function slowDown(message) {
  const { language, from: name } = message;
  banner.textContent = language
    ? _("Slow down, please (%(language)s): %(name)s", { language, name })
    : _("Slow down, please: %(name)s", { name });
  banner.hidden = false;
  clearTimeout(slowDown.timer);
  slowDown.timer = setTimeout(() => (banner.hidden = true), 10000);
  const item = document.createElement("li");
  const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const asks = language
    ? _("%(name)s (%(language)s) asks you to slow down.", { name, language })
    : _("%(name)s asks you to slow down.", { name });
  item.textContent = `${time} · ${asks}`;
  signals.prepend(item);
  while (signals.children.length > 8) signals.lastChild.remove();
}

function render() {
  startButton.textContent = speaking ? _("Stop sending") : _("Start sending my microphone");
  startButton.setAttribute("aria-pressed", speaking ? "true" : "false");
  let text = _("Your microphone is off.");
  if (speaking && mic.published && session.open) text = _("On air: the listeners and interpreters hear you.");
  else if (speaking) text = connection === "reconnecting" ? _("Connection lost. Reconnecting…") : _("Connecting…");
  say(status, text);
  root.dataset.onAir = speaking && mic.published ? "true" : "false";
}

// --- the sound check: five seconds measured on the server, heard by nobody -------------

const CHECK_MS = 5000;
const checkButton = $("soundcheck");
const checkStatus = $("soundcheck-status");
const checkAdvice = $("soundcheck-advice");
let checking = false;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Advice for each criterion the check failed, in the page's language. */
function advice(result) {
  if (result.lufs === null) return [_("We hear nothing: check that your microphone is on.")];
  const found = [];
  if (!result.verdicts.loudness) {
    found.push(
      result.lufs < -23
        ? _("You are too quiet: move closer to the microphone.")
        : _("You are too loud: lower the microphone's gain."),
    );
  }
  if (!result.verdicts.clipping) found.push(_("Your sound is distorted: move back from the microphone or lower its gain."));
  if (!result.verdicts.bandwidth) {
    found.push(_("Your sound is narrow, like a phone line: use a headset with a cable, or take your Bluetooth headset out of hands-free mode."));
  }
  if (!result.verdicts.noise) found.push(_("There is a lot of background noise: use a headset, or find a quieter place."));
  return found;
}

async function soundCheck() {
  if (checking) return;
  checking = true;
  checkButton.disabled = true;
  checkAdvice.replaceChildren();
  renderQuality($("soundcheck-figures"), null);
  const checkMic = new Mic(() => {});
  try {
    audioContext();
    await checkMic.open(processing.checked);
    if (!session.open) session.start();
    for (let waited = 0; !session.open; waited += 100) {
      if (waited > 10000) throw new Error(_("Connection lost. Reconnecting…"));
      await pause(100);
    }
    await checkMic.publish(session, "soundcheck.start");
    say(checkStatus, _("Speak normally for five seconds…"));
    await pause(CHECK_MS);
    let result = null;
    for (let tries = 0; result === null && tries < 10; tries++) {
      result = (await session.request({ type: "soundcheck.result" })).result;
      if (result === null) await pause(500);
    }
    if (result === null) throw new Error(_("no sound arrived"));
    renderQuality($("soundcheck-figures"), result);
    const found = advice(result);
    checkAdvice.replaceChildren(
      ...found.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
    );
    say(checkStatus, found.length ? _("Some checks failed: see the advice below.") : _("Your sound passes every check."));
  } catch (problem) {
    say(checkStatus, _("The sound check failed: %(error)s", { error: problem.message }));
  } finally {
    checkMic.release();
    if (session.open) session.request({ type: "soundcheck.stop" }).catch(() => {});
    if (!speaking && session.open) session.stop();
    checking = false;
    checkButton.disabled = false;
  }
}

checkButton.addEventListener("click", () => soundCheck());
startButton.addEventListener("click", () => (speaking ? stop() : start()));
processing.addEventListener("change", async () => {
  remembered.set(settingsKey, String(processing.checked));
  if (!speaking) return;
  await mic.open(processing.checked);
  await publish();
});
runMeter($("speak-meter"), () => mic.probe);
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
  get published() {
    return mic.published;
  },
  get localStream() {
    return mic.stream;
  },
  micFrequency: () => (mic.probe ? mic.probe.dominantFrequency() : null),
  micLevel: () => (mic.probe ? mic.probe.level() : 0),
};
