// One live session over the signaling WebSocket (/api/live/{code}), with reconnects.
//
// The first message joins in a role; the server answers `welcome`. Requests carry an
// `id` and their reply echoes it; everything else (state, chat, slowdown, ...) goes to
// `onMessage`. When the socket drops (network, server restart) the session reconnects
// with backoff and rejoins with `resume` = the participant id it had, kept in
// sessionStorage so a page reload resumes too. A refused join (close code 4403) is final.

import { _ } from "../i18n.js";
import { forTheTab } from "../storage.js";

const BACKOFF_MS = [300, 700, 1500, 3000, 6000, 10000];
const PING_MS = 20000;
const REQUEST_TIMEOUT_MS = 15000;

/** An error reply to a request: {code, message}. */
export class LiveError extends Error {
  constructor(reply) {
    super(reply.message || reply.code || _("Request failed"));
    this.name = "LiveError";
    this.code = reply.code || "error";
  }
}

export class LiveSession {
  /**
   * @param {object} options
   * @param {string} options.code the event code
   * @param {object} options.join the join message's fields (role, key, topic_id, booth_id)
   * @param {string} options.storageKey where the participant id is kept for `resume`
   * @param {(welcome: any, again: boolean) => void} [options.onWelcome]
   * @param {(message: any) => void} [options.onMessage]
   * @param {(status: "connecting"|"open"|"reconnecting"|"refused"|"closed", detail?: string) => void} [options.onStatus]
   */
  constructor(options) {
    this.options = options;
    this.ws = null;
    this.welcome = null;
    this.state = null;
    this.stopped = true;
    this.attempt = 0;
    this.nextId = 1;
    this.waiters = new Map();
    this.timer = null;
    this.pinger = null;
    this.joinedBefore = false;
    this.iceAt = 0;
  }

  /**
   * The STUN/TURN servers for a new peer connection. TURN credentials expire
   * (`ice_servers_ttl` seconds after they were made): past half of that, fresh ones
   * are asked for first, so a page open all day still gets through a relay.
   */
  async iceServers() {
    const ttl = this.welcome?.ice_servers_ttl || 0;
    if (ttl > 0 && this.open && Date.now() - this.iceAt > (ttl * 1000) / 2) {
      try {
        const reply = await this.request({ type: "ice_servers" });
        this.welcome.ice_servers = reply.ice_servers;
        this.iceAt = Date.now();
      } catch {
        /* the old ones may still work: try them */
      }
    }
    return this.welcome?.ice_servers ?? [];
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.welcome !== null;
  }

  /** Connect (again) and join. */
  start() {
    this.stopped = false;
    this.connect();
  }

  /** Leave: close the socket and stop reconnecting. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    const ws = this.ws;
    this.ws = null;
    this.welcome = null;
    if (ws) ws.close(1000, "bye");
    this.failWaiters("closed");
    this.status("closed");
  }

  status(value, detail) {
    if (this.options.onStatus) this.options.onStatus(value, detail);
  }

  connect() {
    clearTimeout(this.timer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/api/live/${encodeURIComponent(this.options.code)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.welcome = null;
    this.status(this.joinedBefore ? "reconnecting" : "connecting");
    ws.addEventListener("open", () => {
      const resume = forTheTab.get(this.options.storageKey);
      const join = { type: "join", ...this.options.join };
      if (resume) join.resume = resume;
      ws.send(JSON.stringify(join));
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(message);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.welcome = null;
      clearInterval(this.pinger);
      this.failWaiters("disconnected");
      if (this.stopped) return;
      if (event.code === 4403) {
        this.stopped = true;
        this.status("refused", event.reason || _("Joining was refused."));
        return;
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    const delay = base * (0.8 + Math.random() * 0.4);
    this.status("reconnecting");
    this.timer = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, delay);
  }

  receive(message) {
    if (message.type === "welcome") {
      const again = this.joinedBefore;
      this.joinedBefore = true;
      this.attempt = 0;
      this.welcome = message;
      this.iceAt = Date.now();
      this.state = message.state;
      forTheTab.set(this.options.storageKey, message.participant);
      clearInterval(this.pinger);
      this.pinger = setInterval(() => {
        this.request({ type: "ping" }).catch(() => {});
      }, PING_MS);
      this.status("open");
      if (this.options.onWelcome) this.options.onWelcome(message, again);
      if (this.options.onMessage) this.options.onMessage(message.state);
      return;
    }
    if (message.type === "error" && message.code === "refused") {
      this.status("refused", message.message);
      this.stopped = true;
      return;
    }
    const waiter = message.id != null ? this.waiters.get(message.id) : undefined;
    if (waiter) {
      this.waiters.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.type === "error") waiter.reject(new LiveError(message));
      else waiter.resolve(message);
      return;
    }
    if (message.type === "state") this.state = message;
    if (this.options.onMessage) this.options.onMessage(message);
  }

  /**
   * Send a request; resolves with its reply, rejects with LiveError.
   * @param {object} message
   */
  request(message) {
    if (!this.open) return Promise.reject(new LiveError({ code: "offline", message: _("Not connected.") }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new LiveError({ code: "timeout", message: _("No answer from the server.") }));
      }, REQUEST_TIMEOUT_MS);
      this.waiters.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  failWaiters(code) {
    for (const [id, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new LiveError({ code, message: _("The connection dropped.") }));
      this.waiters.delete(id);
    }
  }
}
