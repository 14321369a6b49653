// The event's glossary, shared by its booths and organisers: search as you type (case
// and accents ignored, on the server), add, delete, import a CSV file, export one.
// Changes by anyone reach every open glossary at once ("glossary.changed").

import { _ } from "../i18n.js";
import { api } from "../api.js";
import { say } from "./common.js";

export class GlossaryPanel {
  /**
   * @param {HTMLElement} root the `_glossary.html` card
   * @param {number} eventId
   */
  constructor(root, eventId) {
    this.root = root;
    this.base = `/api/events/${eventId}/glossary`;
    const $ = (role) => root.querySelector(`[data-role="${role}"]`);
    this.search = $("search");
    this.list = $("results");
    this.status = $("status");
    this.form = $("add");
    this.file = $("import");
    this.entries = [];
    let timer = null;
    this.search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.refresh(), 200);
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    this.file.addEventListener("change", () => this.importFile());
    $("export").href = `${this.base}.csv`;
  }

  /** Handle a live message; whether it was the glossary's. */
  handle(message) {
    if (message.type !== "glossary.changed") return false;
    this.refresh();
    return true;
  }

  /** Put the cursor in the search field (a console shortcut). */
  focus() {
    this.search.focus();
    this.search.select();
  }

  async refresh() {
    const query = new URLSearchParams({ q: this.search.value.trim() });
    try {
      this.entries = await api("GET", `${this.base}?${query}`);
      say(this.status, this.entries.length ? "" : _("No entries found."));
    } catch (error) {
      say(this.status, error.message);
      return;
    }
    this.list.replaceChildren(...this.entries.map((entry) => this.row(entry)));
  }

  row(entry) {
    const item = document.createElement("li");
    item.className = "glossary-entry";
    const term = document.createElement("span");
    term.className = "glossary-term";
    term.lang = entry.source_language;
    term.textContent = entry.term;
    const arrow = document.createElement("span");
    arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = " → ";
    const equivalent = document.createElement("strong");
    equivalent.lang = entry.target_language;
    equivalent.textContent = entry.equivalent;
    item.append(term, arrow, equivalent);
    if (entry.note) {
      const note = document.createElement("span");
      note.className = "muted glossary-note";
      note.textContent = ` (${entry.note})`;
      item.append(note);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-small";
    remove.textContent = _("Delete");
    remove.setAttribute("aria-label", _("Delete %(term)s", { term: entry.term }));
    remove.addEventListener("click", async () => {
      try {
        await api("DELETE", `${this.base}/${entry.id}`);
        await this.refresh();
      } catch (error) {
        say(this.status, error.message);
      }
    });
    item.append(" ", remove);
    return item;
  }

  async add() {
    const value = (name) => this.form.elements[name].value.trim();
    const body = {
      source_language: value("source_language"),
      term: value("term"),
      target_language: value("target_language"),
      equivalent: value("equivalent"),
      note: value("note") || null,
    };
    try {
      await api("POST", this.base, body);
      this.form.elements.term.value = "";
      this.form.elements.equivalent.value = "";
      this.form.elements.note.value = "";
      say(this.status, _("Added %(term)s.", { term: body.term }));
      this.form.elements.term.focus();
      await this.refresh();
    } catch (error) {
      say(this.status, error.message);
    }
  }

  async importFile() {
    const file = this.file.files?.[0];
    if (!file) return;
    try {
      const response = await fetch(`${this.base}.csv`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "text/csv" },
        body: await file.text(),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(answer.detail || answer.title || String(response.status));
      say(this.status, _("%(count)s entries imported.", { count: answer.added }));
      await this.refresh();
    } catch (error) {
      say(this.status, _("Import failed: %(error)s", { error: error.message }));
    }
    this.file.value = "";
  }
}
