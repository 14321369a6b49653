// Video on the live pages: the stage (active speaker, or a shared screen), a gallery,
// a pinned picture (the sign-language interpreter), the booth mate, and sending a
// camera or a screen.
//
// Each picture the page shows is a *slot* on the server: its own recvonly peer
// connection watching one feed. When the active speaker changes, the slot is moved to
// the new feed with `video.show` (no renegotiation). Video travels on connections of its
// own, so switching the audio language never touches it. The panel reconciles what it
// shows with each state the server sends (`state.video`: feeds, the stage, what it
// watches); the layout and the pinned feed are kept on the device.
//
// Simulcast: where the media plane takes it (`state.video.simulcast`, Janus), a camera is
// sent three times, at a quarter, half and the full size (`SIMULCAST`), and each slot
// asks for the size it shows (`layerOf`): the stage and a pinned picture the full one,
// gallery tiles the smallest. A shared screen is sent once, at its own size: it is read
// on the stage, where the full size is wanted anyway.
//
// Lip sync: the sound and the picture travel on separate connections, so the browser
// does not align them. Given the connection the page hears (`soundOf`), the panel holds
// the stage picture back by as much longer as the sound waits in its jitter buffer
// (`RTCRtpReceiver.jitterBufferTarget`), measured again every second.

import { _ } from "../i18n.js";
import { iceGathered, newPeerConnection } from "./media.js";
import { remembered } from "../storage.js";

const layoutKey = "interpreta.video.layout";
const SYNC_EVERY_MS = 1000;
const GALLERY_MAX = 16; // pictures in the gallery (the server allows 25 slots in all)
const MAX_HOLD_MS = 400;
const LAYOUTS = ["speaker", "gallery", "off"];

/** getUserMedia constraints for a camera: 720p at 30 frames a second where it can. */
export const CAMERA = { audio: false, video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } };

/** The encodings of a simulcast camera, from the smallest picture up (the order the media
 *  plane expects its `rid`s in): 320x180, 640x360 and 1280x720 of a 720p camera. */
export const SIMULCAST = [
  { rid: "l", scaleResolutionDownBy: 4 },
  { rid: "m", scaleResolutionDownBy: 2 },
  { rid: "h", scaleResolutionDownBy: 1 },
];

/** The simulcast layer a slot asks for: the stage and a pinned picture the largest, the
 *  speaker beside a shared screen and the booth mate the middle one, gallery tiles the
 *  smallest. */
export function layerOf(slot) {
  if (slot === "stage" || slot === "pin") return "high";
  if (slot === "speaker" || slot === "mate") return "medium";
  return "low";
}

function tile(slot) {
  const figure = document.createElement("figure");
  figure.className = "video-tile";
  figure.dataset.slot = slot;
  const video = document.createElement("video");
  video.autoplay = true;
  video.muted = true; // the sound comes from the audio channel the listener chose
  video.playsInline = true;
  const caption = document.createElement("figcaption");
  figure.append(video, caption);
  return figure;
}

const lastBuffer = new WeakMap(); // peer connection → its last jitter buffer counters

/** Milliseconds a connection's `kind` track waited in its jitter buffer lately, or null. */
async function bufferDelay(pc, kind) {
  const stats = await pc.getStats();
  for (const report of stats.values()) {
    if (report.type !== "inbound-rtp" || report.kind !== kind || !report.jitterBufferEmittedCount) continue;
    const last = lastBuffer.get(pc) || { delay: 0, count: 0 };
    lastBuffer.set(pc, { delay: report.jitterBufferDelay, count: report.jitterBufferEmittedCount });
    const count = report.jitterBufferEmittedCount - last.count;
    if (count <= 0) return null;
    return ((report.jitterBufferDelay - last.delay) / count) * 1000;
  }
  return null;
}

/** One picture: a recvonly connection watching a feed in a slot. */
class Viewer {
  constructor(slot) {
    this.slot = slot;
    this.feed = null;
    this.pc = null;
    this.element = tile(slot);
    this.video = this.element.querySelector("video");
  }

