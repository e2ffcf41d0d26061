/* surveyapp: shows a question whose condition reads answers of its own page only while the
   condition holds, as the answers change. The server decides what is kept; without this
   script every such question is shown with its condition in words. A rule (data-if) is
   true, false, ["eq"|"ne", field, value], ["in"|"ni", field, [values]],
   ["has", field, value] (a ticked box), ["ge"|"le"|"gt"|"lt", field, bound, "number"|"date"]
   (min, max, above, below: an answer that is no number or date passes none) or
   ["all"|"any"|"not", rule...]. */
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

  var NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
  var DATE = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/;

  // an answer as the server orders it against a bound (a number, or an ISO date's text);
  // null when it is none, as on the server
  function ordered(text, kind) {
    if (kind === "date") {
      var day = DATE.exec(text);
      if (!day) return null;
      var when = new Date(Date.UTC(+day[1], +day[2] - 1, +day[3]));
      var real = when.getUTCFullYear() === +day[1] && when.getUTCMonth() === +day[2] - 1
        && when.getUTCDate() === +day[3];
      return real ? day[1] + "-" + day[2] + "-" + day[3] : null;
    }
    return NUMBER.test(text) ? Number(text) : null;
  }

  function bounded(test, name, bound, kind) {
    var answer = ordered(value(name), kind);
    if (answer === null) return false;
    switch (test) {
      case "ge": return answer >= bound;
      case "le": return answer <= bound;
      case "gt": return answer > bound;
      case "lt": return answer < bound;
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
      case "ge": case "le": case "gt": case "lt":
        return bounded(rule[0], parts[0], parts[1], parts[2]);
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
