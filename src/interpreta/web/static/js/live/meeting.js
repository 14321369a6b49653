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

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
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
        say($("meeting-notice"), `${message.by} muted your microphone.`);
        return false; // the page stops its microphone too
      default:
        return false;
    }
  }

  /** Follow the state's moderation part: who we are, hands, the waiting room, people. */
  follow(state) {
    if ("recording" in state) {
      this.recording = state.recording;
      $("meeting-recording").hidden = !state.recording;
      const record = $("meeting-record");
      record.textContent = state.recording ? "Stop recording" : "Start recording";
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
        hand.textContent = state.you.hand ? "Lower hand" : "Raise hand";
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
      option.textContent = `Privately to ${this.privateTo.name}`;
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
        if (m.audience === "hosts") label += " → the hosts";
        if (m.audience === "private") label += own ? ` → ${m.to} (private)` : " (private, to you)";
        const actions = element("span", { class: "chat-actions" });
        if (!own && m.from_key) {
          actions.append(
            element("button", {
              type: "button",
              class: "button button-small",
              text: "Reply privately",
              "aria-label": `Reply privately to ${m.from}`,
              onclick: () => this.writePrivately(m.from_key, m.from),
            }),
          );
        }
        if (this.host) {
          actions.append(
            element("button", {
              type: "button",
              class: "button button-small button-danger",
              text: "Delete",
              "aria-label": `Delete the message from ${m.from}`,
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
              text: `▲ Upvote (${q.votes})`,
              onclick: () => this.upvote(q),
            }),
          );
        }
        if (this.host) {
          for (const [status, label] of [["answered", "Answered"], ["dismissed", "Dismiss"], ["open", "Reopen"]]) {
            if (q.status === status) continue;
            controls.append(
              element("button", { type: "button", class: "button button-small", text: label, onclick: () => this.moderate(q, status) }),
            );
          }
        }
        const badge = q.status === "open" ? null : element("span", { class: `badge badge-${q.status}`, text: q.status === "answered" ? "Answered" : "Dismissed" });
        return element(
          "li",
          { class: `qa-item qa-${q.status}`, "data-id": q.id },
          element("p", { class: "qa-text", id: `meeting-question-${q.id}`, text: q.text }),
          element("span", { class: "muted", text: q.mine ? `${q.from} (you)` : q.from }),
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
      say(error, "Choose an option first.");
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
        if (!open) form.append(element("span", { class: "badge badge-ended", text: "Closed" }));
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
          form.append(element("button", { type: "submit", class: "button button-small", text: mine.length ? "Change my vote" : "Vote" }));
          form.addEventListener("submit", (event) => {
            event.preventDefault();
            this.vote(poll, form);
          });
        }
        if (poll.results && poll.voters != null) form.append(element("p", { class: "muted", text: `${poll.voters} voted` }));
        else if (open) form.append(element("p", { class: "muted", text: "Results are shown when the poll closes." }));
        if (this.host && open) {
          form.append(
            element("button", {
              type: "button",
              class: "button button-small",
              text: "Close the poll",
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
        throw new Error(problem.detail || `Sharing failed (${response.status}).`);
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
      if (!response.ok) throw new Error(`Download failed (${response.status}).`);
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
            "aria-label": `Download ${file.name}`,
            onclick: () => this.download(file),
          }),
          element("span", { class: "muted", text: ` ${size(file.size)} · ${file.from}` }),
        );
        if (this.host || file.from_key === this.me) {
          item.append(
            element("button", {
              type: "button",
              class: "button button-small button-danger",
              text: "Remove",
              "aria-label": `Remove ${file.name}`,
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
          button("Let in", `Let in: ${person.name}`, { type: "lobby.admit", key: person.key }),
          button("Turn away", `Turn away: ${person.name}`, { type: "lobby.deny", key: person.key }, true),
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
          webinar ? button("Let talk", `Let talk: ${person.name}`, { type: "talk.allow", key: person.key }) : null,
          button("Lower hand", `Lower hand: ${person.name}`, { type: "mute", key: person.key }),
        ),
      ),
    );
    $("meeting-people-list").replaceChildren(
      ...this.people
        .filter((p) => p.key !== this.me)
        .map((person) => {
          const flags = [person.role, person.cohost ? "co-host" : null, person.may_talk ? "may talk" : null];
          const item = element(
            "li",
            { class: "person", "data-key": person.key },
            element("span", { text: `${person.name} · ${flags.filter(Boolean).join(", ")}` }),
            element("button", {
              type: "button",
              class: "button button-small",
              text: "Message",
              "aria-label": `Message ${person.name} privately`,
              onclick: () => this.writePrivately(person.key, person.name),
            }),
            button("Mute", `Mute: ${person.name}`, { type: "mute", key: person.key }),
          );
          if (webinar && person.role === "listener" && !person.may_talk) {
            item.append(button("Let talk", `Let talk: ${person.name}`, { type: "talk.allow", key: person.key }));
          }
          if (person.role !== "moderator") {
            item.append(
              person.cohost
                ? button("Remove co-host", `Remove co-host: ${person.name}`, { type: "cohost", key: person.key, on: false })
                : button("Make co-host", `Make co-host: ${person.name}`, { type: "cohost", key: person.key }),
            );
          }
          item.append(
            element("button", {
              type: "button",
              class: "button button-small button-danger",
              text: "Remove",
              "aria-label": `Remove ${person.name} from the event`,
              onclick: () => {
                if (confirm(`Remove ${person.name} from the event? They cannot join again.`)) {
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
