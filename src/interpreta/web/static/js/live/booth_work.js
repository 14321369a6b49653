// The booth's work beyond microphone, cough and handover: the booth's output (a retour
// into another language channel, and the relay indicator), talkback to the booth mate
// (held; heard only in the booth), preset messages, a handover with a countdown, a
// takeover, the time on air with its 30-minute warning, and keyboard shortcuts for
// every console action.

import { _ } from "../i18n.js";
import { channelLabel, say } from "./common.js";
import { Ear } from "./media.js";

/** The preset messages, by code (the server sends the code; each page words it). */
export const PRESETS = {
  take_over: () => _("Please take over"),
  coffee: () => _("Coffee?"),
  numbers: () => _("Note the numbers for me"),
  terminology: () => _("Look up a term for me"),
  slower: () => _("The speaker is too fast"),
  sound: () => _("Sound problem"),
};

function minutes(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const m = Math.floor(whole / 60);
  const s = String(whole % 60).padStart(2, "0");
  return `${m}:${s}`;
}

export class BoothWork {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root the `_booth_work.html` part of the booth card
   * @param {import("./session.js").LiveSession} options.session
   * @param {{channel_id: number, topic_id: number}} options.booth the interpreter's booth
   * @param {Map<number, object>} options.channels the event's channels by id
   * @param {(text: string) => void} options.notice shows a line in the booth's notices
   * @param {{attach(stream: MediaStream): void, detach(): void} | null} options.strip
   *   where the talkback is heard (volume, limiter)
   */
  constructor({ root, session, booth, channels, notice, strip = null }) {
    this.root = root;
    this.session = session;
    this.booth = booth;
    this.channels = channels;
    this.notice = notice;
    const $ = (role) => root.querySelector(`[data-role="${role}"]`);
    this.output = $("output");
    this.retourStatus = $("retour-status");
    this.talkbackButton = $("talkback");
    this.talkbackStatus = $("talkback-status");
    this.countdown = $("countdown");
    this.countdownStatus = $("countdown-status");
    this.takeoverButton = $("takeover");
    this.timer = $("on-air-timer");
    this.error = $("error");
    this.talking = false;
    this.warned = false;
    this.due = null;
    this.talkback = new Ear($("talkback-audio"), () => this.listenLater(), "talkback", strip);
    this.wire();
    setInterval(() => this.tick(), 500);
  }

  /** Seconds of the countdown the interpreter chose for a handover (0: the mate accepts). */
  get countdownSeconds() {
    return Number(this.countdown.value) || 0;
  }

  /** Start hearing the booth's talkback (after joining). */
  async listen() {
    try {
      await this.talkback.start(this.session, this.booth.channel_id);
    } catch {
      this.listenLater();
    }
  }

