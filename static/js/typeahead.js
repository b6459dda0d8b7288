/* Type-ahead for the search box in the header: the WAI-ARIA Authoring Practices combobox with a
   listbox popup (list autocomplete). Up and down arrows move through the suggestions, Enter opens
   the one chosen (or searches for the text when none is), Escape closes the list, then clears the
   box. Without JavaScript, or when the request fails, the box is a plain search form. */
(function () {
  "use strict";

  var MIN_LENGTH = 2;
  var DELAY = 150;
  var KINDS = { organisation: "Organisation", initiative: "Initiative", sector: "Sector" };

  function setup(input) {
    var url = input.getAttribute("data-typeahead");
    var listId = input.id + "-suggestions";
    var box = input.parentNode;
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var items = [];
    var active = -1;
    var timer = null;
    var latest = 0;

    list.id = listId;
    list.className = "typeahead__list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    box.classList.add("typeahead");
    box.appendChild(list);
    box.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function setActive(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, i) {
        var option = document.createElement("li");
        var label = document.createElement("span");
        var detail = document.createElement("span");
        option.id = listId + "-" + i;
        option.className = "typeahead__option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-index", String(i));
        label.className = "typeahead__label";
        label.textContent = item.label;
        detail.className = "typeahead__detail";
        detail.textContent = [KINDS[item.kind] || "", item.detail || ""].filter(Boolean).join(" · ");
        option.appendChild(label);
        option.appendChild(detail);
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (results.length) {
        open();
        status.textContent =
          results.length + (results.length === 1 ? " suggestion" : " suggestions") +
          ". Use the up and down arrows to choose one.";
      } else {
        close();
        status.textContent = "No suggestions.";
      }
    }

    function suggest() {
      var text = input.value.trim();
      var ticket = ++latest;
      if (text.length < MIN_LENGTH) {
        items = [];
        close();
        return;
      }
      window
        .fetch(url + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (ticket === latest) {
            render(data.results || []);
          }
        })
        .catch(function () {
          close();
        });
    }

    function go(index) {
      if (items[index]) {
        window.location.assign(items[index].url);
      }
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var count = items.length;
      if (event.key === "ArrowDown") {
        if (!count) {
          return;
        }
        event.preventDefault();
        if (list.hidden) {
          open();
        }
        setActive(active + 1 >= count ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        if (!count || list.hidden) {
          return;
        }
        event.preventDefault();
        setActive(active - 1 < 0 ? count - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
          items = [];
        }
      }
    });

    input.addEventListener("blur", function () {
      close();
    });

    // A pointer press on a suggestion must not take the focus away before the click lands.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });

    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        go(Number(option.getAttribute("data-index")));
      }
    });
  }

  if (window.fetch) {
    document.querySelectorAll("input[data-typeahead]").forEach(setup);
  }
})();
