// The event editor (/events/new and /events/{id}).
//
// New event: languages and topics are collected here and sent with the event in one POST.
// Existing event: details are saved with PATCH; languages, topics and booth assignments
// are saved at once, one API call each. Every call answers with the whole event (EventOut),
// and the lists are drawn again from that answer, so the page always shows what the
// server holds.

import { ApiError, api } from "./api.js";
import { announcer, h } from "./dom.js";
import { bindJsonForm, clearErrors, showProblem, whileBusy } from "./forms.js";
import { _, locale } from "./i18n.js";
import { describeSchedule, localToIso } from "./time.js";

const data = JSON.parse(document.getElementById("editor-data").textContent);
const names = data.language_names || {};
const canManage = Boolean(data.can_manage);
const isNew = data.mode === "new";
/** The event as the server last described it (edit mode). */
let event = data.event;
/** What a new event will be created with (new mode). */
const draft = { languages: [], topics: [] };
const members = data.members || [];

const announce = announcer(document.getElementById("editor-status"));


function languageName(code) {
  const known = (event?.languages || draft.languages).find((l) => l.code === code);
  return known?.name || names[code] || names[code.split("-")[0]] || code;
}

function removeButton(label, onClick) {
  return h(
    "button",
    { type: "button", class: "chip-remove", onclick: onClick },
    h("span", { "aria-hidden": "true", text: "×" }),
    h("span", { class: "visually-hidden", text: label }),
  );
}

/** Put focus back after the lists were drawn again: on the first of `ids` that exists. */
function refocus(ids) {
  for (const id of [ids].flat()) {
    const el = id && document.getElementById(id);
    if (el) return el.focus();
  }
}

/** Run an API change; on success, draw the event again. */
async function change(method, path, body, { form, message, focusId } = {}) {
  try {
    event = await api(method, path, body);
    render();
    announce(message);
    refocus(focusId);
    return true;
  } catch (error) {
    if (form) showProblem(form, error);
    else announce(error instanceof ApiError ? `${error.title}: ${error.detail}` : String(error));
    return false;
  }
}

// --- languages ---------------------------------------------------------------------------

const languageList = document.getElementById("language-list");
const languagesEmpty = document.getElementById("languages-empty");
const languageForm = document.getElementById("add-language");

function renderLanguages() {
  const items = isNew ? draft.languages : event.languages;
  languageList.replaceChildren(
    ...items.map((lang) =>
      h(
        "li",
        { class: "chip" },
        h("span", { text: lang.name || languageName(lang.code) }),
        h("span", { class: "code-tag", text: lang.code }),
        lang.machine && h("span", { class: "code-tag", text: _("machine") }),
        canManage && removeButton(_("Remove %(name)s", { name: lang.name || lang.code }), () => removeLanguage(lang)),
      ),
    ),
  );
  languagesEmpty.hidden = items.length > 0;
}

/** The language tag for what was typed: a tag, or a name from the list. */
function resolveLanguage(typed) {
  const text = typed.trim();
  if (!text) return "";
  if (names[text] || /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(text)) return text;
  if (names[text.toLowerCase()]) return text.toLowerCase();
  const folded = text.toLocaleLowerCase();
  const matches = Object.entries(names).filter(([, name]) =>
    name.toLocaleLowerCase().includes(folded),
  );
  return matches.length === 1 ? matches[0][0] : text;
}

function invalid(field, message) {
  return new ApiError(422, { title: _("Invalid input"), errors: [{ field, message }] });
}

/** Add the typed language to the draft; throws ApiError when it cannot be added. */
function addDraftLanguage(typed, machine) {
  const code = resolveLanguage(typed);
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(code)) {
    throw invalid("code", _("“%(text)s” is not a language code such as de, fr or pt-BR.", { text: typed.trim() }));
  }
  if (draft.languages.some((l) => l.code === code)) {
    throw invalid("code", _("%(language)s is already in the list.", { language: languageName(code) }));
  }
  draft.languages.push({ code, name: names[code] || names[code.split("-")[0]] || code, machine });
  return code;
}

