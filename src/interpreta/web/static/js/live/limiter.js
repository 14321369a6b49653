// Hearing protection: everything the page plays goes through one brick-wall limiter
// before the speakers, so no sample ever exceeds −3 dBFS, however loud a sound arrives
// (a dropped microphone, feedback, a burst of noise: acoustic shock).
//
// The sources (tone.js strips) connect to `limiter.input`; it feeds the limiter worklet
// (limiter-worklet.js: 5 ms look-ahead, 100 ms release), and only the worklet reaches the
// AudioContext's destination. Where the browser has no AudioWorklet (an insecure
// context), a hard clipper at the ceiling stands in. The switch turns it off and on; the
// choice is kept on the device once preferences are allowed (../storage.js). Nothing is
// made before the page's first use of sound (the AudioContext needs a user gesture).

import { audioContext } from "./media.js";
import { remembered } from "../storage.js";

export const CEILING_DB = -3;
export const CEILING = 10 ** (CEILING_DB / 20);
export const LOOKAHEAD_MS = 5;
export const RELEASE_MS = 100;
export const PROCESSOR = "brickwall-limiter";
export const WORKLET_URL = new URL("./limiter-worklet.js", import.meta.url).href;
const storageKey = "interpreta.limiter";

/** A WaveShaper curve that clips at the ceiling (the stand-in without AudioWorklet). */
function clipCurve(points = 4097) {
  const curve = new Float32Array(points);
  for (let i = 0; i < points; i++) {
    const x = (2 * i) / (points - 1) - 1;
    curve[i] = Math.max(-CEILING, Math.min(CEILING, x));
  }
  return curve;
}

class Limiter {
  constructor() {
    this.enabled = remembered.get(storageKey) !== "false";
    this.bus = null; // where the sources join
    this.node = null; // the worklet, or the clipper
    this.mode = "idle"; // "loading", "worklet", "clipper"
    this.ready = Promise.resolve();
    this.epoch = 0;
    this.peaks = { inputPeak: 0, outputPeak: 0, gain: 1, clipped: 0 };
    this.switches = [];
  }

  /** The node every source connects to (made on first use). */
  get input() {
    if (this.bus === null) this.build();
    return this.bus;
  }

  /** Make the limiter now (call it from the gesture that starts the sound). */
  prepare() {
    if (this.bus === null) this.build();
    return this.ready;
  }

  build() {
    const context = audioContext();
    this.bus = context.createGain();
    this.mode = "loading";
    // nothing reaches the speakers before the worklet stands between them and the bus
    this.ready = Promise.resolve()
      .then(() => context.audioWorklet.addModule(WORKLET_URL))
      .then(() => {
        const node = new AudioWorkletNode(context, PROCESSOR, {
          numberOfInputs: 1,
          numberOfOutputs: 1,
          processorOptions: {
            ceiling: CEILING,
            lookaheadMs: LOOKAHEAD_MS,
            releaseMs: RELEASE_MS,
            enabled: this.enabled,
          },
        });
        node.port.onmessage = (event) => this.heard(event.data);
        this.node = node;
        this.mode = "worklet";
        this.bus.connect(node).connect(context.destination);
      })
      .catch(() => {
        const clipper = context.createWaveShaper();
        clipper.curve = clipCurve();
        this.node = clipper;
        this.mode = "clipper";
        this.wire();
      });
  }

  /** The clipper's wiring: through it when on, around it when off. */
  wire() {
    if (this.mode !== "clipper") return;
    const destination = this.bus.context.destination;
    this.bus.disconnect();
    this.node.disconnect();
    if (this.enabled) this.bus.connect(this.node).connect(destination);
    else this.bus.connect(destination);
  }

  heard(report) {
    if (report && report.epoch === this.epoch) this.peaks = report;
  }

  /** Switch it on or off (kept on the device). */
  setEnabled(on) {
    this.enabled = Boolean(on);
    remembered.set(storageKey, String(this.enabled));
    if (this.mode === "worklet") this.node.port.postMessage({ enabled: this.enabled });
    this.wire();
    for (const box of this.switches) box.checked = this.enabled;
  }

  /** Measure the peaks afresh from now on. */
  resetPeaks() {
    this.epoch += 1;
    this.peaks = { inputPeak: 0, outputPeak: 0, gain: 1, clipped: 0 };
    if (this.mode === "worklet") this.node.port.postMessage({ reset: this.epoch });
  }

  /** A checkbox that shows and sets the switch. */
  bindSwitch(checkbox) {
    if (!checkbox) return;
    this.switches.push(checkbox);
    checkbox.checked = this.enabled;
    checkbox.addEventListener("change", () => this.setEnabled(checkbox.checked));
  }

  /** For tests and diagnostics: the switch, the mode and the peaks since the last reset. */
  get snapshot() {
    return {
      on: this.enabled,
      mode: this.mode,
      ceiling: CEILING,
      inputPeak: this.peaks.inputPeak,
      outputPeak: this.peaks.outputPeak,
      gain: this.peaks.gain,
      clipped: this.peaks.clipped,
      measuredOn: this.peaks.enabled ?? null,
    };
  }
}

/** The page's one limiter. */
export const limiter = new Limiter();
