// The organisers' engagement estimates of an event (/events/{id}/engagement, P37).
//
// The page reads and writes everything through the API: the estimates
// (GET /api/events/{id}/engagement), the review queue (GET .../engagement/reviews), making
// them (POST .../engagement: 409 while the organisation has them off), each queued
// estimate's evidence (GET .../engagement/{estimate}/evidence: WAV or JPEG), and a
// person's review (POST .../engagement/{estimate}/review: confirm, or correct with the
// value found; 422 names the field). The table is drawn again from what the server
// answers, so the page always shows what it holds.

import { ApiError, api } from "./api.js";
import { clearErrors, showProblem, whileBusy } from "./forms.js";
import { _ } from "./i18n.js";
import { announcer, h } from "./dom.js";
import {
  formatValue,
  measureName,
  participantName,
  percent,
  reviewWords,
  valueHint,
} from "./engagement-words.js";

const data = JSON.parse(document.getElementById("engagement-data").textContent);
const base = `/api/events/${data.event_id}/engagement`;

const announce = announcer(document.getElementById("engagement-status"));

function problemText(error) {
  return error instanceof ApiError ? [error.title, error.detail].filter(Boolean).join(": ") : String(error);
}

/** "Speaking time of Ada": what one estimate is about, in words. */
function about(estimate) {
  return _("%(measure)s of %(participant)s", {
    measure: measureName(estimate.measure),
    participant: participantName(estimate),
  });
}

// --- the estimates, by participant ------------------------------------------------------

/** The event's estimates, as the server last gave them (by participant, then measure). */
let estimates = [];
const table = document.getElementById("estimates");

function byParticipant(list) {
  const groups = new Map();
  for (const estimate of list) {
    if (!groups.has(estimate.participant_id)) groups.set(estimate.participant_id, []);
    groups.get(estimate.participant_id).push(estimate);
  }
  return [...groups.values()];
}

function reviewCell(estimate) {
  return h(
    "td",
    {},
    reviewWords(estimate),
    estimate.review_note && h("br"),
    estimate.review_note && h("span", { class: "small", text: _("Note: %(note)s", { note: estimate.review_note }) }),
  );
}

function renderEstimates() {
  table.removeAttribute("aria-busy");
  if (!estimates.length) {
    table.replaceChildren(
      h("p", { class: "empty", text: _("No estimates yet. Make them once the event has ended and its recordings are done.") }),
    );
    return;
  }
  const headings = [
    _("Participant"),
    _("Measure"),
    _("Estimate"),
    _("Confidence"),
    _("How it was made"),
    _("Checked by a person"),
  ];
  const head = h("thead", {}, h("tr", {}, ...headings.map((text) => h("th", { scope: "col", text }))));
  const groups = byParticipant(estimates).map((rows) =>
    h(
      "tbody",
      {},
      ...rows.map((estimate, index) =>
        h(
          "tr",
          { "data-estimate-id": estimate.id },
          index === 0 && h("th", { scope: "rowgroup", rowspan: rows.length, text: participantName(estimate) }),
          h("td", { text: measureName(estimate.measure) }),
          h("td", { class: "number", text: formatValue(estimate.measure, estimate.value) }),
          h("td", { class: "number", text: percent(estimate.confidence) }),
          // The method is the server's own description, in English.
          h("td", {}, h("span", { lang: "en", text: estimate.method })),
          reviewCell(estimate),
        ),
      ),
    ),
  );
  table.replaceChildren(
    h("div", { class: "table-scroll", role: "region", tabindex: 0, "aria-labelledby": "estimates-heading" }, h("table", { "aria-labelledby": "estimates-heading" }, head, ...groups)),
  );
}

// --- the review queue ---------------------------------------------------------------------

/** The estimates waiting for a person to check them, requested ones first. */
let queue = [];
const queueBox = document.getElementById("queue");
const queueHeading = document.getElementById("queue-heading");
/** The object URLs of the sounds shown, by estimate ID: freed when their item goes. */
const soundUrls = new Map();

function emptyQueue() {
  return h("p", { class: "empty", id: "queue-empty", text: _("Nothing is waiting for a person to check it.") });
}

