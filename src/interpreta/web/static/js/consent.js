// The cookie banner (P05): its two buttons answer over the API, so a live page never
// reloads; without this script they post the same form to /cookies. "Cookie settings" in
// the footer shows the banner again, to change the answer at any time.

import { allowPreferences, bannerVersion } from "./storage.js";

const banner = document.getElementById("consent-banner");
const form = document.getElementById("consent-form");
const settings = document.getElementById("cookie-settings");

async function answer(preferences) {
  const response = await fetch("/api/consent", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ version: bannerVersion, preferences }),
  });
  if (!response.ok) throw new Error(`consent not recorded (${response.status})`);
  allowPreferences(preferences);
  banner.hidden = true;
  document.dispatchEvent(new CustomEvent("interpreta:consent", { detail: { preferences } }));
}

form?.addEventListener("submit", (event) => {
  event.preventDefault();
  const preferences = event.submitter?.value === "yes";
  answer(preferences).catch(() => {
    // the form still works without the API: post it, with the button's value
    const chosen = Object.assign(document.createElement("input"), { type: "hidden", name: "preferences" });
    chosen.value = preferences ? "yes" : "no";
    form.append(chosen);
    form.submit();
  });
});

settings?.addEventListener("click", (event) => {
  if (!banner || !banner.hidden) return;
  event.preventDefault();
  banner.hidden = false;
  banner.querySelector("button")?.focus();
});
