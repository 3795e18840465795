// The requesting professional of the phone intake (referrals/widgets/professional_combobox.html): the plain select
// becomes a search field, an ARIA 1.2 combobox with a listbox popup (as address.js): the focus stays in the field,
// aria-activedescendant names the option ↑ / ↓ move to, Enter chooses it, Escape closes the list, the number found is
// announced. Matches come from our server (the cell's professionals, by name, profession or commune). The choice is
// written into the hidden select, which the form sends and the server checks; when the search fails, the select
// comes back.
(() => {
  if (window.aiguillageProfessional) return; // the widget's script tag may appear once per field
  window.aiguillageProfessional = true;

  const DELAY_MS = 200;

  function setUp(box) {
    const select = box.querySelector("select");
    const input = box.querySelector("input[role=combobox]");
    const listbox = box.querySelector("[role=listbox]");
    const status = box.querySelector("[role=status]");
    const help = box.querySelector("p.help");
    if (!select || !input || !listbox || !status) return;
    let suggestions = [];
    let active = -1;
    let timer = 0;
    let sequence = 0;

    const label = document.querySelector(`label[for="${select.id}"]`);
    const selectedText = () => (select.value && select.selectedOptions[0] ? select.selectedOptions[0].textContent.trim() : "");

    function enhance() {
      // The field's label, errors and error state move to the search field; the select, hidden, keeps the value.
      const describedBy = [select.getAttribute("aria-describedby"), input.getAttribute("aria-describedby")].filter(Boolean).join(" ");
      if (describedBy) input.setAttribute("aria-describedby", describedBy);
      if (select.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
      if (label) label.htmlFor = input.id;
      input.value = selectedText();
      select.hidden = true;
      input.hidden = false;
      if (help) help.hidden = false;
    }

    function fallBack() {
      if (label) label.htmlFor = select.id;
      select.hidden = false;
      input.hidden = true;
      if (help) help.hidden = true;
      close();
    }

    function announce(text) {
      status.textContent = "";
      window.setTimeout(() => { status.textContent = text; }, 50); // a change after a tick is announced reliably
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
        option.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the field
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
      const value = String(suggestion.id);
      if (!Array.from(select.options).some((option) => option.value === value)) {
        select.add(new Option(suggestion.label, value)); // added to the directory since the page was shown
      }
      select.value = value;
      input.value = suggestion.label;
      close();
      select.dispatchEvent(new Event("input", { bubbles: true })); // for the form's draft (aiguillage.js)
      select.dispatchEvent(new Event("change", { bubbles: true }));
      announce(box.dataset.chosen.replace("{label}", suggestion.label));
    }

    async function search() {
      const query = input.value.trim();
      const mine = ++sequence;
      if (!query) {
        suggestions = [];
        render();
        return;
      }
      const url = new URL(box.dataset.professionalSearch, window.location.href);
      url.searchParams.set("q", query);
      let answer = null;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        answer = response.ok ? await response.json() : null;
      } catch (error) {
        answer = null;
      }
      if (mine !== sequence) return; // a later keystroke already asked again
      if (answer === null || !Array.isArray(answer.suggestions)) {
        fallBack();
        announce(box.dataset.unavailable);
        select.focus();
        return;
      }
      suggestions = answer.suggestions;
      render();
      if (!suggestions.length) announce(box.dataset.foundNone);
      else if (suggestions.length === 1) announce(box.dataset.foundOne);
      else announce(box.dataset.foundSome.replace("{count}", String(suggestions.length)));
    }

    input.addEventListener("input", () => {
      if (select.value && input.value !== selectedText()) {
        select.value = ""; // typed over the choice: nothing chosen until a new choice
        select.dispatchEvent(new Event("input", { bubbles: true }));
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
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
      } else if (event.key === "Enter" && open) {
        event.preventDefault(); // choose, never send the half-typed form
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
    // The form's draft (aiguillage.js) restores the select's value: the field shows it.
    select.addEventListener("change", () => { if (!input.hidden) input.value = selectedText(); });

    enhance();
  }

  function setUpAll() {
    document.querySelectorAll("[data-professional-search]").forEach((box) => {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      setUp(box);
    });
  }

  // After DOMContentLoaded, so that the form's draft (aiguillage.js, run first) has restored the select's value.
  if (document.readyState === "complete") setUpAll();
  else document.addEventListener("DOMContentLoaded", setUpAll);
})();
