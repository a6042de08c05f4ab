/*
 * Broadsheet: small progressive enhancements. Every page works without this
 * file (plain forms and links); with it, quoting by selection, replying in
 * place and voting happen without a page reload.
 */
(function () {
  "use strict";

  function normalize(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  /* --- A comment reached by its permalink: bring it into view, focus it. --- */

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

  /* --- The comment form: where quotes and replies go. --- */

  var form = document.getElementById("comment-form");
  var formHome = form ? { parent: form.parentNode, next: form.nextSibling } : null;

  function textarea() {
    return form && form.querySelector("textarea");
  }

  function field(name) {
    return form && form.querySelector('input[name="' + name + '"]');
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

  function signInInstead() {
    var link = document.querySelector(".sign-in-prompt a");
    if (link) {
      window.location.href = link.href;
    }
  }

  /* --- Quoting a selected passage of the article. --- */

  var story = document.querySelector(".story__body");
  var quoteButton = null;
  var pendingQuote = null;

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
    if (!form) {
      signInInstead();
      return;
    }
    field("quote_anchor").value = pendingQuote.anchor;
    field("quote_text").value = pendingQuote.text;
    var box = textarea();
    // The anchored quote must open the comment: that is where the server looks for it.
    box.value = asMarkdownQuote(pendingQuote.text) + "\n\n" + box.value.replace(/^\s+/, "");
    hideQuoteButton();
    window.getSelection().removeAllRanges();
    focusTextarea();
  }

  if (story) {
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
  }

  /* --- Reply and Quote on a comment. --- */

  function commentOf(element) {
    return element.closest("li.comment");
  }

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

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || !form) {
      return; // signed out: the plain form leads to the sign-in prompt
    }
    var comment = commentOf(button);
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

  /* --- Votes without a reload. --- */

  function formatScore(score) {
    return score > 0 ? "+" + score : String(score);
  }

  function applyVote(comment, result) {
    comment.querySelector("[data-score]").textContent = formatScore(result.score);
    comment.querySelectorAll(".vote-form").forEach(function (voteForm) {
      var button = voteForm.querySelector("button");
      var direction = button.dataset.vote;
      var pressed = (direction === "up" && result.vote === 1) || (direction === "down" && result.vote === -1);
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      voteForm.querySelector('input[name="value"]').value = pressed ? "none" : direction;
    });
  }

  document.addEventListener("submit", function (event) {
    var voteForm = event.target.closest(".vote-form");
    if (!voteForm || !window.fetch) {
      return;
    }
    event.preventDefault();
    var comment = commentOf(voteForm);
    fetch(voteForm.action, {
      method: "POST",
      body: new FormData(voteForm),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error("not a vote answer"); // e.g. sent to sign in
        }
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (answer) {
        if (answer.ok) {
          applyVote(comment, answer.data);
        } else {
          // Say why beside the buttons (e.g. a vote on your own comment), keep the score.
          var note = comment.querySelector(".comment__vote-error");
          if (!note) {
            note = document.createElement("span");
            note.className = "comment__vote-error";
            note.setAttribute("role", "alert");
            voteForm.parentNode.appendChild(note);
          }
          note.textContent = answer.data.error;
        }
      })
      .catch(function () {
        voteForm.submit();
      });
  });

  /* --- Following an anchored quote back to its passage. --- */

  function markPassage(paragraph, passage) {
    document.querySelectorAll("mark.quoted-passage").forEach(function (mark) {
      mark.replaceWith(document.createTextNode(mark.textContent));
    });
    paragraph.normalize();
    var walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var index = node.data.indexOf(passage);
      if (index !== -1) {
        var range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + passage.length);
        var mark = document.createElement("mark");
        mark.className = "quoted-passage";
        range.surroundContents(mark);
        return;
      }
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.article-quote__source");
    if (!link) {
      return;
    }
    var paragraph = document.getElementById(link.hash.slice(1));
    if (!paragraph) {
      return;
    }
    // The paragraph is on this page (the article is above every discussion
    // page): stay here rather than reload the article from its first page.
    event.preventDefault();
    markPassage(paragraph, link.dataset.passage || "");
    window.history.pushState(null, "", link.hash);
    paragraph.scrollIntoView({ block: "center" });
  });


  /* --- The live discussion: new comments, edits, votes and presence. --- */

  var discussion = document.getElementById("discussion");

  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function myHandle() {
    var me = document.querySelector(".account-nav__me");
    return me ? me.textContent.trim() : null;
  }

  function elementFromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var element = template.content.firstElementChild;
    // Live HTML is rendered for no one in particular: add this page's CSRF
    // token, and drop vote buttons from the reader's own comments.
    element.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
      input.value = csrfToken();
    });
    if (element.dataset.handle === myHandle() || !csrfToken()) {
      // Own comments take no votes; signed-out readers vote after signing in (reload).
      element.querySelectorAll(".vote-form").forEach(function (form) {
        form.remove();
      });
    }
    return element;
  }

  /* Presence: each marker knows how long its reader stays Online; events extend it. */

  var onlineUntil = {};

  function showPresence(handle) {
    var online = (onlineUntil[handle] || 0) > Date.now();
    document.querySelectorAll('[data-presence-handle="' + CSS.escape(handle) + '"]').forEach(function (marker) {
      marker.classList.toggle("presence--online", online);
      marker.classList.toggle("presence--offline", !online);
      marker.textContent = online ? discussion.dataset.onlineLabel : discussion.dataset.offlineLabel;
    });
  }

  function setPresence(handle, seconds) {
    onlineUntil[handle] = Date.now() + seconds * 1000;
    showPresence(handle);
  }

  function watchPresence(root) {
    root.querySelectorAll("[data-presence-handle]").forEach(function (marker) {
      var handle = marker.dataset.presenceHandle;
      var seconds = parseInt(marker.dataset.onlineSeconds || "0", 10);
      var until = Date.now() + seconds * 1000;
      if (!(handle in onlineUntil) || until > onlineUntil[handle]) {
        onlineUntil[handle] = until;
      }
      showPresence(handle);
    });
  }

  function expirePresence() {
    var now = Date.now();
    Object.keys(onlineUntil).forEach(function (handle) {
      var until = onlineUntil[handle];
      if (until && until <= now) {
        onlineUntil[handle] = 0;
        showPresence(handle);
      }
    });
  }

  /* New comments wait behind a bar, so the page does not jump under the reader. */

  var pending = [];

  function commentList() {
    return discussion.querySelector("ol.comments");
  }

  function findComment(number) {
    return document.getElementById("comment-" + number);
  }

  function announce(text) {
    var status = discussion.querySelector("[data-live-status]");
    if (status) {
      status.textContent = text;
    }
  }

  function updateBar() {
    var bar = discussion.querySelector("[data-live-bar]");
    if (!pending.length) {
      bar.hidden = true;
      return;
    }
    var label =
      pending.length === 1
        ? discussion.dataset.newOne
        : discussion.dataset.newMany.replace("{count}", pending.length);
    bar.querySelector("[data-live-show]").textContent = label;
    bar.hidden = false;
    announce(label);
  }

  function placeComment(event) {
    var element = elementFromHtml(event.html);
    var list = commentList();
    if (event.parent === null) {
      var partial = discussion.hasAttribute("data-partial-page");
      if (discussion.dataset.sort === "newest" && !discussion.querySelector('a[rel="prev"]')) {
        list.insertBefore(element, list.firstElementChild);
        return element;
      }
      if (discussion.dataset.sort === "oldest" && !partial) {
        list.appendChild(element);
        return element;
      }
      return null;
    }
    var inThread = list.querySelectorAll('li.comment[data-thread="' + event.thread + '"]');
    if (!inThread.length) {
      return null;
    }
    for (var i = 0; i < inThread.length; i += 1) {
      if (inThread[i].dataset.path > event.path) {
        list.insertBefore(element, inThread[i]);
        return element;
      }
    }
    var last = inThread[inThread.length - 1];
    var next = last.nextElementSibling;
    if (next && next.classList.contains("more-replies")) {
      last = next;
    }
    last.after(element);
    return element;
  }

  function showPending() {
    var first = null;
    var elsewhere = null;
    pending.forEach(function (event) {
      if (findComment(event.number)) {
        return;
      }
      var element = placeComment(event);
      if (element) {
        watchPresence(element);
        element.classList.add("comment--new");
        first = first || element;
      } else {
        elsewhere = elsewhere || event;
      }
    });
    pending = [];
    updateBar();
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus();
    } else if (elsewhere) {
      window.location.href = discussion.dataset.liveUrl.replace(/live\/$/, "comments/" + elsewhere.number + "/");
    }
  }

  function replaceComment(event) {
    // A comment still waiting behind the bar takes the change too: a deletion
    // must not be undone by showing the words it erased.
    pending.forEach(function (waiting) {
      if (waiting.number === event.number) {
        waiting.html = event.html;
      }
    });
    var existing = findComment(event.number);
    if (!existing) {
      return;
    }
    var fresh = elementFromHtml(event.html);
    ["article-quote", "comment__body", "comment__header", "comment__placeholder"].forEach(function (name) {
      var old = existing.querySelector("." + name);
      var updated = fresh.querySelector("." + name);
      if (old && updated) {
        old.replaceWith(updated);
      } else if (old && !updated) {
        old.remove();
      }
    });
    if (event.type === "comment.deleted" || event.type === "comment.removed") {
      existing.replaceWith(fresh);
    }
  }

  var handlers = {
    "comment.posted": function (event) {
      if (findComment(event.number) || pending.some(function (p) { return p.number === event.number; })) {
        return;
      }
      if (event.author === myHandle() && placeComment(event)) {
        return; // the reader's own comment (from another tab): show it at once
      }
      pending.push(event);
      updateBar();
    },
    "comment.edited": replaceComment,
    "comment.deleted": replaceComment,
    "comment.removed": replaceComment,
    "comment.voted": function (event) {
      var comment = findComment(event.number);
      if (comment) {
        comment.querySelector("[data-score]").textContent = formatScore(event.score);
      }
    },
    "presence.changed": function (event) {
      Object.keys(event.readers).forEach(function (handle) {
        setPresence(handle, event.readers[handle]);
      });
    },
    "discussion.reload": function () {
      window.location.reload();
    },
  };

  function connectLive() {
    var url = discussion.dataset.liveUrl + "?after=" + encodeURIComponent(discussion.dataset.liveAfter || "0");
    // EventSource reconnects by itself and sends Last-Event-ID: the server
    // then replays exactly what this page missed.
    var source = new EventSource(url);
    Object.keys(handlers).forEach(function (type) {
      source.addEventListener(type, function (message) {
        handlers[type](JSON.parse(message.data));
      });
    });
    discussion.dataset.live = "connecting";
    source.addEventListener("open", function () {
      discussion.dataset.live = "open";
    });
    source.addEventListener("error", function () {
      discussion.dataset.live = "reconnecting";
    });
  }

  if (discussion && discussion.dataset.liveUrl && window.EventSource) {
    watchPresence(document);
    window.setInterval(expirePresence, 1000);
    discussion.querySelector("[data-live-show]").addEventListener("click", showPending);
    connectLive();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusHighlightedComment);
  } else {
    focusHighlightedComment();
  }
})();

