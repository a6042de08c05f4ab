/*
 * A comment reached by its permalink: bring it into view and focus it.
 *
 * Contract: the page marks that comment with [data-highlighted].
 */
(function () {
  "use strict";

  function focusHighlightedComment() {
    var target = document.querySelector("[data-highlighted]");
    if (!target) {
      return;
    }
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    try {
      target.focus({ preventScroll: true });
    } catch (error) {
      target.focus();
    }
    target.scrollIntoView({ block: "start" });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusHighlightedComment);
  } else {
    focusHighlightedComment();
  }
})();