async function removeLanguage(lang) {
  const label = lang.name || lang.code;
  if (isNew) {
    draft.languages = draft.languages.filter((l) => l.code !== lang.code);
    renderLanguages();
    announce(_("Removed %(name)s.", { name: label }));
    refocus("add-language-code");
    return;
  }
  const ok = window.confirm(
    _("Remove %(name)s? Its channel and booth, with their interpreters, go from every topic.", { name: label }),
  );
  if (!ok) return;
  const path = `/api/events/${event.id}/languages/${encodeURIComponent(lang.code)}`;
  await change("DELETE", path, undefined, {
    message: _("Removed %(name)s.", { name: label }),
    focusId: "add-language-code",
  });
}

if (languageForm) {
  const input = languageForm.elements.namedItem("code");
  const machineBox = languageForm.elements.namedItem("machine");
  languageForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(languageForm);
    const machine = Boolean(machineBox?.checked);
    if (isNew) {
      try {
        const code = addDraftLanguage(input.value, machine);
        input.value = "";
        if (machineBox) machineBox.checked = false;
        renderLanguages();
        announce(_("Added %(name)s.", { name: languageName(code) }));
      } catch (error) {
        showProblem(languageForm, error);
      }
      return;
    }
    const code = resolveLanguage(input.value);
    await whileBusy(languageForm, async () => {
      const done = await change(
        "POST",
        `/api/events/${event.id}/languages`,
        { code, machine },
        {
          form: languageForm,
          message: _("Added %(name)s.", { name: names[code] || code }),
          focusId: "add-language-code",
        },
      );
      if (done) {
        input.value = "";
        if (machineBox) machineBox.checked = false;
      }
    });
  });
}

// --- topics ------------------------------------------------------------------------------

const topicList = document.getElementById("topic-list");
const topicsEmpty = document.getElementById("topics-empty");
const topicForm = document.getElementById("add-topic");

function renderTopics() {
  const items = isNew ? draft.topics.map((name) => ({ id: null, name })) : event.topics;
  topicList.replaceChildren(
    ...items.map((topic) =>
      h(
        "li",
        { class: "chip" },
        h("span", { text: topic.name }),
        canManage &&
          (isNew || items.length > 1) &&
          removeButton(_("Remove topic %(name)s", { name: topic.name }), () => removeTopic(topic)),
      ),
    ),
  );
  topicsEmpty.hidden = items.length > 0;
}

async function removeTopic(topic) {
  if (isNew) {
    draft.topics = draft.topics.filter((name) => name !== topic.name);
    renderTopics();
    announce(_("Removed topic %(name)s.", { name: topic.name }));
    refocus("add-topic-name");
    return;
  }
  if (!window.confirm(_("Remove the topic “%(name)s” with its channels and booths?", { name: topic.name }))) return;
  await change("DELETE", `/api/events/${event.id}/topics/${topic.id}`, undefined, {
    message: _("Removed topic %(name)s.", { name: topic.name }),
    focusId: "add-topic-name",
  });
}

if (topicForm) {
  const input = topicForm.elements.namedItem("name");
  topicForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(topicForm);
    const name = input.value.trim();
    if (isNew) {
      if (!name) return showProblem(topicForm, invalid("name", _("Give the topic a name.")));
      if (draft.topics.includes(name)) {
        return showProblem(topicForm, invalid("name", _("There is already a topic “%(name)s”.", { name })));
      }
      draft.topics.push(name);
      input.value = "";
      renderTopics();
      announce(_("Added topic %(name)s.", { name }));
      return;
    }
    await whileBusy(topicForm, async () => {
      const done = await change(
        "POST",
        `/api/events/${event.id}/topics`,
        { name },
        { form: topicForm, message: _("Added topic %(name)s.", { name }), focusId: "add-topic-name" },
      );
      if (done) input.value = "";
    });
  });
}

// --- booths ------------------------------------------------------------------------------

const booths = document.getElementById("booths");

function renderBooths() {
  if (!booths) return;
  const sections = event.topics.map((topic) => {
    const channels = topic.channels.filter((c) => c.kind === "language" && c.booth_id);
    return h(
      "section",
      { class: "booth-topic", "aria-labelledby": `booths-topic-${topic.id}` },
      h("h3", { id: `booths-topic-${topic.id}`, text: topic.name }),
      channels.length
        ? h("div", { class: "booth-grid" }, ...channels.map((c) => renderBooth(topic, c)))
        : h("p", { class: "empty", text: _("Add a language to get a booth.") }),
    );
  });
  booths.replaceChildren(...sections);
}

