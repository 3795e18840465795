// Address suggestions for a street field (territory/widgets/address_input.html), when BAN geocoding is on.
// The ARIA 1.2 combobox pattern with a listbox popup: the focus stays in the field, aria-activedescendant names the
// option that ↑ / ↓ move to, Enter chooses it, Escape closes the list; the number of suggestions is announced.
// Suggestions come from our own server (connect-src 'self'), never from BAN directly. Choosing one fills the street,
// the commune field (when BAN's commune is known here) and the latitude / longitude fields when the form has them.
(() => {
  if (window.aiguillageAddress) return; // the widget's script tag may appear once per field
  window.aiguillageAddress = true;

  const DELAY_MS = 250;
  const MIN_LENGTH = 3;
  const TRAILING_INSEE = /(?:·|-|—)\s*((?:\d{2}|2[AB])\d{3})\s*$/i;
  const INSEE = /^(?:\d{5}|2[AB]\d{3})$/i;

  function communeCode(input) {
    if (!input) return "";
    const value = input.value.trim();
    const match = value.match(TRAILING_INSEE);
    if (match) return match[1].toUpperCase();
    return INSEE.test(value) ? value.toUpperCase() : "";
  }

  function setUp(box) {
    const input = box.querySelector("input[role=combobox]");
    const listbox = box.querySelector("[role=listbox]");
    const status = box.querySelector("[role=status]");
    if (!input || !listbox || !status) return;
    const byId = (id) => (id ? document.getElementById(id) : null);
    const commune = byId(box.dataset.communeInput);
    const latitude = byId(box.dataset.latitudeInput);
    const longitude = byId(box.dataset.longitudeInput);
    let suggestions = [];
    let active = -1;
    let timer = 0;
    let sequence = 0;
    let chosenPoint = null; // the point a choice wrote, cleared if the street is then typed over

    function announce(text) {
      status.textContent = "";
      // A change of text after a tick is what screen readers announce reliably.
      window.setTimeout(() => { status.textContent = text; }, 50);
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const options = listbox.querySelectorAll("[role=option]");
      options.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render() {
      listbox.replaceChildren();
      suggestions.forEach((suggestion, i) => {
        const option = document.createElement("li");
        option.id = `${listbox.id}-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = suggestion.label;
        // mousedown would take the focus from the field and close the list before the click lands.
        option.addEventListener("mousedown", (event) => event.preventDefault());
        option.addEventListener("click", () => choose(i));
        listbox.appendChild(option);
      });
      if (suggestions.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(-1);
      } else {
        close();
      }
    }

    function choose(index) {
      const suggestion = suggestions[index];
      if (!suggestion) return;
      input.value = suggestion.street;
      if (commune && suggestion.commune) commune.value = suggestion.commune;
      if (latitude && longitude) {
        latitude.value = suggestion.latitude.toFixed(6);
        longitude.value = suggestion.longitude.toFixed(6);
        chosenPoint = [latitude.value, longitude.value];
      }
      close();
      input.dispatchEvent(new Event("input", { bubbles: true })); // for the form's draft (aiguillage.js)
      announce(box.dataset.chosen.replace("{label}", suggestion.label));
    }

    async function fetchSuggestions() {
      const query = input.value.trim();
      const mine = ++sequence;
      if (query.length < MIN_LENGTH) {
        suggestions = [];
        render();
        return;
      }
      const url = new URL(box.dataset.addressSuggest, window.location.href);
      url.searchParams.set("q", query);
      const code = communeCode(commune);
      if (code) url.searchParams.set("commune", code);
      let answer = null;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        answer = response.ok ? await response.json() : null;
      } catch (error) {
        answer = null;
      }
      if (mine !== sequence) return; // a later keystroke already asked again
      if (answer === null) {
        suggestions = [];
        render();
        announce(box.dataset.unavailable);
        return;
      }
      suggestions = Array.isArray(answer.suggestions) ? answer.suggestions : [];
      render();
      if (!suggestions.length) announce(box.dataset.foundNone);
      else if (suggestions.length === 1) announce(box.dataset.foundOne);
      else announce(box.dataset.foundSome.replace("{count}", String(suggestions.length)));
    }

    input.addEventListener("input", (event) => {
      if (!event.isTrusted) return; // our own event after a choice
      if (chosenPoint && latitude && longitude && latitude.value === chosenPoint[0] && longitude.value === chosenPoint[1]) {
        // The point was this field's choice; a street typed over it is no longer there.
        latitude.value = "";
        longitude.value = "";
      }
      chosenPoint = null;
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", (event) => {
      const open = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!suggestions.length) return;
        event.preventDefault();
        if (!open) {
          listbox.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        const step = event.key === "ArrowDown" ? 1 : -1;
        const count = suggestions.length;
        highlight(active < 0 ? (step > 0 ? 0 : count - 1) : (active + step + count) % count);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // choose, do not send the form
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", () => window.setTimeout(close, 100));
  }

  function setUpAll() {
    document.querySelectorAll("[data-address-suggest]").forEach((box) => {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      setUp(box);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
})();
