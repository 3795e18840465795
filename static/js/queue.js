// New requests on the queue (referrals/queue.html): when the table's own refresh (every 30 s, htmx) brings a request
// that was not in it before, its row is highlighted, the tab's title counts the new requests until the coordinator
// comes back to the page, and the page's polite live region says how many arrived. A change of filters brings rows
// too, but nothing new: those are only remembered.
(() => {
  const ROWS = "queue-rows";
  const baseTitle = document.title;
  const known = new Set();
  const unseen = new Set(); // arrived while the coordinator was not looking, or since they last did

  const rowsOf = (tbody) => Array.from(tbody.querySelectorAll("tr[data-request]"));

  function remember(tbody) {
    for (const row of rowsOf(tbody)) known.add(row.dataset.request);
  }

  function showTitle() {
    document.title = unseen.size ? `(${unseen.size}) ${baseTitle}` : baseTitle;
  }

  function announce(tbody, count) {
    const region = document.getElementById("live-status");
    if (!region) return;
    const text = count === 1 ? tbody.dataset.newOne : (tbody.dataset.newSome || "").replace("{count}", String(count));
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 50); // a change after a tick is announced reliably
  }

  function seen() {
    if (document.visibilityState !== "visible" || !unseen.size) return;
    unseen.clear(); // the rows keep their highlight until the next refresh
    showTitle();
  }

  function fromRefresh(detail) {
    const config = detail && detail.requestConfig;
    if (!config) return false;
    const headers = config.headers || {};
    return (config.elt instanceof Element && config.elt.id === ROWS) || headers["X-Aiguillage-Refresh"] === "1";
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    const tbody = event.target;
    if (!(tbody instanceof HTMLElement) || tbody.id !== ROWS) return;
    if (!fromRefresh(event.detail)) {
      remember(tbody);
      return;
    }
    const arrived = rowsOf(tbody).filter((row) => !known.has(row.dataset.request));
    for (const row of arrived) unseen.add(row.dataset.request);
    for (const row of rowsOf(tbody)) {
      if (unseen.has(row.dataset.request)) row.classList.add("row-new");
    }
    remember(tbody);
    if (arrived.length) {
      showTitle();
      announce(tbody, arrived.length);
    }
  });

  // Back on the page: the title loses its count.
  window.addEventListener("focus", seen);
  document.addEventListener("visibilitychange", () => { if (document.hasFocus()) seen(); });
  document.addEventListener("pointerdown", seen);
  document.addEventListener("keydown", seen);

  document.addEventListener("htmx:historyRestore", () => {
    const tbody = document.getElementById(ROWS);
    if (tbody) remember(tbody);
  });

  const start = () => {
    const tbody = document.getElementById(ROWS);
    if (tbody) remember(tbody);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
