// The deadline clocks tick in the browser (referrals/_clock.html): each `.clock[data-deadline]` shows the time left
// ("5 h 07", "42 min") or past ("passed by 12 min", the server's words in data-overdue), and its colour level from
// the thresholds in data-levels (amber, red, in seconds), as the server drew them. The server draws the same text
// first (without JavaScript it is right when drawn), so the queue's refresh need not draw the rows again each minute:
// it answers "nothing changed" (204) until a row, a colour level or a closed-hours label does. The browser's clock
// is set right by the server's time when drawn (data-now): a computer a few minutes off still shows the right time.
(() => {
  const LEVELS = ["ok", "amber", "red"];
  const skews = new WeakMap(); // clock element → server time minus browser time when it was drawn

  // ISO 8601 with microseconds (Django's "c"): Date.parse reads milliseconds only.
  const instant = (iso) => Date.parse((iso || "").replace(/(\.\d{3})\d+/, "$1"));

  function short(seconds) {
    const minutes = Math.floor(Math.abs(seconds) / 60);
    const hours = Math.floor(minutes / 60);
    return hours ? `${hours} h ${String(minutes % 60).padStart(2, "0")}` : `${minutes} min`;
  }

  function show(clock, now) {
    const deadline = instant(clock.dataset.deadline);
    if (Number.isNaN(deadline)) return;
    if (!skews.has(clock)) {
      const drawn = instant(clock.dataset.now);
      skews.set(clock, Number.isNaN(drawn) ? 0 : drawn - now);
    }
    const left = deadline - (now + skews.get(clock));
    const seconds = Math.trunc(left / 1000);
    const [amber, red] = (clock.dataset.levels || "").split(" ").map((value) => Number(value) * 1000);
    const level = left < red ? "red" : left < amber ? "amber" : "ok";
    const text = seconds < 0 ? (clock.dataset.overdue || "{time}").replace("{time}", short(seconds)) : short(seconds);
    if (clock.textContent !== text) clock.textContent = text;
    for (const name of LEVELS) clock.classList.toggle(`clock-${name}`, name === level);
  }

  function tick() {
    const now = Date.now();
    for (const clock of document.querySelectorAll(".clock[data-deadline]")) show(clock, now);
  }

  // Every 5 seconds: each clock changes its minute at its own second (deadlines fall at any second).
  window.setInterval(tick, 5000);
  document.addEventListener("htmx:afterSwap", tick);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tick);
  else tick();
})();