function forget(estimateId) {
  const url = soundUrls.get(estimateId);
  if (url) URL.revokeObjectURL(url);
  soundUrls.delete(estimateId);
}

function renderQueue() {
  queueBox.removeAttribute("aria-busy");
  for (const id of [...soundUrls.keys()]) forget(id);
  if (!queue.length) {
    queueBox.replaceChildren(emptyQueue());
    return;
  }
  const items = queue.map(queueItem);
  queueBox.replaceChildren(h("ul", { class: "recording-list", id: "review-list" }, ...items));
}

/** A blob as a data: URL (the pages' policy lets pictures come from data:, not blob:). */
function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** Fetch what `estimate` was made from (with the session's cookie) and show it. */
async function showEvidence(estimate, holder) {
  const what = about(estimate);
  try {
    const response = await fetch(`${base}/${estimate.id}/evidence`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    const blob = await response.blob();
    const type = (response.headers.get("Content-Type") || blob.type).split(";")[0].trim();
    if (type.startsWith("audio/")) {
      const url = URL.createObjectURL(blob);
      soundUrls.set(estimate.id, url);
      const sound = h("audio", { controls: true, preload: "metadata", src: url, "aria-label": _("The sound it was made from: %(what)s", { what }) });
      sound.style.width = "100%";
      sound.style.maxWidth = "32rem";
      holder.replaceChildren(sound);
    } else if (type.startsWith("image/")) {
      const picture = h("img", { src: await dataUrl(blob), alt: _("The frame of the stage video it was made from: %(what)s", { what }) });
      picture.style.maxWidth = "100%";
      picture.style.height = "auto";
      holder.replaceChildren(picture);
    } else {
      throw new Error(type);
    }
  } catch {
    holder.replaceChildren(
      h("p", { class: "empty", text: _("What it was made from could not be loaded: its recording may have been deleted.") }),
    );
  }
}

function invalidValue(message) {
  return new ApiError(422, { title: _("Invalid input"), errors: [{ field: "value", message }] });
}

/** One queued estimate: what it says, its evidence, and the reviewer's form. */
function queueItem(estimate) {
  const id = `review-${estimate.id}`;
  const what = about(estimate);
  const evidence = h(
    "div",
    { id: `${id}-evidence`, class: "stack" },
    estimate.has_evidence
      ? h("span", { class: "empty", text: _("Loading…") })
      : h("span", { class: "empty", text: _("Nothing: its recording is gone.") }),
  );
  const valueId = `${id}-value`;
  const noteId = `${id}-note`;
  const valueInput = h("input", {
    id: valueId,
    name: "value",
    type: "number",
    step: "any",
    min: 0,
    max: estimate.measure === "camera_presence" ? 1 : null,
    inputmode: "decimal",
    "aria-describedby": `${valueId}-hint ${valueId}-error`,
  });
  const confirmButton = h(
    "button",
    { type: "submit", class: "button button-primary", name: "decision", value: "confirm" },
    _("Confirm"),
    h("span", { class: "visually-hidden", text: ` ${what}` }),
  );
  const correctButton = h(
    "button",
    { type: "submit", class: "button", name: "decision", value: "correct" },
    _("Correct"),
    h("span", { class: "visually-hidden", text: ` ${what}` }),
  );
  const form = h(
    "form",
    { id: `${id}-form`, class: "stack", novalidate: true, "aria-labelledby": `${id}-heading` },
    h("div", { class: "form-alert", id: `${id}-form-alert`, role: "alert", "aria-live": "assertive", "data-form-alert": true, hidden: true }),
    h(
      "div",
      { class: "field", "data-field": "value" },
      h("label", { for: valueId }, _("The value you found"), " ", h("span", { class: "optional", text: _("(to correct it)") })),
      h("p", { class: "hint", id: `${valueId}-hint`, text: valueHint(estimate.measure) }),
      valueInput,
      h("p", { class: "field-error", id: `${valueId}-error`, "data-error-for": "value" }),
    ),
    h(
      "div",
      { class: "field", "data-field": "note" },
      h("label", { for: noteId }, _("Note"), " ", h("span", { class: "optional", text: _("(optional)") })),
      h("textarea", { id: noteId, name: "note", rows: 2, maxlength: 2000, "aria-describedby": `${noteId}-error` }),
      h("p", { class: "field-error", id: `${noteId}-error`, "data-error-for": "note" }),
    ),
    h("div", { class: "form-actions" }, confirmButton, correctButton),
  );
  const item = h(
    "li",
    { class: "card stack", "data-estimate-id": estimate.id },
    h("h3", { id: `${id}-heading`, class: "h3", tabindex: -1, text: what }),
    h(
      "dl",
      { class: "facts" },
      h("dt", { text: _("Estimate") }),
      h("dd", { text: formatValue(estimate.measure, estimate.value) }),
      h("dt", { text: _("Confidence") }),
      h("dd", { text: percent(estimate.confidence) }),
      h("dt", { text: _("How it was made") }),
      h("dd", {}, h("span", { lang: "en", text: estimate.method })),
      h("dt", { text: _("Why it is here") }),
      h("dd", {
        text: estimate.review_requested
          ? _("The person it is about asked for a person to check it.")
          : _("Sampled at random for checking."),
      }),
    ),
    h("p", { text: _("What it was made from:") }),
    evidence,
    form,
  );
  // Enter in the value field corrects (the form's first button would confirm).
  valueInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit(correctButton);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const decision = event.submitter === correctButton ? "correct" : "confirm";
    if (valueInput.validity.badInput) {
      showProblem(form, invalidValue(_("Type a number, such as 12 or 0.5.")));
      return;
    }
    const body = { decision };
    if (valueInput.value !== "") body.value = Number(valueInput.value);
    const note = form.elements.namedItem("note").value.trim();
    if (note) body.note = note;
    await whileBusy(form, async () => {
      try {
        const done = await api("POST", `${base}/${estimate.id}/review`, body);
        reviewed(estimate, done, item);
      } catch (error) {
        showProblem(form, error);
      }
    });
  });
  if (estimate.has_evidence) showEvidence(estimate, evidence);
  return item;
}

