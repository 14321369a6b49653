// The floor's input-quality meter, as the server measured it (state.input_quality):
// loudness, clipping, bandwidth and noise, and the network's packet loss and jitter, each
// marked good or to check, in words as well as in colour.

import { _ } from "../i18n.js";

function number(value, digits = 1) {
  return new Intl.NumberFormat(document.documentElement.lang || undefined, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** The floor channel of `topicId` in a state, or null. */
export function floorOf(state, topicId) {
  return state?.channels?.find((c) => c.kind === "floor" && c.topic_id === topicId)?.id ?? null;
}

/** Show the figures of one floor (`figures` null: nothing measured yet) in `element`. */
export function renderQuality(element, figures) {
  if (!element) return;
  const list = element.querySelector("ul");
  const empty = element.querySelector("p");
  element.dataset.lufs = figures?.lufs ?? "";
  if (!figures || figures.lufs === null) {
    list.replaceChildren();
    empty.hidden = false;
    return;
  }
  empty.hidden = true;
  const rows = [
    ["loudness", _("Loudness"), _("%(value)s LUFS", { value: number(figures.lufs) })],
    [
      "clipping",
      _("Clipping"),
      figures.clipped > 0 ? _("%(value)s %% of samples", { value: number(figures.clipped * 100, 2) }) : _("none"),
    ],
    ["bandwidth", _("Bandwidth"), _("%(value)s kHz", { value: number(figures.bandwidth / 1000) })],
    ["noise", _("Noise"), figures.snr === null ? _("not measurable yet") : _("SNR %(value)s dB", { value: number(figures.snr, 0) })],
  ];
  if (figures.loss !== undefined) {
    rows.push(["loss", _("Packet loss"), _("%(value)s %%", { value: number(figures.loss * 100, 1) })]);
    rows.push(["jitter", _("Jitter"), figures.jitter_ms === null ? _("not measurable yet") : _("%(value)s ms", { value: number(figures.jitter_ms, 0) })]);
  }
  const signature = JSON.stringify([rows, figures.verdicts]);
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  list.replaceChildren(
    ...rows.map(([criterion, label, value]) => {
      const item = document.createElement("li");
      const passed = figures.verdicts[criterion] !== false;
      item.dataset.criterion = criterion;
      item.dataset.passed = passed ? "true" : "false";
      const name = document.createElement("span");
      name.className = "quality-name";
      name.textContent = label;
      const shown = document.createElement("span");
      shown.className = "quality-value";
      shown.textContent = value;
      const mark = document.createElement("span");
      mark.className = "quality-mark";
      mark.textContent = passed ? _("good") : _("check");
      item.append(name, shown, mark);
      return item;
    }),
  );
}
