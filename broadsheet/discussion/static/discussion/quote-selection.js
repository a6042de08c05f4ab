/*
 * Quoting a selected passage of the article: a "Quote" button appears above the
 * selection; pressing it asks the comment form to quote the passage.
 *
 * Contract: the article's text is [data-quotable] (with data-quote-label and
 * data-quote-hint for the button), its paragraphs carry ids starting "p-".
 * The request is a "discussion:quote" event, bubbling from [data-quotable], with
 * detail {anchor, text}; comment-form.js answers it. This file knows nothing of
 * the form.
 */
(function () {
  "use strict";

  var story = document.querySelector("[data-quotable]");
  if (!story) {
    return;
  }
  var quoteButton = null;
  var pendingQuote = null;

  function normalize(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  function selectedPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      return null;
    }
    var range = selection.getRangeAt(0);
    var node = range.commonAncestorContainer;
    var element = node.nodeType === 1 ? node : node.parentElement;
    var paragraph = element && element.closest('p[id^="p-"]');
    if (!paragraph || !story.contains(paragraph)) {
      return null;
    }
    var fragment = range.cloneContents();
    fragment.querySelectorAll(".paragraph-quotes").forEach(function (extra) {
      extra.remove();
    });
    var text = normalize(fragment.textContent);
    if (!text) {
      return null;
    }
    return { anchor: paragraph.id, text: text, rect: range.getBoundingClientRect() };
  }

  function hideQuoteButton() {
    if (quoteButton) {
      quoteButton.hidden = true;
    }
  }

  function showQuoteButton() {
    var passage = selectedPassage();
    if (!passage) {
      hideQuoteButton();
      return;
    }
    pendingQuote = passage;
    if (!quoteButton) {
      quoteButton = document.createElement("button");
      quoteButton.type = "button";
      quoteButton.className = "quote-selection";
      quoteButton.textContent = story.dataset.quoteLabel || "Quote";
      quoteButton.title = story.dataset.quoteHint || "";
      // Keep the selection alive while the button is pressed.
      quoteButton.addEventListener("mousedown", function (event) {
        event.preventDefault();
      });
      quoteButton.addEventListener("click", quoteSelection);
      story.appendChild(quoteButton);
    }
    // Above the selection, centred on it, where the stylesheet draws its arrow.
    quoteButton.hidden = false;
    var box = story.getBoundingClientRect();
    var centre = (passage.rect.left + passage.rect.right) / 2 - box.left;
    var left = centre - quoteButton.offsetWidth / 2;
    var maxLeft = story.clientWidth - quoteButton.offsetWidth;
    quoteButton.style.left = Math.max(0, Math.min(left, maxLeft)) + "px";
    quoteButton.style.top = passage.rect.top - box.top - quoteButton.offsetHeight - 8 + "px";
  }

  function quoteSelection() {
    if (!pendingQuote) {
      return;
    }
    var detail = { anchor: pendingQuote.anchor, text: pendingQuote.text };
    hideQuoteButton();
    window.getSelection().removeAllRanges();
    story.dispatchEvent(new CustomEvent("discussion:quote", { bubbles: true, detail: detail }));
  }

  document.addEventListener("mouseup", function () {
    window.setTimeout(showQuoteButton, 0);
  });
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey || event.key === "Shift") {
      showQuoteButton();
    }
  });
  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed) {
      hideQuoteButton();
    }
  });
})();