  async start(session, feed) {
    const simulcast = Boolean(session.state?.video?.simulcast);
    const pc = await newPeerConnection(session);
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addEventListener("track", (event) => {
      this.video.srcObject = event.streams[0] || new MediaStream([event.track]);
      this.video.play().catch(() => {});
    });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const request = { type: "video.watch", slot: this.slot, feed, sdp: pc.localDescription.sdp };
    if (simulcast) request.layer = layerOf(this.slot);
    const reply = await session.request(request);
    if (this.pc !== pc) return;
    await pc.setRemoteDescription({ type: "answer", sdp: reply.sdp });
    this.feed = feed;
  }

  async show(session, feed) {
    await session.request({ type: "video.show", slot: this.slot, feed });
    this.feed = feed;
  }

  close(session) {
    if (this.pc) this.pc.close();
    this.pc = null;
    this.element.remove();
    if (session.open) session.request({ type: "video.unwatch", slot: this.slot }).catch(() => {});
  }
}

/** A feed this page sends: a camera, a screen, a booth or sign-language camera. */
class Sender {
  constructor(kind, onEnded) {
    this.kind = kind;
    this.onEnded = onEnded;
    this.stream = null;
    this.pc = null;
    this.stopped = false;
  }

  /** Capture and send; stopped meanwhile (the button pressed again), it sends nothing. */
  async start(session) {
    const stream =
      this.kind === "screen"
        ? await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false })
        : await navigator.mediaDevices.getUserMedia(CAMERA);
    this.stream = stream;
    if (this.stopped) return this.stop();
    const [track] = stream.getVideoTracks();
    track.addEventListener("ended", () => this.onEnded(this));
    try {
      const pc = await newPeerConnection(session);
      this.pc = pc;
      const init = { direction: "sendonly", streams: [stream] };
      if (session.state?.video?.simulcast && this.kind !== "screen") init.sendEncodings = SIMULCAST;
      pc.addTransceiver(track, init);
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc);
      if (this.stopped) return this.stop();
      const reply = await session.request({ type: "video.send", kind: this.kind, sdp: pc.localDescription.sdp });
      if (this.stopped) return this.stop(session);
      await pc.setRemoteDescription({ type: "answer", sdp: reply.sdp });
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  stop(session) {
    this.stopped = true;
    if (this.pc) this.pc.close();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.pc = null;
    this.stream = null;
    if (session?.open) session.request({ type: "video.stop", kind: this.kind }).catch(() => {});
  }
}

/**
 * The page's video panel (the `_video.html` markup): fills itself from the session's
 * states. `sends` lists the feed kinds the page offers buttons for (each shown only
 * while the server's view allows it, see `maySend`).
 */
export class VideoPanel {
  constructor(session, { sends = [], maySend = () => true, soundOf = null } = {}) {
    this.session = session;
    this.soundOf = soundOf;
    this.root = document.getElementById("video");
    this.maySend = maySend;
    this.viewers = new Map(); // slot → Viewer
    this.senders = new Map(); // kind → Sender
    this.gallerySlots = new Map(); // feed → slot
    this.nextSlot = 1;
    this.busy = null;
    this.again = false;
    if (!this.root) return;
    this.wall = document.getElementById("video-wall");
    this.status = document.getElementById("video-status");
    this.layoutSelect = document.getElementById("video-layout");
    this.pinSelect = document.getElementById("video-pin");
    this.preview = document.getElementById("video-preview");
    const stored = remembered.get(layoutKey);
    this.layout = LAYOUTS.includes(stored) ? stored : "speaker";
    this.layoutSelect.value = this.layout;
    this.layoutSelect.addEventListener("change", () => {
      this.layout = this.layoutSelect.value;
      remembered.set(layoutKey, this.layout);
      this.refresh();
    });
    this.pinned = "";
    this.pinSelect.addEventListener("change", () => {
      this.pinned = this.pinSelect.value;
      this.refresh();
    });
    if (soundOf) setInterval(() => this.syncLips().catch(() => {}), SYNC_EVERY_MS);
    this.buttons = new Map();
    for (const button of this.root.querySelectorAll("[data-send]")) {
      if (sends.includes(button.dataset.send)) this.buttons.set(button.dataset.send, button);
      button.addEventListener("click", () => this.toggleSending(button.dataset.send));
    }
  }

