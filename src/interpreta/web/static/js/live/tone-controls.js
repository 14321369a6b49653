// The console's controls of what the interpreter hears (templates/_tone.html): volume,
// bass and treble, for each source on its own (the floor, each relay channel), kept on
// the device once preferences are allowed (../storage.js; one entry per event and channel).

import { _ } from "../i18n.js";
import { say } from "./common.js";
import { toneSettings } from "./tone.js";
import { remembered } from "../storage.js";

const $ = (id) => document.getElementById(id);

const percent = (value) => `${Math.round(value * 100)} %`;
const decibels = (value) => `${value > 0 ? "+" : value < 0 ? "\u2212" : ""}${Math.abs(value)} dB`;

export class ToneControls {
  /**
   * @param {import("./tone.js").Strip} strip the source's strip the controls shape
   * @param {string} keyPrefix where the settings are kept: `${keyPrefix}.${source}`
   */
  constructor(strip, keyPrefix) {
    this.strip = strip;
    this.keyPrefix = keyPrefix;
    this.source = null;
    this.hint = $("tone-for");
    this.sliders = {
      volume: [$("incoming-volume"), $("incoming-volume-value"), percent],
      bass: [$("incoming-bass"), $("incoming-bass-value"), decibels],
      treble: [$("incoming-treble"), $("incoming-treble-value"), decibels],
    };
    for (const [name, [slider]] of Object.entries(this.sliders)) {
      slider.addEventListener("input", () => this.change({ [name]: Number(slider.value) }));
    }
    $("tone-reset").addEventListener("click", () => this.change({ bass: 0, treble: 0 }));
  }

  key(source) {
    return `${this.keyPrefix}.${source}`;
  }

  /** Show and apply the settings kept for `source` (a channel id), named `label`. */
  use(source, label) {
    if (source !== this.source) {
      this.source = source;
      let kept = {};
      try {
        kept = JSON.parse(remembered.get(this.key(source)) || "{}");
      } catch {
        /* unreadable: the defaults */
      }
      this.strip.set(toneSettings(kept));
      this.render();
    }
    say(this.hint, _("Volume, bass and treble for %(source)s, kept on this device for each channel you hear.", { source: label }));
  }

  change(changes) {
    this.strip.set(changes);
    if (this.source !== null) remembered.set(this.key(this.source), JSON.stringify(this.strip.settings));
    this.render();
  }

  render() {
    for (const [name, [slider, output, format]] of Object.entries(this.sliders)) {
      const value = this.strip.settings[name];
      if (Number(slider.value) !== value) slider.value = String(value);
      const shown = format(value);
      say(output, shown);
      slider.setAttribute("aria-valuetext", shown);
    }
  }

  /** For tests and diagnostics: the source and its settings. */
  get snapshot() {
    return { source: this.source, ...this.strip.settings };
  }
}
