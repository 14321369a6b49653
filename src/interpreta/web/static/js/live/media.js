// WebRTC and WebAudio helpers shared by the live pages.
//
// No trickle ICE: each side creates its offer, waits until ICE gathering is complete,
// sends the whole SDP over the signaling socket and applies the answer. The STUN/TURN
// servers come from the session's welcome (`ice_servers`, TURN with time-limited
// credentials); where the deployment names none the list is empty (host candidates).

import { _ } from "../i18n.js";

const ICE_WAIT_MS = 2500;
const CONNECT_WAIT_MS = 4000;
const OPUS_PARAMS = {
  stereo: "0",
  "sprop-stereo": "0",
  useinbandfec: "1",
  maxaveragebitrate: "64000",
  maxplaybackrate: "48000",
};

let sharedContext = null;

/** The page's AudioContext (created on first use; resume it from a user gesture). */
export function audioContext() {
  if (sharedContext === null) {
    sharedContext = new AudioContext({ latencyHint: "interactive", sampleRate: 48000 });
  }
  if (sharedContext.state === "suspended") sharedContext.resume().catch(() => {});
  return sharedContext;
}

/** Resolve when `pc` has gathered all its candidates (or after a short wait). */
export function iceGathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, ICE_WAIT_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** A new peer connection using the session's ICE servers (fresh TURN credentials). */
export async function newPeerConnection(session) {
  return new RTCPeerConnection({ iceServers: await session.iceServers() });
}

/** Put Opus first in the transceiver's codec list, where the browser allows it. */
export function preferOpus(transceiver, kind = "receiver") {
  const Capabilities = kind === "sender" ? RTCRtpSender : RTCRtpReceiver;
  if (!transceiver.setCodecPreferences || !Capabilities.getCapabilities) return;
  const codecs = Capabilities.getCapabilities("audio")?.codecs || [];
  const opus = codecs.filter((c) => c.mimeType.toLowerCase() === "audio/opus");
  if (!opus.length) return;
  const rest = codecs.filter((c) => c.mimeType.toLowerCase() !== "audio/opus");
  try {
    transceiver.setCodecPreferences([...opus, ...rest]);
  } catch {
    /* SDP munging below still asks for Opus fullband */
  }
}

/** Opus fullband mono at 64 kbit/s with in-band FEC: set the Opus fmtp parameters. */
export function tuneOpus(sdp, params = OPUS_PARAMS) {
  const rtpmap = sdp.match(/a=rtpmap:(\d+) opus\/48000(\/2)?/i);
  if (!rtpmap) return sdp;
  const pt = rtpmap[1];
  const fmtp = new RegExp(`a=fmtp:${pt} ([^\\r\\n]*)`);
  const merge = (existing) => {
    const values = new Map();
    for (const part of existing.split(";")) {
      const [key, value] = part.split("=");
      if (key && key.trim()) values.set(key.trim(), (value ?? "").trim());
    }
    for (const [key, value] of Object.entries(params)) values.set(key, value);
    return [...values].map(([key, value]) => `${key}=${value}`).join(";");
  };
  if (fmtp.test(sdp)) return sdp.replace(fmtp, (unused, existing) => `a=fmtp:${pt} ${merge(existing)}`);
  return sdp.replace(rtpmap[0], `${rtpmap[0]}\r\na=fmtp:${pt} ${merge("")}`);
}

/**
 * Watches a peer connection: calls `onLost` once when it fails, or stays
 * disconnected for a few seconds.
 */
function watch(pc, onLost) {
  let timer = null;
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    onLost();
  };
  pc.addEventListener("connectionstatechange", () => {
    clearTimeout(timer);
    if (pc.connectionState === "failed") fire();
    else if (pc.connectionState === "disconnected") timer = setTimeout(fire, 4000);
  });
}

/** Resolve when `pc` is connected (true), or failed, closed or slow (false). */
function connected(pc, timeoutMs = CONNECT_WAIT_MS) {
  if (pc.connectionState === "connected") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (value) => {
      clearTimeout(timer);
      pc.removeEventListener("connectionstatechange", check);
      resolve(value);
    };
    const check = () => {
      if (pc.connectionState === "connected") done(true);
      else if (pc.connectionState === "failed" || pc.connectionState === "closed") done(false);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    pc.addEventListener("connectionstatechange", check);
  });
}

