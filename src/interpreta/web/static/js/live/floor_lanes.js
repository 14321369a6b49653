// The other talkers on a floor.
//
// A floor forwards its latest talker. In a meeting, or on a panel, several people talk at
// once: the server carries the others on the floor's *lanes* (three), each a channel of
// its own (slots "lane1"...), forwarded as they came, never mixed on the server. While the page hears a floor it subscribes to each lane that carries someone
// (the view's channel entry says which: `lanes`), on a connection and a strip of its own,
// all ending in the page's limiter; a lane that falls quiet is let go after a while, as
// talkers often come back. The page's own microphone, wherever the floor or a lane
// carries it (the view's `you.heard_in`), is not played back to the talker.

import { Ear } from "./media.js";
import { Strip } from "./tone.js";

/** How long an idle lane's connection is kept (talkers come back), in milliseconds. */
const KEEP_IDLE_MS = 30000;

/** How long after a lost lane connection the page tries again, in milliseconds. */
const RETRY_MS = 1000;

/** One lane as the page hears it: its slot, a hidden audio element, a strip, an ear. */
class Lane {
  constructor(number, onLost) {
    this.slot = `lane${number}`;
    this.audio = document.createElement("audio");
    this.audio.hidden = true;
    document.body.append(this.audio);
    this.strip = new Strip();
    this.ear = new Ear(this.audio, onLost, this.slot, this.strip);
    this.idleSince = null;
    this.busy = false;
  }
}

export class FloorLanes {
  /** @param {() => number} volume the page's volume for what it hears (0-1) */
  constructor(volume) {
    this.volume = volume;
    this.lanes = []; // made as the view says how many a floor has
    this.session = null;
    this.floorId = null;
    this.heardIn = null;
    this.timer = null;
  }

  /**
   * Follow the state: hear the lanes of `floorId` that carry someone (null: the page does
   * not hear a floor now, and every lane goes).
   */
  sync(session, floorId) {
    this.session = session;
    this.floorId = floorId;
    const state = session.state;
    this.heardIn = state?.you?.heard_in ?? null;
    const floor = floorId === null ? null : state?.channels.find((c) => c.id === floorId);
    const carrying = floor?.lanes ?? [];
    while (this.lanes.length < carrying.length) {
      this.lanes.push(new Lane(this.lanes.length + 1, () => this.lost()));
    }
    const now = Date.now();
    this.lanes.forEach((lane, i) => {
      if (floorId !== null && carrying[i]) {
        lane.idleSince = null;
        this.hear(lane, floorId);
      } else if (lane.ear.pc) {
        lane.idleSince ??= now;
        if (floorId === null || now - lane.idleSince >= KEEP_IDLE_MS) this.letGo(lane);
      }
    });
    this.applyVolumes();
    clearTimeout(this.timer);
    const idle = this.lanes.filter((lane) => lane.ear.pc && lane.idleSince !== null);
    if (idle.length) {
      const due = Math.min(...idle.map((lane) => lane.idleSince + KEEP_IDLE_MS)) - now;
      this.timer = setTimeout(() => this.resync(), Math.max(0, due));
    }
  }

  /** Hear `floorId`'s lane on the lane's connection (a new one, or moved). */
  async hear(lane, floorId) {
    if (lane.busy || (lane.ear.connected && lane.ear.channelId === floorId)) return;
    lane.busy = true;
    try {
      if (lane.ear.connected) await lane.ear.switchTo(this.session, floorId);
      else await lane.ear.start(this.session, floorId);
    } catch {
      setTimeout(() => this.resync(), RETRY_MS);
    } finally {
      lane.busy = false;
    }
    if (this.floorId !== floorId) this.resync(); // the page moved on meanwhile
    this.applyVolumes();
  }

  /** Close a lane's connection, and tell the server. */
  letGo(lane) {
    lane.idleSince = null;
    lane.ear.close();
    if (this.session?.open) this.session.request({ type: "unsubscribe", slot: lane.slot }).catch(() => {});
  }

  /** Follow the state again, with what the page heard last. */
  resync() {
    if (this.session) this.sync(this.session, this.floorId);
  }

  /** A lane's connection dropped (the view will say whether it still carries someone). */
  lost() {
    setTimeout(() => this.resync(), RETRY_MS);
  }

  /** The server says a lane's subscription was lost (`media.lost`, what `lane`). */
  handle(message) {
    if (message.type !== "media.lost" || message.what !== "lane") return false;
    const lane = this.lanes.find((l) => l.slot === message.slot);
    if (lane) lane.ear.close();
    this.lost();
    return true;
  }

  /** Set each lane's volume: the page's, or silence where the page's own voice is. */
  applyVolumes() {
    for (const lane of this.lanes) lane.strip.volume = this.heardIn === lane.slot ? 0 : this.volume();
  }

  /** Stop hearing every lane (the page stopped listening). */
  close() {
    clearTimeout(this.timer);
    this.floorId = null;
    for (const lane of this.lanes) {
      lane.idleSince = null;
      lane.ear.close();
    }
  }

  /** What each lane plays, for tests: its channel and dominant frequency. */
  get snapshot() {
    return this.lanes.map((lane) => ({
      slot: lane.slot,
      channel: lane.ear.channelId,
      volume: lane.strip.volume,
      frequency: lane.ear.probe ? lane.ear.probe.dominantFrequency() : null,
    }));
  }
}
