/* Back office: a live count of the characters left in fields that have one (data-character-count). */
(function () {
  "use strict";

  function attach(field) {
    var limit = Number(field.getAttribute("data-character-count"));
    var counter = document.createElement("div");
    counter.className = "help character-count";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);

    function update() {
      var left = limit - field.value.length;
      counter.textContent = left === 1 ? "1 character left" : left + " characters left";
      counter.classList.toggle("character-count--low", left < 20);
    }

    field.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-character-count]").forEach(attach);
  });
})();
