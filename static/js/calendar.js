// The agenda's calendar: FullCalendar (npm), week / day / list views, filters that refetch without reloading.
// It runs in "UTC" and receives Paris wall-clock times, so it shows Paris time whatever the browser's zone.
(function () {
  "use strict";
  var element = document.getElementById("calendar");
  if (!element || !window.FullCalendar) { return; }
  var filters = document.getElementById("calendar-filters");
  function filterParams() {
    var params = {};
    if (filters) {
      new FormData(filters).forEach(function (value, key) { if (value) { params[key] = value; } });
    }
    return params;
  }
  var calendar = new FullCalendar.Calendar(element, {
    locale: element.dataset.locale === "en" ? "en" : "fr",
    timeZone: "UTC",
    now: element.dataset.now,
    nowIndicator: true,
    initialView: window.matchMedia("(max-width: 700px)").matches ? "timeGridDay" : "timeGridWeek",
    headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,timeGridDay,listWeek" },
    slotMinTime: "07:00:00",
    slotMaxTime: "21:00:00",
    allDaySlot: false,
    height: "auto",
    events: { url: element.dataset.eventsUrl, extraParams: filterParams },
    eventDidMount: function (info) {
      var p = info.event.extendedProps;
      var parts = [info.event.title, p.modality, p.where, p.who, p.openTo, p.attention].filter(Boolean);
      info.el.setAttribute("title", parts.join(" · "));
      info.el.setAttribute("aria-label", parts.join(" · "));
    }
  });
  calendar.render();
  if (filters) {
    filters.addEventListener("change", function () { calendar.refetchEvents(); });
    // The filters apply as they change: Enter in a field must not send the form and reload the page.
    filters.addEventListener("submit", function (event) { event.preventDefault(); });
  }
})();
