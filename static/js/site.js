/* A little progressive enhancement. Every page works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var FOCUS_KEY = "hubdir-refocus";
  // Where the filter column sits beside the results (the CSS uses the same width).
  var wide = window.matchMedia("(min-width: 56.25em)");

  // The filter column is always open on wide screens; on phones it stays a "Filters" button.
  function syncFilters() {
    document.querySelectorAll("[data-filters]").forEach(function (details) {
      if (wide.matches) {
        details.open = true;
      }
    });
  }

  // An emptied text field would otherwise be sent as "q=".
  function dropEmptyFields(form) {
    form.querySelectorAll("input[type=search], input[type=text]").forEach(function (input) {
      if (!input.value.trim()) {
        input.disabled = true;
      }
    });
  }

  function formQuery(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() && name !== "page") {
        params.append(name, value);
      }
    });
    return params.toString();
  }

  // On a phone, ticking options in the open panel does not reload the page: the panel's footer
  // says how many results the choices give, and "Show N results" applies them.
  var countTicket = 0;

  function updateCount(form) {
    var button = form.querySelector("[data-show-results]");
    var status = form.querySelector("[data-results-status]");
    if (!button || !window.fetch || !window.DOMParser) {
      return;
    }
    var ticket = ++countTicket;
    button.setAttribute("aria-busy", "true");
    window
      .fetch(form.getAttribute("action") + "?" + formQuery(form), {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (ticket !== countTicket) {
          return;
        }
        var found = new DOMParser().parseFromString(html, "text/html").querySelector("[data-result-count]");
        var count = found ? parseInt(found.getAttribute("data-result-count"), 10) : NaN;
        if (isNaN(count)) {
          throw new Error("no count");
        }
        var words = count === 1 ? "1 result" : count.toLocaleString("en-GB") + " results";
        button.textContent = "Show " + words;
        if (status) {
          status.textContent = words + " with these filters";
        }
      })
      .catch(function () {
        if (ticket === countTicket) {
          button.textContent = "Show results";
        }
      })
      .then(function () {
        if (ticket === countTicket) {
          button.removeAttribute("aria-busy");
        }
      });
  }

  // Apply a filter or a sort as soon as it changes, then put focus back where it was.
  function autosubmit(form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      var inPanel = !!target.closest("[data-filters]");
      if (inPanel && !wide.matches) {
        updateCount(form);
        return;
      }
      if (!(target.type === "checkbox" || target.tagName === "SELECT")) {
        return;
      }
      try {
        window.sessionStorage.setItem(FOCUS_KEY, target.id);
      } catch (error) {
        /* storage may be disabled; the form still submits */
      }
      dropEmptyFields(form);
      form.submit();
    });
    form.addEventListener("submit", function () {
      dropEmptyFields(form);
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
      return true;
    }
    return false;
  }

  // After "Show N results" (or a page or sort link) the page opens at the results: a screen
  // reader starts there too.
  function focusResults() {
    if (window.location.hash !== "#results") {
      return;
    }
    var results = document.getElementById("results");
    if (results) {
      results.focus({ preventScroll: true });
    }
  }

  // "Copy link to these results": the plain link stays for browsers that cannot copy.
  function copyLinks() {
    if (!(navigator.clipboard && navigator.clipboard.writeText)) {
      return;
    }
    document.querySelectorAll("[data-copy-link]").forEach(function (box) {
      var button = box.querySelector("[data-copy-url]");
      var status = box.querySelector("[data-copy-status]");
      var plain = box.querySelector(".share__plain");
      if (!button) {
        return;
      }
      button.hidden = false;
      if (plain) {
        plain.hidden = true;
      }
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copy-url")).then(
          function () {
            status.textContent = "Link copied.";
          },
          function () {
            if (plain) {
              plain.hidden = false;
            }
            status.textContent = "Copying was not allowed: the link is shown instead.";
          }
        );
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncFilters();
    if (wide.addEventListener) {
      wide.addEventListener("change", syncFilters);
    }
    document.querySelectorAll("form[data-autosubmit]").forEach(autosubmit);
    if (!refocus()) {
      focusResults();
    }
    copyLinks();
  });
})();
