/* A little progressive enhancement. Every page works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var FOCUS_KEY = "hubdir-refocus";
  var wide = window.matchMedia("(min-width: 48em)");

  // The filter column is always open on wide screens; on phones it stays a "Filter" toggle.
  function syncFilters() {
    document.querySelectorAll("[data-filters]").forEach(function (details) {
      if (wide.matches) {
        details.open = true;
      }
    });
  }

  // Apply a filter or a sort as soon as it changes, then put focus back where it was.
  function autosubmit(form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (!(target.type === "checkbox" || target.tagName === "SELECT")) {
        return;
      }
      try {
        window.sessionStorage.setItem(FOCUS_KEY, target.id);
      } catch (error) {
        /* storage may be disabled; the form still submits */
      }
      // An emptied text field would otherwise be sent as "q=".
      form.querySelectorAll("input[type=search], input[type=text]").forEach(function (input) {
        if (!input.value.trim()) {
          input.disabled = true;
        }
      });
      form.submit();
    });
  }

  function refocus() {
    var id;
    try {
      id = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch (error) {
      return;
    }
    var element = id && document.getElementById(id);
    if (element) {
      for (var parent = element.closest("details"); parent; parent = parent.parentElement.closest("details")) {
        parent.open = true;
      }
      element.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncFilters();
    if (wide.addEventListener) {
      wide.addEventListener("change", syncFilters);
    }
    document.querySelectorAll("form[data-autosubmit]").forEach(autosubmit);
    refocus();
  });
})();
