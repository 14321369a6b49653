// Sign-in and sign-up pages: post the form to the API, then go where the user was headed.

import { bindJsonForm } from "./forms.js";

for (const form of document.querySelectorAll("form[data-api]")) {
  const next = form.dataset.next || "/events";
  bindJsonForm(form, {
    url: form.dataset.api,
    onSuccess: () => {
      // Only ever a path on this site (the server checked it too).
      window.location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/events");
    },
  });
}
