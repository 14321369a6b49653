// Building the pages' elements in script: one helper, shared by the pages' modules.

/**
 * Make an element: h("li", {class: "chip"}, "text", child).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|null|undefined|false)} children
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/**
 * A function that says a text to screen readers through `box` (a live region) and
 * shows it briefly.
 * @param {HTMLElement} box
 */
export function announcer(box) {
  let timer = 0;
  return (/** @type {string} */ text) => {
    window.clearTimeout(timer);
    box.textContent = "";
    box.classList.remove("visible");
    // A fresh text node after a tick, so that repeating a message is announced again.
    window.setTimeout(() => {
      box.textContent = text;
      box.classList.add("visible");
      timer = window.setTimeout(() => box.classList.remove("visible"), 4000);
    }, 30);
  };
}
