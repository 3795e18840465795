// The requesting professional of the phone intake (referrals/widgets/professional_combobox.html): the plain select
// becomes a search field, the combobox of combobox.js (loaded before this file). Matches come from our server (the
// cell's professionals, by name, profession or commune). The choice is written into the hidden select, which the form
// sends and the server checks; when the search fails, the select comes back.
(() => {
  if (window.aiguillageProfessional) return; // the widget's script tag may appear once per field
  window.aiguillageProfessional = true;

  const DELAY_MS = 200;

  function setUp(box) {
    const select = box.querySelector("select");
    const input = box.querySelector("input[role=combobox]");
    const help = box.querySelector("p.help");
    if (!select) return;
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
      // The list is closed already (the combobox closes it when a search fails).
      if (label) label.htmlFor = select.id;
      select.hidden = false;
      input.hidden = true;
      if (help) help.hidden = true;
    }

    const attached = window.AiguillageCombobox.attach(box, {
      delay: DELAY_MS,
      enterPicksSole: true, // never send the half-typed form; one match found is the one meant
      url(query) {
        const url = new URL(box.dataset.professionalSearch, window.location.href);
        url.searchParams.set("q", query);
        return url;
      },
      typed() {
        if (select.value && input.value !== selectedText()) {
          select.value = ""; // typed over the choice: nothing chosen until a new choice
          select.dispatchEvent(new Event("input", { bubbles: true }));
        }
      },
      choose(suggestion) {
        const value = String(suggestion.id);
        if (!Array.from(select.options).some((option) => option.value === value)) {
          select.add(new Option(suggestion.label, value)); // added to the directory since the page was shown
        }
        select.value = value;
        input.value = suggestion.label;
        select.dispatchEvent(new Event("input", { bubbles: true })); // for the form's draft (aiguillage.js)
        select.dispatchEvent(new Event("change", { bubbles: true }));
      },
      unavailable() {
        fallBack();
        select.focus();
      },
    });
    if (!attached) return;
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
