// "Estimates about you" on the account page (P37, P33): the engagement estimates about
// the signed-in person (GET /api/me/engagement), each with a button that asks for a person
// to check it (POST /api/me/engagement/{id}/review), after which it shows as waiting.

import { ApiError, api } from "./api.js";
import { _ } from "./i18n.js";
import { h } from "./dom.js";
import { formatValue, measureName, percent, reviewWords } from "./engagement-words.js";

const box = document.getElementById("my-engagement");
const statusBox = document.getElementById("my-engagement-status");

/** Say `text` to screen readers (a fresh text node, so a repeat is said again). */
function announce(text) {
  statusBox.textContent = "";
  window.setTimeout(() => {
    statusBox.textContent = text;
  }, 30);
}

function problemText(error) {
  return error instanceof ApiError ? [error.title, error.detail].filter(Boolean).join(": ") : String(error);
}

function eventName(estimate) {
  return estimate.event_title || _("Event %(number)s", { number: estimate.event_id ?? "?" });
}

/** Waiting for a person because its subject asked: asking again changes nothing. */
function asked(estimate) {
  return estimate.review === "queued" && estimate.review_requested;
}

function askButton(estimate, row) {
  const what = _("%(measure)s in %(event)s", { measure: measureName(estimate.measure), event: eventName(estimate) });
  const error = h("span", { class: "field-error", id: `ask-${estimate.id}-error` });
  const button = h(
    "button",
    { type: "button", class: "button button-small", "aria-describedby": `ask-${estimate.id}-error` },
    _("Ask a person to check"),
    h("span", { class: "visually-hidden", text: ` ${what}` }),
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.textContent = "";
    try {
      const done = await api("POST", `/api/me/engagement/${estimate.id}/review`);
      const updated = { ...estimate, ...done, event_id: estimate.event_id, event_title: estimate.event_title };
      const fresh = estimateRow(updated);
      row.replaceWith(fresh);
      fresh.querySelector("[data-review]").focus();
      announce(_("A person will check it: %(what)s.", { what }));
    } catch (failure) {
      button.disabled = false;
      error.textContent = problemText(failure);
    }
  });
  return h("td", {}, button, " ", error);
}

function estimateRow(estimate) {
  const row = h(
    "tr",
    { "data-estimate-id": estimate.id },
    h("td", { text: eventName(estimate) }),
    h("td", { text: measureName(estimate.measure) }),
    h("td", { class: "number", text: formatValue(estimate.measure, estimate.value) }),
    h("td", { class: "number", text: percent(estimate.confidence) }),
    h("td", { "data-review": true, tabindex: -1, text: reviewWords(estimate, { yours: true }) }),
  );
  row.append(asked(estimate) ? h("td", {}) : askButton(estimate, row));
  return row;
}

function render(estimates) {
  box.removeAttribute("aria-busy");
  if (!estimates.length) {
    box.replaceChildren(h("p", { class: "empty", text: _("There are no estimates about you.") }));
    return;
  }
  const headings = [_("Event"), _("Measure"), _("Estimate"), _("Confidence"), _("Checked by a person")];
  box.replaceChildren(
    h(
      "div",
      { class: "table-scroll", role: "region", tabindex: 0, "aria-labelledby": "engagement-heading" },
      h(
        "table",
        { "aria-labelledby": "engagement-heading" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...headings.map((text) => h("th", { scope: "col", text })),
            h("th", { scope: "col" }, h("span", { class: "visually-hidden", text: _("Action") })),
          ),
        ),
        h("tbody", {}, ...estimates.map(estimateRow)),
      ),
    ),
  );
}

async function load() {
  try {
    render(await api("GET", "/api/me/engagement"));
  } catch (error) {
    box.removeAttribute("aria-busy");
    box.replaceChildren(h("p", { role: "alert", text: problemText(error) }));
  }
}

if (box) load();
