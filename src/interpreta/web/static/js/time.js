// Wall-clock times in an event's time zone.
//
// A <input type="datetime-local"> holds a wall-clock time without a zone, such as
// "2026-12-01T09:00". In the editor that time means 09:00 in the event's IANA time zone
// (chosen in the form), which need not be the browser's zone, so `new Date(value)` (which
// reads it in the browser's zone) would be wrong. The API wants ISO 8601 with an offset.
//
// The offset of a zone at a given moment is found with Intl.DateTimeFormat, which carries
// the IANA database: format the moment in the zone, read the wall-clock fields back as if
// they were UTC, and the difference is the offset. To find the offset *at a wall time*,
// first take the offset at the instant "wall time read as UTC" (a guess at most a day off),
// then correct once with the offset at the instant that guess gives. Two steps are enough
// for every real zone. Around DST changes: a wall time that does not exist (clocks jump
// forward, 02:30 on the spring-forward day) resolves to a real instant next to it; a wall
// time that happens twice (clocks go back) resolves to one of its two instants.

const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, "0");

const formatters = new Map();

function formatterFor(timeZone) {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * The UTC offset of `timeZone` at the instant `epochMs`, in minutes (east positive).
 * @param {number} epochMs
 * @param {string} timeZone IANA name
 */
export function zoneOffsetMinutes(epochMs, timeZone) {
  const parts = {};
  for (const { type, value } of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    parts[type] = Number(value);
  }
  const wallAsUtc = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour % 24,
    parts.minute,
    parts.second,
  );
  const wholeSeconds = Math.floor(epochMs / 1000) * 1000;
  return Math.round((wallAsUtc - wholeSeconds) / 60000);
}

/**
 * "+01:00" for 60, "-03:30" for -210, "+00:00" for 0.
 * @param {number} minutes
 */
export function formatOffset(minutes) {
  const sign = minutes < 0 ? "-" : "+";
  return `${sign}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`;
}

/**
 * A datetime-local value read in `timeZone`, as ISO 8601 with that zone's offset:
 * ("2026-12-01T09:00", "Europe/Berlin") -> "2026-12-01T09:00:00+01:00".
 * @param {string} local "YYYY-MM-DDTHH:MM" (seconds allowed)
 * @param {string} timeZone IANA name
 */
export function localToIso(local, timeZone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(local || "");
  if (!match) throw new RangeError(`not a date and time: ${local}`);
  const [, y, mo, d, h, mi, s = "00"] = match;
  const wallAsUtc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  let offset = zoneOffsetMinutes(wallAsUtc, timeZone);
  const corrected = zoneOffsetMinutes(wallAsUtc - offset * 60000, timeZone);
  if (corrected !== offset) offset = corrected;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${formatOffset(offset)}`;
}

/**
 * "Tuesday 1 December 2026, 09:00–17:30 CET" for two instants, in `timeZone`, as the
 * server writes it on the pages: in another language than English the day is that
 * language's full date (CLDR, "Dienstag, 1. Dezember 2026"), the times and zone as in
 * English.
 * @param {string} startIso
 * @param {string} endIso
 * @param {string} timeZone IANA name
 * @param {string} language the page's language ("en", "de"...)
 */
export function describeSchedule(startIso, endIso, timeZone, language = "en") {
  const fullDate = language === "en" ? null : new Intl.DateTimeFormat(language, { timeZone, dateStyle: "full" });
  const pieces = (iso) => {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    for (const { type, value } of format.formatToParts(new Date(iso))) parts[type] = value;
    return {
      day: fullDate ? fullDate.format(new Date(iso)) : `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}`,
      time: `${parts.hour}:${parts.minute}`,
      zone: parts.timeZoneName,
    };
  };
  const start = pieces(startIso);
  const end = pieces(endIso);
  if (start.day === end.day) return `${start.day}, ${start.time}–${end.time} ${end.zone}`;
  return `${start.day}, ${start.time} – ${end.day}, ${end.time} ${end.zone}`;
}
