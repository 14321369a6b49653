// Everything the pages keep in the browser goes through here (P05).
//
// The page embeds the storage inventory (<script type="application/json"
// id="storage-data">, from the data map: datamap/storage.py) and the visitor's answer to
// the cookie banner. A key the inventory does not declare is refused with an error. A
// strictly necessary key is kept at once; a preference is kept on the device only once
// the visitor allowed preferences, and until then only in this page's memory, so the
// setting still works while the page is open. Withdrawing deletes every preference key.

const element = document.getElementById("storage-data");
const data = element ? JSON.parse(element.textContent) : { items: [], preferences: false };
const items = data.items.map((item) => ({ ...item, regex: new RegExp(item.pattern) }));
const memory = { local: new Map(), session: new Map() };
let allowed = Boolean(data.preferences);

/** The banner's version this page shows. */
export const bannerVersion = data.version;

function declared(kind, key) {
  return items.find((item) => item.kind === kind && item.regex.test(key));
}

function itemFor(kind, key) {
  const item = declared(kind, key);
  if (!item) throw new Error(`${kind} storage key ${key} is not in the storage inventory`);
  return item;
}

function area(kind) {
  try {
    return kind === "local" ? window.localStorage : window.sessionStorage;
  } catch {
    return null; // storage disabled by the browser: memory only
  }
}

function keeps(item) {
  return item.necessary || allowed;
}

function store(kind) {
  return {
    /** The value kept under `key`, or null. */
    get(key) {
      const item = itemFor(kind, key);
      if (memory[kind].has(key)) return memory[kind].get(key);
      return keeps(item) ? (area(kind)?.getItem(key) ?? null) : null;
    },
    /** Keep `value` under `key` (on the device only when the inventory and consent allow). */
    set(key, value) {
      const item = itemFor(kind, key);
      memory[kind].set(key, String(value));
      if (keeps(item)) area(kind)?.setItem(key, String(value));
    },
  };
}

/** Settings kept on this device (localStorage). */
export const remembered = store("local");
/** What a tab keeps while it reloads (sessionStorage). */
export const forTheTab = store("session");

function forgetPreferences() {
  for (const kind of ["local", "session"]) {
    const storage = area(kind);
    if (!storage) continue;
    for (let index = storage.length - 1; index >= 0; index -= 1) {
      const key = storage.key(index);
      const item = declared(kind, key);
      if (item && !item.necessary) storage.removeItem(key);
    }
  }
}

/**
 * Allow or stop keeping preferences on this device: allowed, what this page holds in
 * memory is kept; stopped, every preference key is deleted.
 * @param {boolean} yes
 */
export function allowPreferences(yes) {
  allowed = yes;
  if (!yes) {
    forgetPreferences();
    return;
  }
  for (const kind of ["local", "session"]) {
    for (const [key, value] of memory[kind]) {
      if (!declared(kind, key).necessary) area(kind)?.setItem(key, value);
    }
  }
}

// an answer given without this script (the cookie page's form) takes effect here
if (!allowed) forgetPreferences();
