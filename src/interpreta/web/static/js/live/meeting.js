// The meeting panel every live page shows: chat, questions (Q&A), polls and files.
//
// It works on the page's LiveSession: once the session is open it asks for what this
// participant may see (`content`), then keeps it current from the server's pushes
// (`chat.message`, `chat.deleted`, `poll`, `question`, `question.hidden`, `file`,
// `file.removed`). Hosts (moderators) also get the moderation controls and the list of
// people. Files go over HTTP with the welcome's `content_token`.
//
// It also carries the meeting controls: reactions, raising a hand, and for hosts (and
// co-hosts, who become hosts while the page is open) the waiting room, the raised hands
// and the people here, each with let in, let talk, mute, co-host and remove. A page in
// the waiting room shows only that until a host lets it in.
//
// Everything shown is built with textContent: what people write is never HTML.

import { _ } from "../i18n.js";
import { say } from "./common.js";

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

function time(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** A participant's role as people read it (the server sends listener, speaker, …). */
function roleLabel(role) {
  switch (role) {
    case "listener":
      return _("listener");
    case "speaker":
      return _("speaker");
    case "interpreter":
      return _("interpreter");
    case "moderator":
      return _("moderator");
    default:
      return role;
  }
}

function size(bytes) {
  if (bytes < 1024) return _("%(size)s B", { size: bytes });
  if (bytes < 1024 * 1024) return _("%(size)s KB", { size: Math.round(bytes / 1024) });
  return _("%(size)s MB", { size: (bytes / (1024 * 1024)).toFixed(1) });
}

export class MeetingPanel {
  /**
   * @param {import("./session.js").LiveSession} session the page's live session
   * @param {HTMLElement} root the panel (templates/_meeting.html)
   */
  constructor(session, root = $("meeting")) {
    this.session = session;
    this.root = root;
    this.host = root?.dataset.host === "true";
    this.chat = new Map();
    this.polls = new Map();
    this.questions = new Map();
    this.files = new Map();
    this.people = [];
    this.mine = new Map(); // poll id → the options this person chose
    this.voted = new Set(); // questions this person upvoted
    this.privateTo = null; // {key, name} of a private message's recipient
    this.you = null; // the state's "you": host, cohost, waiting, hand, may_talk, mode
    this.hands = [];
    this.waitingRoom = [];
    this.reactions = [];
    this.recording = false;
    if (root) this.wire();
  }

  get me() {
    return this.session.welcome?.participant;
  }

  wire() {
    $("meeting-chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendChat();
    });
    $("meeting-chat-audience").addEventListener("change", () => {
      if ($("meeting-chat-audience").value !== "private") this.privateTo = null;
      this.renderAudience();
    });
    $("meeting-chat-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.sendChat();
      }
    });
    $("meeting-qa-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
    $("meeting-file-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.share();
    });
    $("meeting-poll-form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.openPoll();
    });
    for (const button of this.root.querySelectorAll("button.reaction")) {
      button.addEventListener("click", () =>
        this.session.request({ type: "reaction", emoji: button.dataset.emoji }).catch(() => {}),
      );
    }
    $("meeting-record").addEventListener("click", () => {
      this.act({ type: this.recording ? "recording.stop" : "recording.start" });
    });
    $("meeting-hand")?.addEventListener("click", () => {
      const raised = !this.you?.hand;
      this.session.request({ type: "hand", raised }).catch((error) => say($("meeting-notice"), error.message));
    });
  }

  /** A host request about another participant; failures show in the notice line. */
  act(request) {
    return this.session.request(request).catch((error) => say($("meeting-notice"), error.message));
  }

  /** The session is open (again): load what this person may see. */
  async connected() {
    if (!this.root) return;
    const waiting = Boolean(this.session.welcome?.waiting) && !this.admitted;
    $("meeting-waiting").hidden = !waiting;
    $("meeting-offline").hidden = true;
    if (waiting) {
      $("meeting-body").hidden = true;
      $("meeting-bar").hidden = true;
      return;
    }
    try {
      const content = await this.session.request({ type: "content" });
      this.chat = new Map(content.chat.map((m) => [m.id, m]));
      this.polls = new Map(content.polls.map((p) => [p.id, p]));
      this.mine = new Map(content.polls.map((p) => [p.id, p.mine]));
      this.questions = new Map(content.questions.map((q) => [q.id, q]));
      this.voted = new Set(content.questions.filter((q) => q.voted).map((q) => q.id));
      this.files = new Map(content.files.map((f) => [f.id, f]));
    } catch {
      return; // the session dropped meanwhile: the next welcome loads it again
    }
    $("meeting-offline").hidden = true;
    $("meeting-body").hidden = false;
    $("meeting-bar").hidden = false;
    this.root.dataset.ready = "true";
    this.render();
  }

  /** The session closed: say so; what was shown stays. */
  offline(text) {
    if (!this.root) return;
    say($("meeting-offline"), text);
    $("meeting-offline").hidden = false;
  }

  /** A pushed message; true when it was the panel's. */
  handle(message) {
    if (!this.root) return false;
    switch (message.type) {
      case "chat.message":
        this.chat.set(message.message.id, message.message);
        this.renderChat();
        return true;
      case "chat.deleted":
        this.chat.delete(message.id);
        this.renderChat();
        return true;
      case "poll":
        this.polls.set(message.poll.id, message.poll);
        this.renderPolls();
        return true;
      case "question":
        this.questions.set(message.question.id, message.question);
        this.renderQuestions();
        return true;
      case "question.hidden":
        this.questions.delete(message.id);
        this.renderQuestions();
        return true;
      case "file":
        this.files.set(message.file.id, message.file);
        this.renderFiles();
        return true;
      case "file.removed":
        this.files.delete(message.id);
        this.renderFiles();
        return true;
      case "state":
        this.follow(message);
        return false; // the page renders its own part of the state
      case "reaction":
        this.react(message);
        return true;
      case "admitted":
        this.admitted = true;
        this.connected();
        return false; // the page starts its media too
      case "muted":
        say($("meeting-notice"), _("%(name)s muted your microphone.", { name: message.by }));
        return false; // the page stops its microphone too
      default:
        return false;
    }
  }

  /** Follow the state's moderation part: who we are, hands, the waiting room, people. */
  follow(state) {
    if ("transcript" in state) $("meeting-transcript").hidden = !state.transcript;
    if ("recording" in state) {
      this.recording = state.recording;
      $("meeting-recording").hidden = !state.recording;
      const record = $("meeting-record");
      record.textContent = state.recording ? _("Stop recording") : _("Start recording");
      record.setAttribute("aria-pressed", state.recording ? "true" : "false");
    }
    if (state.you) {
      const wasHost = this.host;
      this.you = state.you;
      this.host = state.you.host;
      if (!state.you.waiting && this.session.welcome?.waiting) this.admitted = true;
      const hand = $("meeting-hand");
      if (hand) {
        hand.setAttribute("aria-pressed", state.you.hand ? "true" : "false");
        hand.textContent = state.you.hand ? _("Lower hand") : _("Raise hand");
      }
      if (wasHost !== this.host && this.root.dataset.ready === "true") this.render();
    }
    this.people = state.participants || [];
    this.hands = state.hands || [];
    this.waitingRoom = state.waiting || [];
    this.renderPeople();
  }

  react(message) {
    this.reactions = [...this.reactions, `${message.emoji} ${message.from}`].slice(-5);
    say($("meeting-reactions"), this.reactions.join("  "));
  }

  render() {
    $("meeting-poll-new").hidden = !this.host;
    $("meeting-record").hidden = !this.host;
    this.renderChat();
    this.renderQuestions();
    this.renderPolls();
    this.renderFiles();
    this.renderPeople();
    this.renderAudience();
  }

  // --- chat ----------------------------------------------------------------------

  writePrivately(key, name) {
    this.privateTo = { key, name };
    this.renderAudience();
    $("meeting-chat-audience").value = "private";
    $("meeting-chat-text").focus();
  }

  renderAudience() {
    const select = $("meeting-chat-audience");
    let option = select.querySelector('option[value="private"]');
    if (this.privateTo) {
      if (!option) option = select.appendChild(new Option("", "private"));
      option.textContent = _("Privately to %(name)s", { name: this.privateTo.name });
    } else if (option) {
      option.remove();
    }
  }

  async sendChat() {
    const text = $("meeting-chat-text").value.trim();
    if (!text) return;
    const audience = $("meeting-chat-audience").value;
    const request = { type: "chat.send", text, audience };
    if (audience === "private" && this.privateTo) request.to = this.privateTo.key;
    try {
      await this.session.request(request);
      $("meeting-chat-text").value = "";
      say($("meeting-chat-error"), "");
    } catch (error) {
      say($("meeting-chat-error"), error.message);
    }
  }

  renderChat() {
    const log = $("meeting-chat-log");
    const items = [...this.chat.values()].sort((a, b) => a.id - b.id);
    log.replaceChildren(
      ...items.map((m) => {
        const own = m.from_key === this.me;
        let label = m.from;
        if (m.audience === "hosts") label = _("%(name)s → the hosts", { name: m.from });
        else if (m.audience === "private") {
          label = own
            ? _("%(name)s → %(to)s (private)", { name: m.from, to: m.to })
            : _("%(name)s (private, to you)", { name: m.from });
        }
        const actions = element("span", { class: "chat-actions" });
        if (!own && m.from_key) {
          actions.append(
            element("button", {
              type: "button",
              class: "button button-small",
              text: _("Reply privately"),
              "aria-label": _("Reply privately to %(name)s", { name: m.from }),
              onclick: () => this.writePrivately(m.from_key, m.from),
            }),
          );
        }
        if (this.host) {
          actions.append(
            element("button", {
              type: "button",
              class: "button button-small button-danger",
              text: _("Delete"),
              "aria-label": _("Delete the message from %(name)s", { name: m.from }),
              onclick: () => this.session.request({ type: "chat.delete", message_id: m.id }).catch((e) => say($("meeting-chat-error"), e.message)),
            }),
          );
        }
        return element(
          "li",
          { class: `chat-message chat-${m.audience}`, "data-id": m.id },
          element("span", { class: "chat-from", text: label }),
          element("time", { datetime: m.sent_at, class: "muted", text: time(m.sent_at) }),
          element("p", { class: "chat-text", text: m.text }),
          actions.childNodes.length ? actions : null,
        );
      }),
    );
    log.scrollTop = log.scrollHeight;
  }

  // --- questions -----------------------------------------------------------------

  async ask() {
    const text = $("meeting-qa-text").value.trim();
    if (!text) return;
    try {
      await this.session.request({ type: "question.ask", text, anonymous: $("meeting-qa-anonymous").checked });
      $("meeting-qa-text").value = "";
      say($("meeting-qa-error"), "");
    } catch (error) {
      say($("meeting-qa-error"), error.message);
    }
  }

  async upvote(question) {
    const on = !this.voted.has(question.id);
    try {
      await this.session.request({ type: "question.upvote", question_id: question.id, on });
      if (on) this.voted.add(question.id);
      else this.voted.delete(question.id);
      this.renderQuestions();
    } catch (error) {
      say($("meeting-qa-error"), error.message);
    }
  }

  moderate(question, status) {
    this.session
      .request({ type: "question.moderate", question_id: question.id, status })
      .catch((error) => say($("meeting-qa-error"), error.message));
  }

  renderQuestions() {
    const list = $("meeting-qa-list");
    const order = { open: 0, answered: 1, dismissed: 2 };
    const items = [...this.questions.values()].sort(
      (a, b) => order[a.status] - order[b.status] || b.votes - a.votes || a.id - b.id,
    );
    $("meeting-qa-empty").hidden = items.length > 0;
    list.replaceChildren(
      ...items.map((q) => {
        const voted = this.voted.has(q.id);
        const controls = element("span", { class: "qa-actions" });
        if (q.status !== "dismissed") {
          controls.append(
            element("button", {
              type: "button",
              class: "button button-small",
              "aria-pressed": voted ? "true" : "false",
              "aria-describedby": `meeting-question-${q.id}`,
              text: _("▲ Upvote (%(votes)s)", { votes: q.votes }),
              onclick: () => this.upvote(q),
            }),
          );
        }
        if (this.host) {
          for (const [status, label] of [["answered", _("Answered")], ["dismissed", _("Dismiss")], ["open", _("Reopen")]]) {
            if (q.status === status) continue;
            controls.append(
              element("button", { type: "button", class: "button button-small", text: label, onclick: () => this.moderate(q, status) }),
            );
          }
        }
        const badge = q.status === "open" ? null : element("span", { class: `badge badge-${q.status}`, text: q.status === "answered" ? _("Answered") : _("Dismissed") });
        return element(
          "li",
          { class: `qa-item qa-${q.status}`, "data-id": q.id },
          element("p", { class: "qa-text", id: `meeting-question-${q.id}`, text: q.text }),
          element("span", { class: "muted", text: q.mine ? _("%(name)s (you)", { name: q.from }) : q.from }),
          badge,
          controls,
        );
      }),
    );
  }

  // --- polls ---------------------------------------------------------------------

  async openPoll() {
    const options = $("meeting-poll-options").value.split("\n").map((o) => o.trim()).filter(Boolean);
    try {
      await this.session.request({
        type: "poll.open",
        question: $("meeting-poll-question").value.trim(),
        options,
        multiple: $("meeting-poll-multiple").checked,
        live_results: $("meeting-poll-live").checked,
      });
      $("meeting-poll-form").reset();
      $("meeting-poll-form").closest("details").open = false;
      say($("meeting-poll-error"), "");
    } catch (error) {
      say($("meeting-poll-error"), error.message);
    }
  }

  async vote(poll, form) {
    const chosen = [...form.querySelectorAll("input:checked")].map((input) => Number(input.value));
    const error = form.querySelector(".field-error");
    if (!chosen.length) {
      say(error, _("Choose an option first."));
      return;
    }
    try {
      const reply = await this.session.request({ type: "poll.vote", poll_id: poll.id, options: chosen });
      this.mine.set(poll.id, reply.poll.mine);
      this.polls.set(poll.id, reply.poll);
      this.renderPolls();
    } catch (problem) {
      say(error, problem.message);
    }
  }

  renderPolls() {
    const list = $("meeting-poll-list");
    const items = [...this.polls.values()].sort((a, b) => b.id - a.id);
    $("meeting-polls-empty").hidden = items.length > 0;
    list.replaceChildren(
      ...items.map((poll) => {
        const mine = this.mine.get(poll.id) || [];
        const open = poll.status === "open";
        const headingId = `poll-${poll.id}-question`;
        const form = element("form", { class: "poll", "aria-labelledby": headingId, "data-id": poll.id });
        form.append(element("h4", { id: headingId, text: poll.question }));
        if (!open) form.append(element("span", { class: "badge badge-ended", text: _("Closed") }));
        const total = poll.options.reduce((sum, o) => sum + (o.votes || 0), 0);
        const group = element("fieldset", {}, element("legend", { class: "visually-hidden", text: poll.question }));
        for (const option of poll.options) {
          const inputId = `poll-${poll.id}-option-${option.id}`;
          const input = element("input", {
            type: poll.multiple ? "checkbox" : "radio",
            name: `poll-${poll.id}`,
            id: inputId,
            value: option.id,
            checked: mine.includes(option.id),
            disabled: !open,
          });
          const row = element("div", { class: "poll-option" }, input, element("label", { for: inputId, text: option.text }));
          if (poll.results) {
            const share = total ? Math.round((100 * option.votes) / total) : 0;
            const bar = element("span", { class: "poll-bar", "aria-hidden": "true" });
            bar.style.setProperty("--share", `${share}%`); // the CSP allows no style attribute
            row.append(element("span", { class: "poll-count", text: `${option.votes} (${share} %)` }), bar);
          }
          group.append(row);
        }
        form.append(group);
        if (open) {
          form.append(element("button", { type: "submit", class: "button button-small", text: mine.length ? _("Change my vote") : _("Vote") }));
          form.addEventListener("submit", (event) => {
            event.preventDefault();
            this.vote(poll, form);
          });
        }
        if (poll.results && poll.voters != null) {
          const voted = poll.voters === 1 ? _("1 voted") : _("%(count)s voted", { count: poll.voters });
          form.append(element("p", { class: "muted", text: voted }));
        }
        else if (open) form.append(element("p", { class: "muted", text: _("Results are shown when the poll closes.") }));
        if (this.host && open) {
          form.append(
            element("button", {
              type: "button",
              class: "button button-small",
              text: _("Close the poll"),
              onclick: () => this.session.request({ type: "poll.close", poll_id: poll.id }).catch((e) => say(form.querySelector(".field-error"), e.message)),
            }),
          );
        }
        form.append(element("p", { class: "field-error", role: "alert" }));
        return form;
      }),
    );
  }

  // --- files ---------------------------------------------------------------------

  async share() {
    const file = $("meeting-file-input").files[0];
    if (!file) return;
    const token = this.session.welcome?.content_token;
    const url = `/api/live/${encodeURIComponent(this.session.options.code)}/files?name=${encodeURIComponent(file.name)}`;
    try {
      const response = await fetch(url, { method: "POST", body: file, headers: { Authorization: `Bearer ${token}` } });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw new Error(problem.detail || _("Sharing failed (%(status)s).", { status: response.status }));
      }
      $("meeting-file-form").reset();
      say($("meeting-file-error"), "");
    } catch (error) {
      say($("meeting-file-error"), error.message);
    }
  }

  async download(file) {
    const token = this.session.welcome?.content_token;
    const url = `/api/live/${encodeURIComponent(this.session.options.code)}/files/${file.id}`;
    try {
      const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(_("Download failed (%(status)s).", { status: response.status }));
      const link = element("a", { href: URL.createObjectURL(await response.blob()), download: file.name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      say($("meeting-file-error"), error.message);
    }
  }

  renderFiles() {
    const items = [...this.files.values()].sort((a, b) => a.id - b.id);
    $("meeting-files-empty").hidden = items.length > 0;
    $("meeting-file-list").replaceChildren(
      ...items.map((file) => {
        const item = element(
          "li",
          { class: "file", "data-id": file.id },
          element("button", {
            type: "button",
            class: "link-button",
            text: file.name,
            "aria-label": _("Download %(name)s", { name: file.name }),
            onclick: () => this.download(file),
          }),
          element("span", { class: "muted", text: ` ${size(file.size)} · ${file.from}` }),
        );
        if (this.host || file.from_key === this.me) {
          item.append(
            element("button", {
              type: "button",
              class: "button button-small button-danger",
              text: _("Remove"),
              "aria-label": _("Remove %(name)s", { name: file.name }),
              onclick: () => this.session.request({ type: "file.remove", file_id: file.id }).catch((e) => say($("meeting-file-error"), e.message)),
            }),
          );
        }
        return item;
      }),
    );
  }

  // --- people (hosts) ------------------------------------------------------------

  renderPeople() {
    $("meeting-hosting").hidden = !this.host;
    if (!this.host) return;
    const button = (text, label, request, danger = false) =>
      element("button", {
        type: "button",
        class: `button button-small${danger ? " button-danger" : ""}`,
        text,
        "aria-label": label,
        onclick: () => this.act(request),
      });
    const webinar = this.you?.mode !== "meeting";
    $("meeting-waiting-empty").hidden = this.waitingRoom.length > 0;
    $("meeting-waiting-list").replaceChildren(
      ...this.waitingRoom.map((person) =>
        element(
          "li",
          { class: "person", "data-key": person.key },
          element("span", { text: person.name }),
          button(_("Let in"), _("Let in: %(name)s", { name: person.name }), { type: "lobby.admit", key: person.key }),
          button(_("Turn away"), _("Turn away: %(name)s", { name: person.name }), { type: "lobby.deny", key: person.key }, true),
        ),
      ),
    );
    $("meeting-hands-empty").hidden = this.hands.length > 0;
    $("meeting-hands-list").replaceChildren(
      ...this.hands.map((person) =>
        element(
          "li",
          { class: "person", "data-key": person.key },
          element("span", { text: `✋ ${person.name}` }),
          webinar
            ? button(_("Let talk"), _("Let talk: %(name)s", { name: person.name }), { type: "talk.allow", key: person.key })
            : null,
          button(_("Lower hand"), _("Lower hand: %(name)s", { name: person.name }), { type: "mute", key: person.key }),
        ),
      ),
    );
    $("meeting-people-list").replaceChildren(
      ...this.people
        .filter((p) => p.key !== this.me)
        .map((person) => {
          const flags = [roleLabel(person.role), person.cohost ? _("co-host") : null, person.may_talk ? _("may talk") : null];
          const item = element(
            "li",
            { class: "person", "data-key": person.key },
            element("span", { text: `${person.name} · ${flags.filter(Boolean).join(", ")}` }),
            element("button", {
              type: "button",
              class: "button button-small",
              text: _("Message"),
              "aria-label": _("Message %(name)s privately", { name: person.name }),
              onclick: () => this.writePrivately(person.key, person.name),
            }),
            button(_("Mute"), _("Mute: %(name)s", { name: person.name }), { type: "mute", key: person.key }),
          );
          if (webinar && person.role === "listener" && !person.may_talk) {
            item.append(
              button(_("Let talk"), _("Let talk: %(name)s", { name: person.name }), { type: "talk.allow", key: person.key }),
            );
          }
          if (person.role !== "moderator") {
            item.append(
              person.cohost
                ? button(_("Remove co-host"), _("Remove co-host: %(name)s", { name: person.name }), {
                    type: "cohost",
                    key: person.key,
                    on: false,
                  })
                : button(_("Make co-host"), _("Make co-host: %(name)s", { name: person.name }), {
                    type: "cohost",
                    key: person.key,
                  }),
            );
          }
          item.append(
            element("button", {
              type: "button",
              class: "button button-small button-danger",
              text: _("Remove"),
              "aria-label": _("Remove %(name)s from the event", { name: person.name }),
              onclick: () => {
                if (confirm(_("Remove %(name)s from the event? They cannot join again.", { name: person.name }))) {
                  this.act({ type: "participant.remove", key: person.key });
                }
              },
            }),
          );
          return item;
        }),
    );
  }
}
