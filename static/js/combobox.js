// The ARIA 1.2 combobox pattern with a listbox popup, shared by the address field (address.js) and the phone intake's
// requester (professional.js): the focus stays in the field, aria-activedescendant names the option that ↑ / ↓ move
// to, Enter chooses it, Escape or Tab closes the list; the number of suggestions and the choice are announced.
// Suggestions come from our own server (connect-src 'self') as {"suggestions": [{"label": …, …}, …]}.
//
// AiguillageCombobox.attach(box, options): box holds input[role=combobox], [role=listbox] and [role=status], and the
// announcements in data-found-none, data-found-one, data-found-some ("{count}"), data-unavailable, data-chosen
// ("{label}"). Options: url(query) the URL to ask; choose(suggestion) writes the choice into the form's fields;
// delay (ms) before asking; minLength of the query asked about; typed() when the user types over the field;
// unavailable() after a search that failed; enterPicksSole: Enter in the open list never sends the form, and with
// no option highlighted chooses the only suggestion. Returns false when the box lacks a part.
(() => {
  if (window.AiguillageCombobox) return; // loaded once per widget: the first one defines it

  function attach(box, options) {
    const input = box.querySelector("input[role=combobox]");
    const listbox = box.querySelector("[role=listbox]");
    const status = box.querySelector("[role=status]");
    if (!input || !listbox || !status) return false;
    const minLength = options.minLength || 1;
    let suggestions = [];
    let active = -1;
    let timer = 0;
    let sequence = 0;

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
      const choices = listbox.querySelectorAll("[role=option]");
      choices.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0 && choices[index]) {
        input.setAttribute("aria-activedescendant", choices[index].id);
        choices[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    // `kept`: the label of the option the user had moved to, highlighted again if the new suggestions still hold it
    // (an answer that arrives while they arrow through the list must not drop their choice: Enter would then send
    // the form instead of choosing).
    function render(kept = null) {
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
        highlight(kept === null ? -1 : suggestions.findIndex((suggestion) => suggestion.label === kept));
      } else {
        close();
      }
    }

    function choose(index) {
      const suggestion = suggestions[index];
      if (!suggestion) return;
      options.choose(suggestion);
      close();
      announce(box.dataset.chosen.replace("{label}", suggestion.label));
    }

    async function search() {
      const query = input.value.trim();
      const mine = ++sequence;
      if (query.length < minLength) {
        suggestions = [];
        render();
        return;
      }
      let answer = null;
      try {
        const url = options.url(query);
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        answer = response.ok ? await response.json() : null;
      } catch (error) {
        answer = null;
      }
      if (mine !== sequence) return; // a later keystroke already asked again
      if (answer === null || !Array.isArray(answer.suggestions)) {
        suggestions = [];
        render();
        announce(box.dataset.unavailable);
        if (options.unavailable) options.unavailable();
        return;
      }
      const kept = active >= 0 && suggestions[active] ? suggestions[active].label : null;
      suggestions = answer.suggestions;
      render(kept);
      if (!suggestions.length) announce(box.dataset.foundNone);
      else if (suggestions.length === 1) announce(box.dataset.foundOne);
      else announce(box.dataset.foundSome.replace("{count}", String(suggestions.length)));
    }

    input.addEventListener("input", (event) => {
      if (!event.isTrusted) return; // a script's event (a field's own, after a choice), not the user typing
      if (options.typed) options.typed();
      window.clearTimeout(timer);
      timer = window.setTimeout(search, options.delay);
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
      } else if (event.key === "Enter" && open && (active >= 0 || options.enterPicksSole)) {
        event.preventDefault(); // choose, do not send the form
        if (active >= 0) choose(active);
        else if (suggestions.length === 1) choose(0);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", () => window.setTimeout(close, 100));
    return true;
  }

  window.AiguillageCombobox = { attach };
})();
