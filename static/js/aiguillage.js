// Keyboard shortcuts for people who use Aiguillage all day: elements carry data-shortcut="key" ("/" search…).
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const element = document.querySelector(`[data-shortcut="${event.key}"]`);
  if (element instanceof HTMLElement) {
    event.preventDefault();
    // A link or a button is followed; a field gets the focus.
    if (element instanceof HTMLAnchorElement || element instanceof HTMLButtonElement) element.click();
    else element.focus();
  }
});

// After a form comes back with errors, take the user to the summary that lists them.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});

// j / k move between the rows of a list (the queue), Enter follows the focused link.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (typing || event.ctrlKey || event.metaKey || event.altKey || !["j", "k"].includes(event.key)) return;
  const links = Array.from(document.querySelectorAll("[data-row-link]"));
  if (!links.length) return;
  event.preventDefault();
  const current = links.indexOf(document.activeElement);
  const next = event.key === "j" ? Math.min(current + 1, links.length - 1) : Math.max(current - 1, 0);
  links[next].focus();
});

// A form sent twice by a double click: the second click does nothing (the server also ignores a repeated submission).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const button = form.querySelector("[data-submit-once]");
  if (!button) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  button.setAttribute("aria-disabled", "true");
});

// A long form typed while the session expires is kept in this tab and restored after logging in again.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-draft]");
  if (!form) return;
  const key = "aiguillage-draft:" + form.dataset.draft;
  const fields = () => Array.from(form.elements).filter((el) => el.name && el.name !== "csrfmiddlewaretoken" && el.name !== "submission_key");
  const hasErrors = document.getElementById("error-summary");
  const saved = sessionStorage.getItem(key);
  if (saved && !hasErrors) {
    const values = JSON.parse(saved);
    for (const el of fields()) {
      if (!(el.name in values)) continue;
      if (el.type === "checkbox") el.checked = values[el.name] === true;
      else if (el.type === "radio") el.checked = values[el.name] === el.value;
      else el.value = values[el.name];
    }
  }
  form.addEventListener("input", () => {
    const values = {};
    for (const el of fields()) {
      if (el.type === "checkbox") values[el.name] = el.checked;
      else if (el.type === "radio") { if (el.checked) values[el.name] = el.value; }
      else values[el.name] = el.value;
    }
    sessionStorage.setItem(key, JSON.stringify(values));
  });
  form.addEventListener("submit", () => sessionStorage.removeItem(key));
});

// Behaviour that would otherwise sit in inline attributes (onclick=, hx-on): our Content-Security-Policy runs no inline
// script, so elements declare it with data- attributes handled here.
// data-print: the button prints the page (the QR-code poster).
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof Element && target.closest("[data-print]")) window.print();
});

// data-focus-after-request="id": after its htmx request, the focus goes to that element (e.g. the commune count once a
// row, and the button that was focused in it, is removed). htmx fires the event again on the nearest element still in
// the page when the requesting one was swapped out, so the source is read from the request, not the event target.
document.addEventListener("htmx:afterRequest", (event) => {
  const source = event.detail && event.detail.requestConfig ? event.detail.requestConfig.elt : null;
  const id = source instanceof HTMLElement ? source.dataset.focusAfterRequest : undefined;
  const element = id ? document.getElementById(id) : null;
  if (element) element.focus();
});

// Buttons data-check="all" / data-check="none" tick or untick every checkbox of their form (the placement table).
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-check]") : null;
  if (!(button instanceof HTMLButtonElement) || !button.form) return;
  event.preventDefault();
  for (const box of button.form.querySelectorAll('input[type="checkbox"]')) box.checked = button.dataset.check === "all";
});

// The cell switcher (a <details> in the header): Escape closes it and gives the focus back to its button.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = document.querySelector("details[data-cell-switcher][open]");
  if (!open) return;
  open.open = false;
  open.querySelector("summary")?.focus();
});
