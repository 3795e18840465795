// Keyboard shortcuts for people who use Aiguillage all day: "/" focuses the page's search field.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const field = document.querySelector(`[data-shortcut="${event.key}"]`);
  if (field instanceof HTMLElement) {
    event.preventDefault();
    field.focus();
  }
});

// After a form comes back with errors, take the user to the summary that lists them.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
