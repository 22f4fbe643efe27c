// Conversation form: "add another commitment" clones a blank row. Without JS, the form
// still offers three blank rows (the first above "More", two inside it).
(function () {
  "use strict";
  var container = document.querySelector("[data-commitment-rows]");
  var button = document.querySelector("[data-add-commitment]");
  if (!container || !button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var rows = container.querySelectorAll("[data-commitment-row]");
    var last = rows[rows.length - 1];
    // Rows are numbered across the form (the first commitment sits above "More").
    var index = document.querySelectorAll("form [data-commitment-row]").length;
    var clone = last.cloneNode(true);
    clone.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/commitments-\d+-/, "commitments-" + index + "-")); }
      });
    });
    clone.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    clone.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    clone.querySelectorAll("select").forEach(function (select) {
      var owner = /owner_id$/.test(select.name);
      select.selectedIndex = 0;
      if (owner) {
        var original = last.querySelector("select[name$='owner_id']");
        select.value = original ? original.options[0].value : select.value;
      }
    });
    container.appendChild(clone);
    var first = clone.querySelector("select");
    if (first) { first.focus(); }
  });
})();
