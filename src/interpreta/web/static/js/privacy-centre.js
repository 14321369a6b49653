// The privacy centre: send rights requests, and let handlers answer or refuse a part.
import { api } from "./api.js";
import { _ } from "./i18n.js";

/** @param {HTMLElement} alertBox @param {string} text */
function say(alertBox, text) {
  if (!alertBox) return;
  alertBox.textContent = text;
  alertBox.hidden = false;
}

for (const form of document.querySelectorAll("form[data-privacy-request]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const alertBox = form.querySelector("[data-form-alert]");
    const body = Object.fromEntries(new FormData(form).entries());
    try {
      const result = await api("POST", form.dataset.privacyRequest, body);
      say(
        alertBox,
        result.detail ||
          _("Request #%(id)s received; due %(date)s.", { id: result.id, date: result.deadline.slice(0, 10) }),
      );
      if (result.id) window.setTimeout(() => window.location.reload(), 800);
    } catch (error) {
      say(alertBox, error.detail || error.message);
    }
  });
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-execute], [data-reject]");
  if (!button) return;
  const alertBox = document.querySelector("[data-form-alert]");
  try {
    if (button.dataset.execute) {
      if (!window.confirm(_("Carry out this request now? This cannot be undone."))) return;
      await api("POST", button.dataset.execute, {});
    } else {
      const reason = window.prompt(_("Why is this request refused?"));
      if (!reason) return;
      await api("POST", button.dataset.reject, { reason });
    }
    window.location.reload();
  } catch (error) {
    say(alertBox, error.detail || error.message);
  }
});
