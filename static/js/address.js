// Address suggestions for a street field (territory/widgets/address_input.html), when BAN geocoding is on: the
// combobox of combobox.js (loaded before this file) asks our own server (connect-src 'self'), never BAN directly,
// once three characters are typed, within the commune already chosen. Choosing a suggestion fills the street,
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
    const byId = (id) => (id ? document.getElementById(id) : null);
    const input = box.querySelector("input[role=combobox]");
    const commune = byId(box.dataset.communeInput);
    const latitude = byId(box.dataset.latitudeInput);
    const longitude = byId(box.dataset.longitudeInput);
    let chosenPoint = null; // the point a choice wrote, cleared if the street is then typed over

    window.AiguillageCombobox.attach(box, {
      delay: DELAY_MS,
      minLength: MIN_LENGTH,
      url(query) {
        const url = new URL(box.dataset.addressSuggest, window.location.href);
        url.searchParams.set("q", query);
        const code = communeCode(commune);
        if (code) url.searchParams.set("commune", code);
        return url;
      },
      typed() {
        if (chosenPoint && latitude && longitude && latitude.value === chosenPoint[0] && longitude.value === chosenPoint[1]) {
          // The point was this field's choice; a street typed over it is no longer there.
          latitude.value = "";
          longitude.value = "";
        }
        chosenPoint = null;
      },
      choose(suggestion) {
        input.value = suggestion.street;
        if (commune && suggestion.commune) commune.value = suggestion.commune;
        if (latitude && longitude) {
          latitude.value = suggestion.latitude.toFixed(6);
          longitude.value = suggestion.longitude.toFixed(6);
          chosenPoint = [latitude.value, longitude.value];
        }
        input.dispatchEvent(new Event("input", { bubbles: true })); // for the form's draft (aiguillage.js)
      },
    });
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
