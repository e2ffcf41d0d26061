/* surveyapp: shows a question whose condition reads answers of its own page only while the
   condition holds, as the answers change. The server decides what is kept; without this
   script every such question is shown with its condition in words. A rule (data-if) is
   true, false, ["eq"|"ne", field, value], ["in"|"ni", field, [values]],
   ["has", field, value] (a ticked box) or ["all"|"any"|"not", rule...]. */
(function () {
  "use strict";
  var form = document.querySelector("form");
  var groups = document.querySelectorAll("[data-if]");
  if (!form || !groups.length) return;

  function value(name) {
    var field = form.elements.namedItem(name);
    if (!field) return "";
    if (field.type === "radio" || field.type === "checkbox") return field.checked ? field.value : "";
    return field.value || "";  // a radio group's checked value, a select's or a text box's
  }

  function ticked(name, choice) {
    var boxes = form.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].name === name && boxes[i].value === choice) return boxes[i].checked;
    }
    return false;
  }

  function holds(rule) {
    if (rule === true || rule === false) return rule;
    var parts = rule.slice(1);
    switch (rule[0]) {
      case "all": return parts.every(holds);
      case "any": return parts.some(holds);
      case "not": return !holds(parts[0]);
      case "eq": return value(parts[0]) === parts[1];
      case "ne": return value(parts[0]) !== parts[1];
      case "in": return parts[1].indexOf(value(parts[0])) >= 0;
      case "ni": return parts[1].indexOf(value(parts[0])) < 0;
      case "has": return ticked(parts[0], parts[1]);
    }
    return true;  // a test this script does not know: leave the question shown
  }

  function update() {
    for (var i = 0; i < groups.length; i++) {
      var rule;
      try { rule = JSON.parse(groups[i].getAttribute("data-if")); } catch (e) { rule = true; }
      groups[i].hidden = !holds(rule);
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