  listenLater() {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.session.open && this.listen(), 2000);
  }

  /** Handle a live message; whether it was one of booth work's. */
  handle(message) {
    if (message.type === "preset") {
      const words = PRESETS[message.code]?.() ?? message.code;
      this.notice(_("%(name)s: %(message)s", { name: message.from, message: words }));
      this.root.dataset.preset = message.code;
      return true;
    }
    if (message.type === "booth.takeover") {
      this.notice(_("%(name)s took over the microphone.", { name: message.from }));
      return true;
    }
    if (message.type === "handover.requested" && message.due) this.due = message.due;
    if (message.type === "media.lost" && message.what === "talkback") {
      this.listenLater();
      return true;
    }
    return false;
  }

  async act(message) {
    try {
      await this.session.request(message);
      say(this.error, "");
      return true;
    } catch (error) {
      say(this.error, error.message);
      return false;
    }
  }

  /** Hold (true) or release (false) the talkback key. */
  setTalkback(held) {
    if (held === this.talking) return;
    this.talking = held;
    this.talkbackButton.setAttribute("aria-pressed", held ? "true" : "false");
    this.act({ type: "talkback", held });
  }

  sendPreset(code) {
    return this.act({ type: "preset", code }).then((ok) => {
      if (ok) this.notice(_("You: %(message)s", { message: PRESETS[code]() }));
    });
  }

  takeOver() {
    return this.act({ type: "takeover" });
  }

  /** Switch the output between the booth's own channel and the first other one chosen. */
  toggleRetour() {
    const own = String(this.booth.channel_id);
    const options = [...this.output.options].map((o) => o.value).filter((v) => v !== own);
    if (!options.length) return;
    this.output.value = this.output.value === own ? options[0] : own;
    this.output.dispatchEvent(new Event("change"));
  }

  wire() {
    this.output.addEventListener("change", () => {
      const value = Number(this.output.value);
      this.act({ type: "output", channel: value === this.booth.channel_id ? null : value });
    });
    const button = this.talkbackButton;
    button.addEventListener("pointerdown", (event) => {
      button.setPointerCapture?.(event.pointerId);
      this.setTalkback(true);
    });
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      button.addEventListener(type, () => this.setTalkback(false));
    }
    button.addEventListener("keydown", (event) => {
      if ((event.key === " " || event.key === "Enter") && !event.repeat) {
        event.preventDefault();
        this.setTalkback(true);
      }
    });
    button.addEventListener("keyup", (event) => {
      if (event.key === " " || event.key === "Enter") this.setTalkback(false);
    });
    window.addEventListener("blur", () => this.setTalkback(false));
    for (const preset of this.root.querySelectorAll("[data-preset]")) {
      preset.addEventListener("click", () => this.sendPreset(preset.dataset.preset));
    }
    this.takeoverButton.addEventListener("click", () => this.takeOver());
  }

  /** Keyboard shortcuts of booth work; whether the key was one (keydown, no modifiers). */
  key(event) {
    const key = event.key.toLowerCase();
    if (key === "t") {
      if (!event.repeat) this.setTalkback(true);
      return true;
    }
    if (key === "o" && !this.takeoverButton.disabled) {
      this.takeOver();
      return true;
    }
    if (key === "r" && !this.output.disabled) {
      this.toggleRetour();
      return true;
    }
    const presets = Object.keys(PRESETS);
    const index = Number(event.key) - 1;
    if (Number.isInteger(index) && index >= 0 && index < presets.length) {
      this.sendPreset(presets[index]);
      return true;
    }
    return false;
  }

  keyUp(event) {
    if (event.key.toLowerCase() === "t") this.setTalkback(false);
  }

  /** Show the state: the output and relay indicator, talkback, countdown, takeover. */
  render(state, you) {
    const mine = state?.booth;
    const own = this.channels.get(this.booth.channel_id);
    const options = [[this.booth.channel_id, _("%(channel)s (your channel)", { channel: channelLabel(own) })]];
    for (const channel of this.channels.values()) {
      if (channel.topic_id !== this.booth.topic_id || channel.kind !== "language") continue;
      if (channel.id === this.booth.channel_id) continue;
      options.push([channel.id, _("Retour into %(channel)s", { channel: channelLabel(channel) })]);
    }
    const signature = JSON.stringify(options);
    if (this.output.dataset.signature !== signature) {
      this.output.replaceChildren(...options.map(([id, label]) => new Option(label, String(id))));
      this.output.dataset.signature = signature;
    }
    const output = mine?.output ?? this.booth.channel_id;
    this.output.value = String(output);
    this.output.disabled = !this.session.open || !mine;
    this.root.dataset.retour = mine?.output ? "true" : "false";
    let retour = "";
    if (mine?.output) {
      const target = this.channels.get(mine.output);
      retour = _("Retour: your booth works into %(target)s; %(own)s listeners hear the floor or the relay meanwhile.", {
        target: target ? channelLabel(target) : "?",
        own: channelLabel(own),
      });
    } else {
      const entry = state?.channels?.find((c) => c.id === this.booth.channel_id);
      if (entry?.carrier?.kind === "retour") {
        retour = _("The %(booth)s booth is working into your channel (retour).", { booth: entry.carrier.booth });
      }
    }
    say(this.retourStatus, retour);
    // talkback: who talks to whom
    const seats = mine?.seats || [];
    const talker = seats.find((s) => s.key === mine?.talking);
    let talk = "";
    if (talker && talker.key === you) talk = _("Talking to your booth mate: listeners do not hear you.");
    else if (talker) talk = _("%(name)s is talking to you.", { name: talker.name });
    say(this.talkbackStatus, talk);
    this.root.dataset.talking = talker ? (talker.key === you ? "me" : "mate") : "";
    this.talkbackButton.disabled = !this.session.open || seats.length < 2;
    const mateOnAir = Boolean(mine?.on_air && mine.on_air !== you);
    this.takeoverButton.disabled = !this.session.open || !mateOnAir;
    if (!mine?.handover) this.due = null;
    else if (mine.handover.due) this.due = mine.handover.due;
    this.state = state;
    this.you = you;
    this.tick();
  }

  /** The countdown and the time on air, every half second. */
  tick() {
    const mine = this.state?.booth;
    const now = Date.now() / 1000;
    say(this.countdownStatus, this.due ? _("Handover in %(seconds)s s.", { seconds: Math.max(0, Math.ceil(this.due - now)) }) : "");
    const onAir = Boolean(mine?.on_air && mine.on_air === this.you && mine.on_air_since);
    if (!onAir) {
      say(this.timer, "");
      this.timer.dataset.warning = "false";
      this.warned = false;
      return;
    }
    const elapsed = now - mine.on_air_since;
    const warn = elapsed >= (mine.warn_after ?? 1800);
    say(
      this.timer,
      warn
        ? _("On air for %(time)s: time to hand over.", { time: minutes(elapsed) })
        : _("On air for %(time)s.", { time: minutes(elapsed) }),
    );
    this.timer.dataset.warning = warn ? "true" : "false";
    if (warn && !this.warned) {
      this.warned = true;
      this.notice(_("You have been on air for %(minutes)s minutes without a handover.", { minutes: Math.floor(elapsed / 60) }));
    }
  }
}