function renderBooth(topic, channel) {
  const language = languageName(channel.language_code);
  const boothId = channel.booth_id;
  const assigned = new Set(channel.interpreters.map((i) => i.user_id));
  const available = members.filter((m) => !assigned.has(m.user_id));
  const headingId = `booth-${boothId}`;
  const selectId = `assign-${boothId}`;
  const boothPath = `/api/events/${event.id}/booths/${boothId}`;
  const form = h(
    "form",
    { class: "assign-form", "data-booth": boothId },
    h("div", {
      class: "form-alert",
      role: "alert",
      "data-form-alert": true,
      hidden: true,
    }),
    h(
      "label",
      { for: selectId },
      _("Add an interpreter"),
      h("span", {
        class: "visually-hidden",
        // the label reads "Add an interpreter to <language>, <topic>"
        text: " " + _("to %(language)s, %(topic)s", { language, topic: topic.name }),
      }),
    ),
    h(
      "select",
      { id: selectId, name: "user_id", required: true },
      h("option", { value: "", text: _("Choose a member") }),
      ...available.map((m) => h("option", { value: m.user_id, text: `${m.name} (${m.email})` })),
    ),
    h("button", { type: "submit", class: "button" }, _("Assign")),
    h("p", { class: "field-error", "data-error-for": "user_id" }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const userId = Number(form.elements.namedItem("user_id").value);
    if (!userId) return showProblem(form, invalid("user_id", _("Choose a member to assign.")));
    const who = members.find((m) => m.user_id === userId)?.name || _("Interpreter");
    await whileBusy(form, () =>
      change(
        "POST",
        `${boothPath}/interpreters`,
        { user_id: userId },
        {
          form,
          message: _("%(name)s assigned to %(language)s, %(topic)s.", { name: who, language, topic: topic.name }),
          focusId: [selectId, headingId],
        },
      ),
    );
  });
  return h(
    "div",
    { class: "booth", role: "group", "aria-labelledby": headingId },
    h(
      "h4",
      { id: headingId, tabindex: "-1" },
      _("%(language)s booth", { language }),
      h("span", { class: "code-tag", text: channel.language_code }),
    ),
    channel.interpreters.length
      ? h(
          "ul",
          { class: "interpreter-list" },
          ...channel.interpreters.map((i) =>
            h(
              "li",
              {},
              h(
                "span",
                {},
                h("strong", { text: i.name }),
                " ",
                h("span", { class: "muted", text: i.email }),
              ),
              removeButton(_("Unassign %(name)s from %(language)s, %(topic)s", { name: i.name, language, topic: topic.name }), () =>
                change("DELETE", `${boothPath}/interpreters/${i.user_id}`, undefined, {
                  message: _("%(name)s unassigned from %(language)s, %(topic)s.", { name: i.name, language, topic: topic.name }),
                  focusId: [selectId, headingId],
                }),
              ),
            ),
          ),
        )
      : h("p", { class: "empty", text: _("No interpreter yet.") }),
    available.length
      ? form
      : h("p", { class: "hint", text: _("Every member of the organisation is in this booth.") }),
  );
}

// --- details -----------------------------------------------------------------------------

const details = document.getElementById("event-details");

/** The details form as the API wants it: times with the chosen zone's offset. */
function detailsBody(form) {
  const values = Object.fromEntries(new FormData(form));
  const timezone = String(values.timezone || "UTC");
  const missing = ["title", "starts_at", "ends_at"].filter((k) => !String(values[k] || "").trim());
  if (missing.length) {
    throw new ApiError(422, {
      title: _("Invalid input"),
      errors: missing.map((field) => ({ field, message: _("Fill this in.") })),
    });
  }
  const body = {
    title: String(values.title).trim(),
    description: String(values.description || ""),
    starts_at: localToIso(String(values.starts_at), timezone),
    ends_at: localToIso(String(values.ends_at), timezone),
    timezone,
    listener_details: String(values.listener_details || "none"),
    mode: String(values.mode || "webinar"),
    waiting_room: values.waiting_room === "on",
    floor_language: String(values.floor_language || "").trim() || null,
    captions: values.captions === "on",
    keep_transcript: values.keep_transcript === "on",
  };
  if (!isNew && values.status) body.status = values.status;
  return body;
}