/*
 * The moderation queue: decide with one key, without a reload.
 * J/K move between items, A approves, R rejects with the chosen reason,
 * B rejects and bans the author, S rejects and suspends the author for a week.
 */
(function () {
  "use strict";

  var queue = document.querySelector("[data-queue]");
  if (!queue) {
    return;
  }
  var status = queue.querySelector("[data-queue-status]");

  function items() {
    return Array.prototype.slice.call(queue.querySelectorAll(".queue__item"));
  }

  function current() {
    return queue.querySelector(".queue__item--current") || items()[0] || null;
  }

  function select(item) {
    items().forEach(function (other) {
      other.classList.remove("queue__item--current");
    });
    if (item) {
      item.classList.add("queue__item--current");
      item.focus();
    }
  }

  function decide(item, action) {
    var form = item.querySelector(".queue__decision");
    var data = new FormData(form);
    data.set("action", action);
    // getAttribute: the form's buttons are named "action", which shadows form.action.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          return { ok: response.ok, answer: answer };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          status.textContent = result.answer.error;
          return;
        }
        status.textContent = result.answer.done;
        var next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        if (!items().length) {
          queue.querySelector(".queue__empty").hidden = false;
        }
        select(next);
      })
      .catch(function () {
        // Not a JSON answer (signed out, server error): let the form do it the plain way.
        var button = form.querySelector('button[value="' + action + '"]');
        form.requestSubmit(button);
      });
  }

  queue.addEventListener("click", function (event) {
    var button = event.target.closest(".queue__decision button[name=action]");
    if (!button) {
      return;
    }
    event.preventDefault();
    decide(button.closest(".queue__item"), button.value);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea") {
      return;
    }
    var item = current();
    if (!item) {
      return;
    }
    var key = event.key.toLowerCase();
    if (key === "j") {
      select(item.nextElementSibling || item);
    } else if (key === "k") {
      select(item.previousElementSibling || item);
    } else if (key === "a") {
      decide(item, "approve");
    } else if (key === "r") {
      decide(item, "reject");
    } else if (key === "b") {
      decide(item, "ban");
    } else if (key === "s") {
      decide(item, "suspend");
    } else {
      return;
    }
    event.preventDefault();
  });

  select(current());
})();
