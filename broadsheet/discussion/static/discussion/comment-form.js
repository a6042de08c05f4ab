/*
 * The comment form: "Reply" moves it under the comment, "Quote" on a comment
 * quotes it, and a passage of the article quoted by selection lands at its top.
 * Without this file "Reply" and "Quote" are links to the form set up for them.
 *
 * Contract: the discussion is #discussion, with data-sign-in-url (where a
 * signed-out reader who quotes is sent). The form is #comment-form (only for a
 * signed-in reader), with data-reply-template ("{number}", "{handle}") and
 * data-cancel-label, and hidden fields parent, quote_anchor and quote_text.
 * Comments are li.comment with data-number and data-handle; their buttons carry
 * data-action="reply" or "quote". Listeners sit on the discussion (and the
 * document for "discussion:quote" events from quote-selection.js), so comments
 * inserted later work by themselves.
 */
(function () {
  "use strict";

  var discussion = document.getElementById("discussion");
  if (!discussion) {
    return;
  }
  var form = null;
  var formHome = null;

  function findForm() {
    form = document.getElementById("comment-form");
    formHome = form ? { parent: form.parentNode, next: form.nextSibling } : null;
  }
  findForm();
  // On the shared page the form arrives with the reader's personal layer.
  document.addEventListener("broadsheet:personal", findForm);

  function textarea() {
    return form.querySelector("textarea");
  }

  function field(name) {
    return form.querySelector('input[name="' + name + '"]');
  }

  function focusTextarea() {
    var box = textarea();
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    box.scrollIntoView({ block: "center" });
  }

  function asMarkdownQuote(text) {
    return text
      .split("\n")
      .map(function (line) {
        return line ? "> " + line : ">";
      })
      .join("\n");
  }

  /* A passage of the article (a "discussion:quote" event from quote-selection.js). */

  document.addEventListener("discussion:quote", function (event) {
    if (!form) {
      if (discussion.dataset.signInUrl) {
        window.location.href = discussion.dataset.signInUrl;
      }
      return;
    }
    field("quote_anchor").value = event.detail.anchor;
    field("quote_text").value = event.detail.text;
    var box = textarea();
    // The anchored quote must open the comment: that is where the server looks for it.
    box.value = asMarkdownQuote(event.detail.text) + "\n\n" + box.value.replace(/^\s+/, "");
    focusTextarea();
  });

  /* Reply and Quote on a comment. */

  function cancelReply() {
    field("parent").value = "";
    var context = form.querySelector("[data-reply-context]");
    if (context) {
      context.remove();
    }
    form.classList.remove("comment-form--inline");
    formHome.parent.insertBefore(form, formHome.next);
  }

  function replyTo(comment) {
    var number = comment.dataset.number;
    var handle = comment.dataset.handle;
    field("parent").value = number;
    var context = form.querySelector("[data-reply-context]");
    if (context) {
      context.remove();
    }
    context = document.createElement("p");
    context.className = "comment-form__context";
    context.setAttribute("data-reply-context", "");
    context.textContent =
      (form.dataset.replyTemplate || "Replying to #{number} by {handle}.")
        .replace("{number}", number)
        .replace("{handle}", handle) + " ";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link-button";
    cancel.textContent = form.dataset.cancelLabel || "Cancel reply";
    cancel.addEventListener("click", function () {
      cancelReply();
      focusTextarea();
    });
    context.appendChild(cancel);
    form.insertBefore(context, form.querySelector(".field"));
    form.classList.add("comment-form--inline");
    comment.querySelector(":scope > article").after(form);
    focusTextarea();
  }

  function quoteComment(comment) {
    var body = comment.querySelector(".comment__body");
    if (!body) {
      return;
    }
    var selection = window.getSelection();
    var text = "";
    if (selection && !selection.isCollapsed && body.contains(selection.anchorNode)) {
      text = selection.toString();
    }
    text = (text || body.innerText).trim();
    var quoted = asMarkdownQuote("#" + comment.dataset.number + " " + comment.dataset.handle + ":\n" + text);
    var box = textarea();
    box.value = (box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" : "") + quoted + "\n\n";
    focusTextarea();
  }

  discussion.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || !form) {
      return; // signed out: the plain form leads to the sign-in prompt
    }
    var comment = button.closest("li.comment");
    if (!comment) {
      return;
    }
    event.preventDefault();
    if (button.dataset.action === "reply") {
      replyTo(comment);
    } else if (button.dataset.action === "quote") {
      quoteComment(comment);
    }
  });
})();
