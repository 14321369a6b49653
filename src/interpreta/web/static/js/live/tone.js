// One source's way to the speakers: its remote stream → volume → bass → treble → the
// page's limiter (limiter.js).
//
// Bass is a low shelf at 250 Hz, treble a high shelf at 4 kHz, each ±12 dB; at 0 dB they
// leave the sound as it is. An Ear (media.js) attaches each new stream it receives; the
// strip, and its settings, outlive the streams (reconnects, a new subscription). The
// nodes are made on the first stream, inside the page's AudioContext.

import { audioContext } from "./media.js";
import { limiter } from "./limiter.js";

export const BASS_HZ = 250;
export const TREBLE_HZ = 4000;
export const TONE_RANGE_DB = 12;
const SMOOTHING_S = 0.015; // a moved slider glides, it does not click

const clamp = (value, low, high, otherwise) => {
  const number = Number(value);
  return Number.isFinite(number) ? Math.min(high, Math.max(low, number)) : otherwise;
};

/** Volume (0..1), bass and treble (dB), kept within their ranges. */
export function toneSettings(given = {}) {
  return {
    volume: clamp(given.volume, 0, 1, 1),
    bass: clamp(given.bass, -TONE_RANGE_DB, TONE_RANGE_DB, 0),
    treble: clamp(given.treble, -TONE_RANGE_DB, TONE_RANGE_DB, 0),
  };
}

export class Strip {
  constructor(settings = {}) {
    this.settings = toneSettings(settings);
    this.nodes = null;
    this.source = null;
  }

  build() {
    const context = audioContext();
    const volume = context.createGain();
    const bass = context.createBiquadFilter();
    bass.type = "lowshelf";
    bass.frequency.value = BASS_HZ;
    const treble = context.createBiquadFilter();
    treble.type = "highshelf";
    treble.frequency.value = TREBLE_HZ;
    volume.connect(bass).connect(treble).connect(limiter.input);
    this.nodes = { volume, bass, treble };
    this.apply(true);
  }

  /** Play `stream` through the strip (in place of the one before). */
  attach(stream) {
    if (this.nodes === null) this.build();
    const old = this.source;
    this.source = stream ? audioContext().createMediaStreamSource(stream) : null;
    if (this.source) this.source.connect(this.nodes.volume);
    if (old) old.disconnect();
  }

  detach() {
    if (this.source) this.source.disconnect();
    this.source = null;
  }

  /** Change some of volume, bass and treble. */
  set(changes) {
    this.settings = toneSettings({ ...this.settings, ...changes });
    this.apply();
  }

  get volume() {
    return this.settings.volume;
  }

  set volume(value) {
    this.set({ volume: value });
  }

  apply(now = false) {
    if (this.nodes === null) return;
    const { volume, bass, treble } = this.nodes;
    const time = volume.context.currentTime;
    const targets = [
      [volume.gain, this.settings.volume],
      [bass.gain, this.settings.bass],
      [treble.gain, this.settings.treble],
    ];
    for (const [param, value] of targets) {
      if (now) param.setValueAtTime(value, time);
      else param.setTargetAtTime(value, time, SMOOTHING_S);
    }
  }
}
