// Keyboard shortcuts for coding one answer at a time (coding/answer.html). The page works
// without them: every shortcut clicks a checkbox, button or link that is on the page.
(function () {
  "use strict";
  var form = document.getElementById("code-one");
  if (!form) { return; }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) { return true; }
    return tag === "input" && ["checkbox", "radio", "submit", "button"].indexOf(target.type) < 0;
  }

  function click(selector) {
    var element = document.querySelector(selector);
    if (element) { element.click(); return true; }
    return false;
  }

  var keys = {
    "Enter": '[data-key="save"]', "s": '[data-key="save"]',
    "a": '[data-key="accept"]', "u": '[data-key="uncoded"]',
    "n": '[data-key="next"]', "ArrowRight": '[data-key="next"]',
    "p": '[data-key="previous"]', "ArrowLeft": '[data-key="previous"]'
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    if (typing(target)) { return; }
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (event.key === "Enter" && (tag === "a" || tag === "button" || tag === "summary")) {
      return;  // Enter on a link or button does what it says
    }
    if (/^[0-9]$/.test(event.key)) {
      var box = form.querySelector('input[data-shortcut="' + event.key + '"]');
      if (box) { box.click(); event.preventDefault(); }
      return;
    }
    var selector = keys[event.key];
    if (selector && click(selector)) { event.preventDefault(); }
  });
})();
