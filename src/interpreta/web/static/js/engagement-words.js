// Engagement estimates in words (P37), for the organisers' page (engagement.js) and the
// account page's "Estimates about you" (my-engagement.js): what each measure is, its
// value in the measure's unit (a time, a share, a count), its confidence, and where it
// stands with human review. Every status is said in words, never by colour alone.

import { _, locale } from "./i18n.js";

/** @param {string} measure */
export function measureName(measure) {
  switch (measure) {
    case "speaking_time":
      return _("Speaking time");
    case "speaking_turns":
      return _("Speaking turns");
    case "camera_presence":
      return _("A face on camera (share of frames)");
    case "chat_messages":
      return _("Chat messages");
    case "poll_votes":
      return _("Poll answers");
    case "questions":
      return _("Questions asked");
    default:
      return measure;
  }
}

/** Made by a detector from sound or pictures, rather than counted. */
export function detected(measure) {
  return ["speaking_time", "speaking_turns", "camera_presence"].includes(measure);
}

const percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
const countFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

/** A share from 0 to 1 as a percentage ("72 %" or "72%", as the language writes it). */
export function percent(share) {
  return percentFormat.format(share);
}

/** Seconds as "45 s", "1 min 12 s" or "1 h 5 min". */
export function duration(seconds) {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return _("%(seconds)s s", { seconds: total });
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return _("%(minutes)s min %(seconds)s s", { minutes, seconds: total % 60 });
  return _("%(hours)s h %(minutes)s min", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}

/** `value` in the unit of `measure`: a time, a share of frames, or a count. */
export function formatValue(measure, value) {
  if (value === null || value === undefined) return "";
  if (measure === "speaking_time") return duration(value);
  if (measure === "camera_presence") return percent(value);
  return countFormat.format(value);
}

/** What a reviewer types when correcting an estimate of `measure` (the API's unit). */
export function valueHint(measure) {
  if (measure === "speaking_time") return _("In seconds: 72 is 1 min 12 s.");
  if (measure === "camera_presence") return _("A share from 0 to 1: 0.25 is a quarter of the frames.");
  return _("A count.");
}

/** The estimate's participant, by name when they gave one. */
export function participantName(estimate) {
  return estimate.participant || _("Participant %(number)s", { number: estimate.participant_id });
}

/**
 * Where the estimate stands with human review, in words; `yours` when the reader is the
 * person it is about.
 */
export function reviewWords(estimate, { yours = false } = {}) {
  switch (estimate.review) {
    case "queued":
      if (!estimate.review_requested) return _("Waiting for a person to check it (sampled)");
      return yours
        ? _("Waiting for a person to check it, as you asked")
        : _("Waiting for a person to check it, as the person it is about asked");
    case "confirmed":
      return _("Confirmed by a person");
    case "corrected":
      return _("Corrected by a person to %(value)s", {
        value: formatValue(estimate.measure, estimate.reviewed_value),
      });
    default:
      return _("Not checked by a person");
  }
}
