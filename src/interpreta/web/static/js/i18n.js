// The page scripts' messages in the page's language.
//
// The page embeds the translations of every message the scripts use
// (<script type="application/json" id="i18n-data">, from the catalogues); `_()` looks a
// message up there, in English when it has no translation, and fills `%(name)s`
// placeholders (`%%` is a percent sign, as in the catalogues' Python format). Write each message whole, as a string literal inside _(...): the
// extraction (scripts/messages, gettext's keyword) finds them there.

const element = document.getElementById("i18n-data");
const messages = element ? JSON.parse(element.textContent) : {};

/** The page's language (its <html lang>). */
export const locale = document.documentElement.lang || "en";

/**
 * `message` in the page's language, with its placeholders filled.
 * @param {string} message the English message, e.g. "Interpreter on air: %(name)s."
 * @param {Record<string, unknown>} [values] what fills its `%(name)s` placeholders
 */
export function _(message, values = {}) {
  const text = messages[message] || message;
  return text.replace(/%\((\w+)\)s|%%/g, (whole, name) => (whole === "%%" ? "%" : String(values[name] ?? "")));
}
