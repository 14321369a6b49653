// Automatic captions on the listener's page.
//
// When the organiser offers captions, each channel in a language the server's recogniser
// understands lists the languages its captions come in (`state.channels[].captions`: its
// own first, then those a machine translates it into). The listener picks one (or "Off")
// whatever they listen to: an Italian listener may hear the Italian booth and read the
// floor's English, or read the floor in Italian while hearing it. The choice is sent as a
// `captions` request, and again after a reconnect.
//
// Captions arrive as `caption` messages: partial words while someone speaks, then the
// final sentence, which replaces them (an empty final takes them back). Translations come
// once a sentence is final. The latest few sentences are shown in a polite live region,
// labelled as made automatically and, when translated, as machine translation (EU AI
// Act, Art. 50).

import { _ } from "../i18n.js";
import { channelLabel, say } from "./common.js";

const SHOWN = 3; // sentences on screen

export class CaptionsPanel {
  /**
   * @param {LiveSession} session
   * @param {Map} channels the page's channel index (common.js channelIndex)
   */
  constructor(session, channels) {
    this.session = session;
    this.channels = channels;
    this.root = document.getElementById("captions");
    this.select = document.getElementById("captions-choice");
    this.region = document.getElementById("captions-text");
    this.label = document.getElementById("captions-label");
    this.status = document.getElementById("captions-status");
    this.choice = ""; // "channel:language", or "" for off
    this.lines = new Map(); // "stream:utterance" → its element
    this.topicId = null;
    if (!this.root) return;
    this.names = new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "language" });
    this.select.addEventListener("change", () => this.choose(this.select.value));
  }

  /** The language's name in the page's language ("es" → "Spanish"). */
  languageName(code) {
    try {
      return this.names.of(code) || code;
    } catch {
      return code;
    }
  }

  /** Offer the captions of the topic's channels, as the latest state lists them. */
  render(state, topicId) {
    if (!this.root) return;
    this.topicId = topicId;
    const offered = (state?.channels || []).filter(
      (c) => c.captions?.length && this.channels.get(c.id)?.topic_id === topicId,
    );
    const options = [["", _("Off")]];
    for (const channel of offered) {
      const [own, ...translated] = channel.captions;
      const where = offered.length > 1 ? `${channelLabel(this.channels.get(channel.id))}: ` : "";
      options.push([`${channel.id}:${own}`, where + this.languageName(own)]);
      for (const language of translated) {
        const name = _("%(language)s (machine translation)", { language: this.languageName(language) });
        options.push([`${channel.id}:${language}`, where + name]);
      }
    }
    if (this.choice && !options.some(([value]) => value === this.choice)) this.off();
    const signature = JSON.stringify(options);
    if (this.select.dataset.signature !== signature) {
      this.select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
      this.select.dataset.signature = signature;
    }
    this.select.value = this.choice;
    this.root.hidden = offered.length === 0;
  }

  /** The session (re)connected: ask again for the captions chosen. */
  connected() {
    if (this.choice) this.send(this.choice).catch(() => {});
  }

  async choose(value) {
    this.choice = value;
    this.clear();
    try {
      await this.send(value);
      say(this.status, "");
    } catch (error) {
      this.choice = "";
      this.select.value = "";
      say(this.status, _("Captions failed: %(error)s", { error: error.message }));
    }
    this.renderLabel();
  }

  send(value) {
    if (!this.session.open) return Promise.resolve();
    if (!value) return this.session.request({ type: "captions", language: null });
    const [channel, language] = value.split(":");
    return this.session.request({ type: "captions", channel_id: Number(channel), language });
  }

  /** The captions chosen are no longer offered (another topic, or the organiser turned
   *  them off): stop showing and asking for them. */
  off() {
    this.choice = "";
    this.send("").catch(() => {});
    this.clear();
    this.renderLabel();
  }

  clear() {
    this.lines.clear();
    this.region.replaceChildren();
  }

  renderLabel() {
    const [channel, language] = this.choice.split(":");
    const own = this.session.state?.channels?.find((c) => c.id === Number(channel))?.captions?.[0];
    const translated = Boolean(this.choice) && language !== own;
    this.region.hidden = !this.choice;
    say(
      this.label,
      !this.choice
        ? ""
        : translated
          ? _("Automatic captions, translated by machine: they may contain mistakes.")
          : _("Automatic captions: they may contain mistakes."),
    );
  }

  /** Take a message from the session; true when it was a caption. */
  handle(message) {
    if (message.type !== "caption") return false;
    if (!this.root || `${message.channel_id}:${message.language}` !== this.choice) return true;
    const key = `${message.stream}:${message.utterance}`; // a run's utterances count from 1
    let line = this.lines.get(key);
    if (!message.final && line?.dataset.final === "true") return true; // late partial words
    if (!message.text && message.final) {
      line?.remove(); // nothing came of the words heard
      this.lines.delete(key);
      return true;
    }
    if (!line) {
      line = document.createElement("p");
      line.className = "caption-line";
      this.lines.set(key, line);
      this.region.append(line);
      while (this.lines.size > SHOWN) {
        const [oldest] = this.lines.keys();
        this.lines.get(oldest).remove();
        this.lines.delete(oldest);
      }
    }
    line.textContent = message.text;
    line.dataset.final = message.final ? "true" : "false";
    line.lang = message.language; // read aloud in its own language
    return true;
  }
}
