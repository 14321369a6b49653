// Small helpers shared by the live pages.

import { _ } from "../i18n.js";

/** The JSON the page template embedded in <script type="application/json" id=...>. */
export function pageData(id = "live-data") {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : {};
}

/** Every channel of the event from the page data: id → {id, topic_id, kind, language_code, name}. */
export function channelIndex(data) {
  const index = new Map();
  for (const topic of data.topics || []) {
    for (const channel of topic.channels) index.set(channel.id, { ...channel, topic_id: topic.id, topic_name: topic.name });
  }
  return index;
}

/** A channel's name as people read it: "Floor (original)" or the language. */
export function channelLabel(channel) {
  if (!channel) return "";
  return channel.kind === "floor" ? _("Floor (original)") : channel.name || channel.language_code;
}

/** Set an element's text (and keep aria-live regions quiet when nothing changed). */
export function say(element, text) {
  if (element && element.textContent !== text) element.textContent = text;
}

/** Connection status words for a LiveSession status. */
export function connectionText(status, detail) {
  switch (status) {
    case "connecting":
      return _("Connecting…");
    case "open":
      return _("Connected");
    case "reconnecting":
      return _("Connection lost. Reconnecting…");
    case "refused":
      return detail || _("Joining was refused.");
    default:
      return _("Not connected");
  }
}

/** A retry with growing delays (for media reconnects). */
export class Backoff {
  constructor(steps = [250, 500, 1000, 2000, 4000, 8000]) {
    this.steps = steps;
    this.attempt = 0;
    this.timer = null;
  }

  schedule(action) {
    clearTimeout(this.timer);
    const delay = this.steps[Math.min(this.attempt, this.steps.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(action, delay);
  }

  reset() {
    clearTimeout(this.timer);
    this.attempt = 0;
  }
}
