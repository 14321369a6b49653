// Forms that post JSON to the API and show problem+json errors accessibly: each field
// error goes into the <p class="field-error"> that the input's aria-describedby names,
// the input gets aria-invalid, and a summary goes into the form's role="alert" box.

import { ApiError, api } from "./api.js";
import { _ } from "./i18n.js";

/**
 * The form's named, enabled controls as an object of strings.
 * @param {HTMLFormElement} form
 * @returns {Record<string, string>}
 */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string") values[name] = value;
  }
  return values;
}

/** @param {HTMLFormElement} form */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
  const alert = form.querySelector("[data-form-alert]");
  if (alert) {
    alert.textContent = "";
    alert.hidden = true;
  }
}

/**
 * Show an error (ApiError or anything else) in `form`; focus the first bad field.
 * @param {HTMLFormElement} form
 * @param {unknown} error
 */
export function showProblem(form, error) {
  const problem =
    error instanceof ApiError
      ? error
      : { title: _("Something went wrong"), detail: String(error), errors: [] };
  const unplaced = [];
  let first = null;
  for (const { field, message } of problem.errors) {
    const name = String(field || "").split(".")[0];
    const slot = name && form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const input = name && form.elements.namedItem(name);
    if (slot && input instanceof HTMLElement) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
      input.setAttribute("aria-invalid", "true");
      first ??= input;
    } else {
      unplaced.push(field ? `${field}: ${message}` : message);
    }
  }
  const alert = form.querySelector("[data-form-alert]");
  if (alert) {
    const summary = first
      ? _("%(title)s. Check the fields marked below.", { title: problem.title })
      : [problem.title, problem.detail].filter(Boolean).join(": ");
    alert.textContent = [summary, ...unplaced].join(" ");
    alert.hidden = false;
  }
  if (first) first.focus();
}

/**
 * Mark `form` busy (its submit buttons disabled) while `work` runs.
 * @template T
 * @param {HTMLFormElement} form
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function whileBusy(form, work) {
  const buttons = [
    ...form.querySelectorAll("button[type=submit], button:not([type])"),
    ...(form.id ? document.querySelectorAll(`button[form="${CSS.escape(form.id)}"]`) : []),
  ];
  form.setAttribute("aria-busy", "true");
  for (const b of buttons) b.disabled = true;
  try {
    return await work();
  } finally {
    form.removeAttribute("aria-busy");
    for (const b of buttons) b.disabled = false;
  }
}

/**
 * Submit `form` to the API as JSON; on success call `onSuccess` with the answer.
 * @param {HTMLFormElement} form
 * @param {{
 *   method?: string,
 *   url: string | (() => string),
 *   body?: (form: HTMLFormElement) => unknown,
 *   onSuccess: (data: any) => void | Promise<void>,
 * }} options
 */
export function bindJsonForm(form, { method = "POST", url, body = formValues, onSuccess }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    await whileBusy(form, async () => {
      try {
        const target = typeof url === "function" ? url() : url;
        const data = await api(method, target, body(form));
        await onSuccess(data);
      } catch (error) {
        showProblem(form, error);
      }
    });
  });
}