  /** Take a message from the session; true when it was the panel's. */
  handle(message) {
    if (!this.root) return false;
    if (message.type === "state") {
      this.refresh();
      return false;
    }
    if (message.type === "media.lost" && message.what === "view") {
      const viewer = this.viewers.get(message.slot);
      if (viewer) {
        const pc = viewer.pc;
        viewer.pc = null; // a start still under way sees it is no longer wanted
        pc?.close();
        viewer.element.remove();
        this.viewers.delete(message.slot);
      }
      this.refresh();
      return true;
    }
    if (message.type === "media.lost" && message.what === "video") {
      this.senders.get(message.kind)?.stop();
      this.senders.delete(message.kind);
      this.say(_("Your video connection dropped."));
      this.refresh();
      return true;
    }
    return false;
  }

  /** The connection dropped: every picture and every sent feed goes with it. */
  offline() {
    if (!this.root) return;
    for (const viewer of this.viewers.values()) viewer.close(this.session);
    this.viewers.clear();
    for (const sender of this.senders.values()) sender.stop();
    this.senders.clear();
    this.refresh();
  }

  say(text) {
    if (this.status && this.status.textContent !== text) this.status.textContent = text;
  }

  /** The feed each slot should show now: slot → feed. */
  wanted(video) {
    const wanted = new Map();
    const others = video.feeds.filter((f) => !f.mine);
    const byId = new Map(others.map((f) => [f.id, f]));
    const mate = others.find((f) => f.kind === "booth");
    if (mate) wanted.set("mate", mate.id);
    if (this.layout === "off") return wanted;
    if (this.layout === "gallery") {
      for (const id of [...this.gallerySlots.keys()]) {
        if (!byId.has(id)) this.gallerySlots.delete(id); // the feed stopped
      }
      for (const feed of others.filter((f) => f.kind !== "booth").slice(0, GALLERY_MAX)) {
        if (!this.gallerySlots.has(feed.id)) this.gallerySlots.set(feed.id, `g${this.nextSlot++}`);
        wanted.set(this.gallerySlots.get(feed.id), feed.id);
      }
      return wanted;
    }
    const screen = others.find((f) => f.kind === "screen");
    const stage = byId.get(video.stage);
    if (screen) wanted.set("stage", screen.id);
    if (stage) wanted.set(screen ? "speaker" : "stage", stage.id);
    if (this.pinned && byId.has(this.pinned)) wanted.set("pin", this.pinned);
    return wanted;
  }

