// The poster page's Print button (an inline handler would break the page's CSP).
const button = document.getElementById("print-poster");
if (button) button.addEventListener("click", () => window.print());