if (details && canManage && isNew) {
  const zoneSelect = details.elements.namedItem("timezone");
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (browserZone && [...zoneSelect.options].some((o) => o.value === browserZone)) {
    zoneSelect.value = browserZone;
  }
  bindJsonForm(details, {
    url: () => `/api/organisations/${details.elements.namedItem("organisation_id").value}/events`,
    body: (form) => {
      // A language typed but not yet added still counts.
      const pending = languageForm?.elements.namedItem("code");
      if (pending && pending.value.trim()) {
        try {
          addDraftLanguage(pending.value);
          pending.value = "";
          renderLanguages();
        } catch (error) {
          showProblem(languageForm, error);
          throw new ApiError(422, { title: _("Check the language you started to add") });
        }
      }
      return {
        ...detailsBody(form),
        languages: draft.languages.map(({ code, machine }) => ({ code, machine: Boolean(machine) })),
        topics: draft.topics,
      };
    },
    onSuccess: (created) => window.location.assign(`/events/${created.id}?created=1`),
  });
} else if (details && canManage) {
  bindJsonForm(details, {
    method: "PATCH",
    url: () => `/api/events/${event.id}`,
    body: detailsBody,
    onSuccess: (updated) => {
      event = updated;
      document.querySelector("h1").textContent = updated.title;
      document.title = `${updated.title} · Interpreta`;
      const schedule = document.getElementById("event-schedule");
      if (schedule) {
        const { starts_at: start, ends_at: end, timezone } = updated;
        schedule.textContent = describeSchedule(start, end, timezone, locale);
      }
      const badge = document.getElementById("event-status");
      if (badge) {
        badge.className = `badge badge-${updated.status}`;
        badge.textContent = (data.status_labels || {})[updated.status] || updated.status;
      }
      render();
      announce(_("Details saved."));
    },
  });
}

// --- copy, delete ------------------------------------------------------------------------

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h("textarea", { class: "visually-hidden", readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

// --- the speaker link ----------------------------------------------------------------------

const rotate = document.getElementById("rotate-speaker-link");
if (rotate && canManage) {
  rotate.addEventListener("click", async () => {
    const error = document.getElementById("rotate-speaker-link-error");
    if (!window.confirm(_("Replace the speaker link? Speakers using the old one are disconnected."))) {
      return;
    }
    error.textContent = "";
    rotate.disabled = true;
    try {
      await api("POST", `/api/events/${event.id}/speaker-link`);
      window.location.reload(); // the page shows the new links
    } catch (problem) {
      error.textContent = problem instanceof ApiError ? problem.message : String(problem);
      rotate.disabled = false;
    }
  });
}

// --- the room feed (WHIP and RTMP ingest) ------------------------------------------------------

const ingest = document.getElementById("ingest");

function showIngest(found) {
  for (const field of ingest.querySelectorAll("[data-ingest]")) {
    field.textContent = found[field.dataset.ingest] ?? "";
  }
  for (const row of ingest.querySelectorAll("[data-rtmp]")) row.hidden = !found.rtmp_url;
  ingest.hidden = false;
}

if (ingest && canManage) {
  api("GET", `/api/events/${event.id}/ingest`)
    .then(showIngest)
    .catch(() => {}); // not an organiser here: the card stays hidden
  const rotateKey = document.getElementById("rotate-ingest-key");
  rotateKey.addEventListener("click", async () => {
    const error = document.getElementById("rotate-ingest-key-error");
    if (!window.confirm(_("Replace the ingest key? Feeds sent with the old one end."))) return;
    error.textContent = "";
    rotateKey.disabled = true;
    try {
      showIngest(await api("POST", `/api/events/${event.id}/ingest-key`));
      announce(_("The ingest key was replaced."));
    } catch (problem) {
      error.textContent = problem instanceof ApiError ? problem.message : String(problem);
    }
    rotateKey.disabled = false;
  });
}

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    try {
      await copyText(button.dataset.copy);
      announce(button.dataset.copied || _("Copied."));
    } catch {
      announce(_("Could not copy; select the text and copy it yourself."));
    }
  });
}

const deleteButton = document.getElementById("delete-event");
if (deleteButton) {
  deleteButton.addEventListener("click", async () => {
    if (!window.confirm(_("Delete “%(title)s”? This cannot be undone.", { title: event.title }))) return;
    try {
      await api("DELETE", `/api/events/${event.id}`);
      window.location.assign("/events");
    } catch (error) {
      announce(error instanceof ApiError ? `${error.title}: ${error.detail}` : String(error));
    }
  });
}

function render() {
  renderLanguages();
  renderTopics();
  if (!isNew) renderBooths();
}

render();