  /** Bring what the page shows in line with the latest state (one change at a time; a
   *  pass that a newer state or layout overtakes stops at its next picture and the next
   *  pass starts from the newer one, so a slow connection never holds a stale layout). */
  refresh() {
    if (!this.root) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.reconcile()
      .catch((error) => this.say(_("Video failed: %(error)s", { error: error.message })))
      .finally(() => {
        this.busy = null;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  async reconcile() {
    const state = this.session.state;
    const video = state?.video;
    const open = this.session.open && video && !state?.you?.waiting;
    this.root.hidden = !open;
    this.renderButtons(open);
    if (!open) return;
    this.renderPins(video);
    const wanted = this.wanted(video);
    for (const [slot, viewer] of [...this.viewers]) {
      if (!wanted.has(slot)) {
        viewer.close(this.session);
        this.viewers.delete(slot);
      }
    }
    for (const [slot, feed] of wanted) {
      if (this.again) return; // a newer state or layout came meanwhile: work from that
      let viewer = this.viewers.get(slot);
      if (viewer && viewer.feed === feed) continue;
      if (viewer && viewer.feed) {
        await viewer.show(this.session, feed);
      } else {
        viewer = new Viewer(slot);
        this.viewers.set(slot, viewer);
        this.wall.append(viewer.element);
        try {
          await viewer.start(this.session, feed);
        } catch (error) {
          viewer.close(this.session);
          this.viewers.delete(slot);
          throw error;
        }
      }
    }
    const names = new Map(video.feeds.map((f) => [f.id, f]));
    for (const viewer of this.viewers.values()) {
      const feed = names.get(viewer.feed);
      const caption = viewer.element.querySelector("figcaption");
      const label = feed ? this.label(feed) : "";
      if (caption.textContent !== label) caption.textContent = label;
      viewer.video.setAttribute("aria-label", label);
      viewer.element.dataset.kind = feed?.kind || "";
    }
    this.wall.dataset.layout = this.layout;
    this.say(wanted.size || this.senders.size ? "" : _("Nobody is sending video."));
  }

  label(feed) {
    switch (feed.kind) {
      case "screen":
        return _("%(name)s's screen", { name: feed.name });
      case "sign":
        return _("Sign language: %(name)s", { name: feed.name });
      case "booth":
        return _("Booth mate: %(name)s", { name: feed.name });
      default:
        return feed.name || _("Camera");
    }
  }

  renderPins(video) {
    const options = [["", _("Nobody")]];
    for (const feed of video.feeds) {
      if (!feed.mine && feed.kind !== "booth") options.push([feed.id, this.label(feed)]);
    }
    if (this.pinned && !options.some(([id]) => id === this.pinned)) this.pinned = "";
    const signature = JSON.stringify(options);
    if (this.pinSelect.dataset.signature !== signature) {
      this.pinSelect.replaceChildren(...options.map(([id, label]) => new Option(label, id)));
      this.pinSelect.dataset.signature = signature;
    }
    this.pinSelect.value = this.pinned;
  }

  renderButtons(open) {
    for (const [kind, button] of this.buttons) {
      const allowed = open && this.maySend(kind, this.session.state);
      if (!allowed && this.senders.has(kind)) this.stopSending(kind);
      button.hidden = !allowed;
      const on = this.senders.has(kind);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    }
    if (this.preview) {
      const local = this.senders.get("camera") || this.senders.get("booth") || this.senders.get("sign");
      const stream = local?.stream || null;
      if (this.preview.srcObject !== stream) this.preview.srcObject = stream;
      this.preview.hidden = stream === null;
    }
  }

  async toggleSending(kind) {
    if (this.senders.has(kind)) {
      this.stopSending(kind);
      return;
    }
    const sender = new Sender(kind, () => this.stopSending(kind));
    this.senders.set(kind, sender);
    this.refresh();
    try {
      await sender.start(this.session);
    } catch (error) {
      this.senders.delete(kind);
      this.say(_("Video failed: %(error)s", { error: error.message }));
    }
    this.refresh();
  }

  stopSending(kind) {
    const sender = this.senders.get(kind);
    if (!sender) return;
    this.senders.delete(kind);
    sender.stop(this.session);
    this.refresh();
  }

  /** Hold the stage picture back as long as the sound waits longer than it (lip sync). */
  async syncLips() {
    const sound = this.soundOf?.();
    const viewer = this.viewers.get("speaker") || this.viewers.get("stage");
    const receiver = viewer?.pc?.getReceivers()[0];
    if (!sound || !receiver || !("jitterBufferTarget" in receiver)) return;
    const [audio, video] = await Promise.all([bufferDelay(sound, "audio"), bufferDelay(viewer.pc, "video")]);
    if (audio === null || video === null) return;
    const held = receiver.jitterBufferTarget || 0;
    const target = Math.round(Math.max(0, Math.min(MAX_HOLD_MS, held + audio - video)));
    if (Math.abs(target - held) >= 5) receiver.jitterBufferTarget = target;
    viewer.held = target;
  }

  /** For tests and diagnostics: what each slot shows, and what is sent. */
  get snapshot() {
    const shown = {};
    for (const [slot, viewer] of this.viewers) {
      shown[slot] = {
        feed: viewer.feed,
        width: viewer.video.videoWidth,
        frames: viewer.video.getVideoPlaybackQuality?.().totalVideoFrames ?? 0,
        held: viewer.held ?? 0,
      };
    }
    return { layout: this.layout, shown, sending: [...this.senders.keys()] };
  }
}
