/*
 * Broadsheet — small progressive enhancements. Pages work without this file.
 *
 * A comment reached by its permalink (/articles/<slug>/comments/<n>/) is marked
 * with [data-highlighted]: bring it into view and move focus to it, so keyboard
 * and screen-reader users start reading where the link pointed.
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