/**
 * What the page hears: a recvonly peer connection subscribed to one channel.
 *
 * A new subscription is made before the old one is broken: the old connection keeps
 * playing until the new one is connected (after an app node died, Janus keeps its
 * media flowing for a while), so the listener hears no gap.
 *
 * Given a `strip` (tone.js), the sound is heard through Web Audio: the strip's volume and
 * tone, then the page's limiter. The audio element still plays the stream, muted:
 * Chromium lets a remote WebRTC stream into Web Audio only while a media element plays it.
 */
export class Ear {
  /**
   * @param {HTMLAudioElement} audio the element the remote stream is attached to
   * @param {() => void} onLost called when the connection fails
   * @param {string} slot the server's subscription slot: "main"; "under", the channel a
   *   listener mixes beneath the main one (the floor under the interpretation); "lane1" to
   *   more, a floor's other talkers (floor_lanes.js)
   * @param {{attach(stream: MediaStream): void, detach(): void} | null} strip where the
   *   sound goes (volume lives there); without one, the element plays it
   */
  constructor(audio, onLost, slot = "main", strip = null) {
    this.audio = audio;
    this.onLost = onLost;
    this.slot = slot;
    this.strip = strip;
    this.pc = null;
    this.stream = null;
    this.channelId = null;
    this.probe = null;
  }

  /** Subscribe to `channelId` through `session` (a new peer connection). */
  async start(session, channelId) {
    const old = this.pc;
    const pc = await newPeerConnection(session);
    this.pc = pc;
    let stream = null;
    const transceiver = pc.addTransceiver("audio", { direction: "recvonly" });
    preferOpus(transceiver, "receiver");
    pc.addEventListener("track", (event) => {
      stream = event.streams[0] || new MediaStream([event.track]);
    });
    watch(pc, () => {
      if (pc === this.pc) this.onLost();
    });
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc);
      if (pc !== this.pc) return pc.close(); // closed or replaced while gathering: ask nothing
      const reply = await session.request({
        type: "subscribe",
        channel_id: channelId,
        slot: this.slot,
        sdp: tuneOpus(pc.localDescription.sdp),
      });
      if (pc !== this.pc) return pc.close(); // a newer subscription took over
      await pc.setRemoteDescription({ type: "answer", sdp: reply.sdp });
      await connected(pc);
    } catch (error) {
      pc.close();
      if (pc === this.pc) this.pc = old;
      throw error;
    }
    if (pc !== this.pc) return pc.close();
    if (old) old.close();
    if (this.probe) this.probe.close();
    this.channelId = channelId;
    this.stream = stream;
    this.probe = stream ? new Probe(stream) : null;
    this.audio.muted = this.strip !== null;
    this.audio.srcObject = stream;
    this.audio.play().catch(() => {});
    if (this.strip) this.strip.attach(stream);
  }

  /** Hear another channel on the same connection (no renegotiation). */
  async switchTo(session, channelId) {
    await session.request({ type: "switch", channel_id: channelId, slot: this.slot });
    this.channelId = channelId;
  }

  get connected() {
    return this.pc !== null && this.channelId !== null;
  }

  close() {
    if (this.pc) this.pc.close();
    if (this.probe) this.probe.close();
    this.pc = null;
    this.probe = null;
    this.stream = null;
    this.channelId = null;
    this.audio.srcObject = null;
    if (this.strip) this.strip.detach();
  }
}

/** getUserMedia constraints for a booth or floor microphone. */
export function microphoneConstraints(processing) {
  return {
    audio: {
      echoCancellation: processing,
      noiseSuppression: processing,
      autoGainControl: processing,
      channelCount: 1,
      sampleRate: 48000,
    },
    video: false,
  };
}

/** The page's microphone, published to the server (speaker's floor or interpreter's booth). */
export class Mic {
  /** @param {() => void} onLost called when the connection fails */
  constructor(onLost) {
    this.onLost = onLost;
    this.stream = null;
    this.pc = null;
    this.probe = null;
    this.published = false;
  }

