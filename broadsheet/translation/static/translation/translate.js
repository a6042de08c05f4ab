/*
 * "Show translation": a comment written in another language than the page's,
 * machine-translated into the page's language, shown in place of its words,
 * labelled as machine translation, with the original one click away. Loaded
 * only when the site has a translation service (translation_enabled).
 *
 * Contract: a button.comment__translate in li.comment (rendered hidden: without
 * this file it does nothing), carrying data-translation-url (answers JSON:
 * 200 {status: "done", html, label, language}, 202 {status: "pending"} while the
 * worker makes it, anything else: not available), data-show-original-label,
 * data-working-label and data-failed-label; its own text is "Show translation".
 * The comment's words are .comment__body. The translation goes into a
 * .comment__translation element this file adds after it, with its label; a
 * polite live region in the comment says what happened, for screen readers.
 * The listener sits on the discussion, so comments inserted live work too.
 */
(function () {
  "use strict";

  var discussion = document.getElementById("discussion");
  if (!discussion || !window.fetch) {
    return;
  }

  var POLL_DELAYS = [500, 1000, 1000, 2000, 2000, 3000, 3000, 5000, 5000, 8000];

  function reveal(root) {
    root.querySelectorAll("button.comment__translate[hidden]").forEach(function (button) {
      button.hidden = false;
      button.dataset.showTranslationLabel = button.textContent;
      button.setAttribute("aria-expanded", "false");
    });
  }

  function statusRegion(comment) {
    var region = comment.querySelector("[data-translation-status]");
    if (!region) {
      region = document.createElement("p");
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      region.setAttribute("data-translation-status", "");
      comment.querySelector("article").appendChild(region);
    }
    return region;
  }

  function say(comment, message) {
    statusRegion(comment).textContent = message;
  }

  function showTranslation(button, comment, translation) {
    var body = comment.querySelector(".comment__body");
    body.hidden = true;
    translation.hidden = false;
    button.textContent = button.dataset.showOriginalLabel;
    button.setAttribute("aria-expanded", "true");
    say(comment, translation.dataset.label);
  }

  function showOriginal(button, comment, translation) {
    comment.querySelector(".comment__body").hidden = false;
    translation.hidden = true;
    button.textContent = button.dataset.showTranslationLabel;
    button.setAttribute("aria-expanded", "false");
    say(comment, "");
  }

  function build(comment, answer) {
    var translation = document.createElement("div");
    translation.className = "comment__translation";
    translation.id = comment.id + "-translation";
    translation.lang = answer.language;
    translation.dataset.label = answer.label;
    translation.hidden = true;
    var label = document.createElement("p");
    label.className = "comment__translation-label";
    label.textContent = answer.label;
    var words = document.createElement("div");
    // Rendered and sanitized on the server exactly as the comment itself was.
    words.innerHTML = answer.html;
    translation.appendChild(label);
    translation.appendChild(words);
    comment.querySelector(".comment__body").after(translation);
    return translation;
  }

  function idle(button) {
    button.removeAttribute("aria-busy");
  }

  function fail(button, comment) {
    idle(button);
    button.textContent = button.dataset.showTranslationLabel;
    var note = comment.querySelector(".comment__translation-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "comment__translation-error";
      comment.querySelector(".comment__body").after(note);
    }
    note.textContent = button.dataset.failedLabel;
    say(comment, button.dataset.failedLabel);
  }

  function fetchTranslation(button, comment, attempt) {
    fetch(button.dataset.translationUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (response.status !== 200 && response.status !== 202) {
          throw new Error("not available");
        }
        return response.json();
      })
      .then(function (answer) {
        if (answer.status === "pending") {
          if (attempt >= POLL_DELAYS.length) {
            throw new Error("not made in time");
          }
          window.setTimeout(function () {
            fetchTranslation(button, comment, attempt + 1);
          }, POLL_DELAYS[attempt]);
          return;
        }
        var error = comment.querySelector(".comment__translation-error");
        if (error) {
          error.remove();
        }
        idle(button);
        var translation = build(comment, answer);
        button.setAttribute("aria-controls", translation.id);
        showTranslation(button, comment, translation);
      })
      .catch(function () {
        fail(button, comment);
      });
  }

  discussion.addEventListener("click", function (event) {
    var button = event.target.closest("button.comment__translate");
    if (!button || button.getAttribute("aria-busy") === "true") {
      return;
    }
    var comment = button.closest("li.comment");
    var translation = comment.querySelector(".comment__translation");
    if (translation) {
      if (translation.hidden) {
        showTranslation(button, comment, translation);
      } else {
        showOriginal(button, comment, translation);
      }
      return;
    }
    // Busy, not disabled: a disabled button would lose the keyboard's focus.
    button.setAttribute("aria-busy", "true");
    button.textContent = button.dataset.workingLabel;
    say(comment, button.dataset.workingLabel);
    fetchTranslation(button, comment, 0);
  });

  reveal(discussion);
  // Comments the live stream inserts (or swaps in after an edit) come with the
  // button hidden, like the page's own.
  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) {
      mutation.addedNodes.forEach(function (node) {
        if (node.nodeType === 1) {
          reveal(node);
        }
      });
    });
  }).observe(discussion, { childList: true, subtree: true });
})();
