// The brick-wall limiter, as an AudioWorklet processor (loaded by limiter.js).
//
// No sample it sends out exceeds the ceiling (−3 dBFS by default). The sound is delayed
// by the look-ahead (A samples, 5 ms); the gain each sample needs (ceiling / |sample|,
// 1 when it is below) is known A samples before it leaves, and:
//
// 1. hold: the smallest gain needed over the last A + 1 samples (a sliding minimum);
// 2. release: that hold, rising back towards 1 no faster than an exponential (~100 ms),
//    falling at once;
// 3. attack: the average of the last A values of (2), a linear ramp over the look-ahead.
//
// A sample k leaves at k + A with the average of (2) at k + 1 … k + A; each of these
// holds covers k, so each is at most the gain k needs, and so is their average: the
// gain is down before the peak leaves the delay line. (A hard clip at the ceiling after
// it only catches floating-point rounding.) The channels share one gain, so the stereo
// image stays put.
//
// Switched off, the sound goes through with the same delay and no gain (the gains are
// still followed, so switching on again is safe at once). The processor measures the
// peaks of what came in and of what went out, and posts them (since the last reset) on
// its port about 20 times a second: {epoch, inputPeak, outputPeak, gain (the lowest
// since the last report), enabled, clipped (samples the hard clip had to catch: 0)}.

const NAME = "brickwall-limiter";

class BrickwallLimiter extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const given = options?.processorOptions || {};
    this.ceiling = given.ceiling ?? Math.pow(10, -3 / 20);
    this.enabled = given.enabled ?? true;
    const lookahead = Math.max(1, Math.round(((given.lookaheadMs ?? 5) / 1000) * sampleRate));
    this.lookahead = lookahead;
    this.release = Math.exp(-1 / (((given.releaseMs ?? 100) / 1000) * sampleRate));
    // the delay line, one per channel (made when the channels are known)
    this.delay = [];
    this.position = 0; // where the next sample goes in the delay line (and the average)
    // the sliding minimum of the needed gain over the last A + 1 samples: a monotonic
    // queue of (value, index) in a ring of A + 2 places
    this.queueValues = new Float64Array(lookahead + 2);
    this.queueIndex = new Float64Array(lookahead + 2);
    this.queueHead = 0;
    this.queueLength = 0;
    this.sample = 0; // samples seen
    this.released = 1; // (2): the hold with its release
    // (3): the last A released values and their sum
    this.ramp = new Float64Array(lookahead).fill(1);
    this.rampSum = lookahead;
    this.gain = 1;
    this.lowestGain = 1;
    this.inputPeak = 0;
    this.outputPeak = 0;
    this.clipped = 0; // samples the gain left above the ceiling (the hard clip caught them)
    this.epoch = 0;
    this.reportEvery = Math.round(sampleRate / 20);
    this.sinceReport = 0;
    this.port.onmessage = (event) => {
      const message = event.data || {};
      if (typeof message.enabled === "boolean") this.enabled = message.enabled;
      if (typeof message.reset === "number") {
        this.epoch = message.reset;
        this.inputPeak = 0;
        this.outputPeak = 0;
        this.lowestGain = 1;
        this.clipped = 0;
        this.sinceReport = this.reportEvery; // report at the next block
      }
    };
  }

  /** Push the needed gain of the newest sample; the smallest over the last A + 1. */
  hold(needed) {
    const size = this.queueValues.length;
    const index = this.sample;
    // drop from the back what is not smaller than the new value: it can never be the minimum
    while (this.queueLength > 0) {
      const back = (this.queueHead + this.queueLength - 1) % size;
      if (this.queueValues[back] < needed) break;
      this.queueLength--;
    }
    const slot = (this.queueHead + this.queueLength) % size;
    this.queueValues[slot] = needed;
    this.queueIndex[slot] = index;
    this.queueLength++;
    // drop from the front what has left the window [index − A, index]
    while (this.queueIndex[this.queueHead] < index - this.lookahead) {
      this.queueHead = (this.queueHead + 1) % size;
      this.queueLength--;
    }
    return this.queueValues[this.queueHead];
  }

  process(inputs, outputs) {
    const input = inputs[0] || [];
    const output = outputs[0] || [];
    const channels = output.length;
    while (this.delay.length < channels) this.delay.push(new Float32Array(this.lookahead));
    const frames = output.length ? output[0].length : 128;
    const ceiling = this.ceiling;
    const A = this.lookahead;
    for (let i = 0; i < frames; i++) {
      // the loudest channel of the newest sample
      let peak = 0;
      for (let c = 0; c < input.length; c++) {
        const value = Math.abs(input[c][i]);
        if (value > peak) peak = value;
      }
      if (peak > this.inputPeak) this.inputPeak = peak;
      const needed = peak > ceiling ? ceiling / peak : 1;
      const held = this.hold(needed);
      this.sample++;
      // release: fall at once, rise back exponentially, never above the hold
      const rising = held - (held - this.released) * this.release;
      this.released = held < this.released ? held : Math.min(held, rising);
      // attack: the average of the last A released values
      const p = this.position;
      this.rampSum += this.released - this.ramp[p];
      this.ramp[p] = this.released;
      let gain = this.rampSum / A;
      if (gain > 1) gain = 1;
      this.gain = gain;
      if (gain < this.lowestGain) this.lowestGain = gain;
      const applied = this.enabled ? gain : 1;
      for (let c = 0; c < channels; c++) {
        const line = this.delay[c];
        const leaving = line[p];
        line[p] = c < input.length ? input[c][i] : 0;
        let value = leaving * applied;
        if (this.enabled && (value > ceiling || value < -ceiling)) {
          if (Math.abs(value) > ceiling * (1 + 1e-6)) this.clipped++; // the gain fell short
          value = value > 0 ? ceiling : -ceiling;
        }
        output[c][i] = value;
        const size = Math.abs(output[c][i]); // as it went out, in 32 bits
        if (size > this.outputPeak) this.outputPeak = size;
      }
      this.position = p + 1 === A ? 0 : p + 1;
      if (this.position === 0) {
        // sum the ramp again now and then: a running sum drifts
        let sum = 0;
        for (let k = 0; k < A; k++) sum += this.ramp[k];
        this.rampSum = sum;
      }
    }
    this.sinceReport += frames;
    if (this.sinceReport >= this.reportEvery) {
      this.sinceReport = 0;
      this.port.postMessage({
        epoch: this.epoch,
        inputPeak: this.inputPeak,
        outputPeak: this.outputPeak,
        gain: this.lowestGain,
        enabled: this.enabled,
        clipped: this.clipped,
      });
      this.lowestGain = this.gain;
    }
    return true;
  }
}

registerProcessor(NAME, BrickwallLimiter);
