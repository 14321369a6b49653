// The organisers' live view: joins as moderator (no media) and shows, channel by
// channel, whether it is live, who is on air and how many listen; and the
// interpreters' slow-down signals. Reconnects by itself.

import { _ } from "../i18n.js";
import { connectionText, pageData, say } from "./common.js";
import { MeetingPanel } from "./meeting.js";
import { floorOf, renderQuality } from "./input_quality.js";
import { VideoPanel } from "./video.js";
import { GlossaryPanel } from "./glossary.js";
import { api } from "../api.js";
import { LiveSession } from "./session.js";

const data = pageData();
const connectionLine = document.getElementById("connection");
const signals = document.getElementById("signals");
const signalsEmpty = document.getElementById("signals-empty");
const toast = document.getElementById("toast");

function render(state) {
  for (const channel of state.channels) {
    const row = document.getElementById(`channel-${channel.id}`);
    if (!row) continue;
    row.dataset.live = channel.live ? "true" : "false";
    row.dataset.onAir = channel.on_air ? "true" : "false";
    const floor = channel.kind === "floor";
    let text = _("Not live");
    if (channel.on_air) text = _("On air");
    else if (channel.live) text = floor ? _("Live · quiet") : _("Live · paused");
    say(row.querySelector('[data-role="state"]'), text);
    let who = "";
    if (channel.on_air) who = floor ? _("Speaker") : channel.on_air_name || _("Interpreter");
    const fill = row.querySelector("[data-fill]");
    if (fill && document.activeElement !== fill) fill.value = channel.retour_fill ? String(channel.retour_fill) : "";
    if (channel.carrier?.kind === "retour") who = _("%(booth)s booth (retour)", { booth: channel.carrier.booth });
    else if (channel.carrier?.kind === "relay") who = _("Relay from %(booth)s (its booth is on a retour)", { booth: channel.carrier.booth });
    else if (channel.carrier?.kind === "floor" && !floor) who = _("The floor (its booth is on a retour)");
    say(row.querySelector('[data-role="who"]'), who);
    const count = channel.listeners ?? 0;
    say(row.querySelector('[data-role="listeners"]'), count === 1 ? _("1 listener") : _("%(count)s listeners", { count }));
  }
}

const session = new LiveSession({
  code: data.code,
  join: { role: "moderator" },
  storageKey: `interpreta.participant.moderator.${data.code}`,
  onStatus: (status, detail) => {
    say(connectionLine, status === "open" ? _("Connected: live") : connectionText(status, detail));
    if (status !== "open") video.offline();
    if (status !== "open") meeting.offline(connectionText(status, detail));
  },
  onWelcome: () => meeting.connected(),
  onMessage: (message) => {
    if (video.handle(message) || meeting.handle(message) || glossary.handle(message)) return;
    if (message.type === "state") {
      render(message);
      for (const element of document.querySelectorAll(".input-quality[data-topic]")) {
        const floor = floorOf(message, Number(element.dataset.topic));
        renderQuality(element, message.input_quality?.[floor] ?? null);
      }
    }
    else if (message.type === "slowdown") {
      const item = document.createElement("li");
      const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
      const asks = _("%(name)s (%(language)s) asks the speaker to slow down.", {
        name: message.from,
        language: message.language,
      });
      item.textContent = `${time} · ${asks}`;
      signals.prepend(item);
      signalsEmpty.hidden = true;
      while (signals.children.length > 20) signals.lastChild.remove();
    }
  },
});
const meeting = new MeetingPanel(session);
const glossary = new GlossaryPanel(document.getElementById("glossary"), data.event_id);
glossary.refresh();

for (const select of document.querySelectorAll("[data-fill]")) {
  select.addEventListener("change", async () => {
    const channel = select.value ? Number(select.value) : null;
    try {
      await session.request({ type: "retour.fill", booth: Number(select.dataset.fill), channel });
    } catch (error) {
      say(toast, error.message);
    }
  });
}

async function refreshOnAir() {
  const body = document.querySelector("#on-air-table tbody");
  try {
    const lines = await api("GET", `/api/events/${data.event_id}/on-air`);
    body.replaceChildren(
      ...lines.map((line) => {
        const row = document.createElement("tr");
        const cells = [line.interpreter, line.language, (line.seconds / 60).toFixed(1), String(line.stints), (line.longest / 60).toFixed(1)];
        for (const text of cells) {
          const cell = document.createElement("td");
          cell.textContent = text;
          row.append(cell);
        }
        return row;
      }),
    );
  } catch (error) {
    say(toast, error.message);
  }
}
document.getElementById("on-air-refresh").addEventListener("click", refreshOnAir);
refreshOnAir();
const video = new VideoPanel(session, { sends: ["camera", "screen"], maySend: () => true });
session.start();

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      say(toast, _("Link copied."));
    } catch {
      say(toast, _("Could not copy; select the link and copy it yourself."));
    }
    toast.classList.add("visible");
    setTimeout(() => toast.classList.remove("visible"), 3000);
  });
}

/** A hook for tests and diagnostics. */
window.interpreta = {
  /** What the video panel shows (slot → feed, size, frames decoded) and sends. */
  get video() {
    return video.snapshot;
  },
  get state() {
    return session.state;
  },
};