/** A review was recorded: update the table, take the item off the queue, say so. */
function reviewed(estimate, done, item) {
  const index = estimates.findIndex((e) => e.id === estimate.id);
  if (index >= 0) {
    const known = estimates[index];
    estimates[index] = { ...known, ...done, participant: known.participant, event_id: known.event_id };
  }
  renderEstimates();
  queue = queue.filter((e) => e.id !== estimate.id);
  const next = item.nextElementSibling || item.previousElementSibling;
  forget(estimate.id);
  item.remove();
  if (!queue.length) queueBox.replaceChildren(emptyQueue());
  announce(
    done.review === "corrected"
      ? _("Corrected: %(what)s, to %(value)s.", { what: about(estimate), value: formatValue(done.measure, done.reviewed_value) })
      : _("Confirmed: %(what)s.", { what: about(estimate) }),
  );
  (next?.querySelector("h3") || queueHeading).focus();
}

// --- making the estimates -------------------------------------------------------------------

const makeForm = document.getElementById("make-estimates");
makeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(makeForm);
  await whileBusy(makeForm, async () => {
    try {
      const made = await api("POST", base);
      estimates = made.estimates;
      renderEstimates();
      queue = await api("GET", `${base}/reviews`);
      renderQueue();
      announce(_("Estimates made: %(count)s.", { count: made.made }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        const alert = makeForm.querySelector("[data-form-alert]");
        const hint = _("Ask an owner of %(organisation)s: they can turn engagement estimates on for all its events.", {
          organisation: data.organisation,
        });
        alert.textContent = `${error.detail} ${hint}`;
        alert.hidden = false;
      } else {
        showProblem(makeForm, error);
      }
    }
  });
});

// --- first load -------------------------------------------------------------------------------

async function load() {
  try {
    [estimates, queue] = await Promise.all([api("GET", base), api("GET", `${base}/reviews`)]);
    renderEstimates();
    renderQueue();
  } catch (error) {
    for (const box of [table, queueBox]) box.removeAttribute("aria-busy");
    table.replaceChildren(h("p", { role: "alert", text: problemText(error) }));
    queueBox.replaceChildren(h("p", { class: "empty", text: _("Not loaded.") }));
  }
}

load();