  /** Open the microphone (again, with these settings). */
  async open(processing) {
    const stream = await navigator.mediaDevices.getUserMedia(microphoneConstraints(processing));
    this.release();
    this.stream = stream;
    this.probe = new Probe(stream);
  }

  /**
   * Publish the open microphone through `session` (a new peer connection); `type` is the
   * request that carries the offer ("soundcheck.start" sends it to a sound check).
   */
  async publish(session, type = "publish") {
    if (!this.stream) throw new Error(_("Open the microphone first."));
    // The old connection keeps sending until the new one is connected: the server
    // moves the channel to the new microphone when it answers, so nothing is lost.
    const old = this.pc;
    const pc = await newPeerConnection(session);
    this.pc = pc;
    const [track] = this.stream.getAudioTracks();
    const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] });
    preferOpus(transceiver, "sender");
    watch(pc, () => {
      if (pc === this.pc) this.onLost();
    });
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription({ type: "offer", sdp: tuneOpus(offer.sdp) });
      await iceGathered(pc);
      const reply = await session.request({ type, sdp: pc.localDescription.sdp });
      if (pc !== this.pc) return pc.close(); // a newer publish took over
      // The answer's fmtp tells this browser how to encode: mono, fullband, 64 kbit/s.
      await pc.setRemoteDescription({ type: "answer", sdp: tuneOpus(reply.sdp) });
      await connected(pc);
    } catch (error) {
      pc.close();
      if (pc === this.pc) this.pc = old;
      throw error;
    } finally {
      if (pc === this.pc && old) old.close();
    }
    if (pc === this.pc) this.published = true;
  }

  /** Close the connection (the microphone stays open). */
  unpublish() {
    if (this.pc) this.pc.close();
    this.pc = null;
    this.published = false;
  }

  /** Close everything, microphone included. */
  release() {
    this.unpublish();
    if (this.probe) this.probe.close();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.probe = null;
  }
}

/** Analyses a stream with WebAudio: level for meters, dominant frequency for tests. */
export class Probe {
  constructor(stream) {
    const context = audioContext();
    this.source = context.createMediaStreamSource(stream);
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 8192;
    this.analyser.smoothingTimeConstant = 0;
    this.source.connect(this.analyser);
    this.samples = new Float32Array(this.analyser.fftSize);
    this.spectrum = new Float32Array(this.analyser.frequencyBinCount);
  }

  /** Peak-based level, 0..1 on a dB scale (-60 dBFS → 0, 0 dBFS → 1). */
  level() {
    this.analyser.getFloatTimeDomainData(this.samples);
    let peak = 0;
    for (const value of this.samples) peak = Math.max(peak, Math.abs(value));
    if (peak <= 0) return 0;
    const db = 20 * Math.log10(peak);
    return Math.max(0, Math.min(1, (db + 60) / 60));
  }

  /** The loudest frequency in Hz, or null when it is (nearly) silent. */
  dominantFrequency() {
    this.analyser.getFloatFrequencyData(this.spectrum);
    let best = 1;
    for (let i = 2; i < this.spectrum.length; i++) {
      if (this.spectrum[i] > this.spectrum[best]) best = i;
    }
    if (!(this.spectrum[best] > -70)) return null;
    const binHz = this.analyser.context.sampleRate / this.analyser.fftSize;
    const [a, b, c] = [this.spectrum[best - 1], this.spectrum[best], this.spectrum[best + 1]];
    const shift = Number.isFinite(a + c) && a - 2 * b + c !== 0 ? (0.5 * (a - c)) / (a - 2 * b + c) : 0;
    return Math.round((best + shift) * binHz);
  }

  close() {
    try {
      this.source.disconnect();
    } catch {
      /* already disconnected */
    }
  }
}

/** Draw `probe`'s level into a meter element (a bar with `--level`) ten times a second. */
export function runMeter(element, getProbe) {
  const bar = element.querySelector(".meter-bar") || element;
  return setInterval(() => {
    const probe = getProbe();
    const value = probe ? probe.level() : 0;
    bar.style.setProperty("--level", value.toFixed(3));
    element.dataset.active = value > 0.15 ? "true" : "false";
  }, 100);
}
