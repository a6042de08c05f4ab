/*
 * The live discussion: one Server-Sent Events stream per page brings new
 * comments (behind a "N new comments" bar, so nothing jumps under the reader),
 * edits and removals (swapped in place), scores and presence news.
 *
 * Contract: the discussion is #discussion, with
 *   data-live-url, data-live-after   the stream, and the newest event the page shows
 *   data-sort, data-partial-page, data-has-previous-page
 *                                    where a new comment may be placed on this page
 *   data-comment-url                 a comment's address, "{number}" standing for its number
 *   data-reader-handle, data-csrf-token
 *                                    the signed-in reader (absent when signed out)
 *   data-new-one, data-new-many      the bar's labels ("{count}")
 * and holds [data-live-bar] with its button [data-live-show], [data-live-status]
 * and ol.comments of li.comment (id "comment-N", data-thread, data-path).
 * It sets data-live to connecting / open / reconnecting, passes presence
 * news on as "discussion:presence" events (presence.js), and the signed-in
 * reader's private news (notification.*) as "broadsheet:private" events on the
 * document (notifications.js). Inserted comments need
 * no wiring: the other behaviours listen on the discussion itself.
 */
(function () {
  "use strict";

  var discussion = document.getElementById("discussion");
  if (!discussion || !discussion.dataset.liveUrl || !window.EventSource) {
    return;
  }
  var readerHandle = discussion.dataset.readerHandle || null;
  // On the shared page the reader is known once their personal layer arrives.
  document.addEventListener("broadsheet:personal", function () {
    readerHandle = discussion.dataset.readerHandle || null;
  });
  var pending = [];

  function commentUrl(number) {
    return discussion.dataset.commentUrl.replace("{number}", number);
  }

  function formatScore(score) {
    return score > 0 ? "+" + score : String(score);
  }

  // An article with editions sends each comment as each edition's page shows it.
  var pageLanguage = discussion.dataset.pageLanguage || "";

  function htmlOf(event) {
    return (event.editions && event.editions[pageLanguage]) || event.html;
  }

  function elementFromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var element = template.content.firstElementChild;
    // Live HTML is rendered for no one in particular: own comments take no votes,
    // and signed-out readers vote after signing in (a reload). voting.js adds the
    // CSRF token to the remaining vote forms when they are used.
    if (!readerHandle || element.dataset.handle === readerHandle) {
      element.querySelectorAll(".vote-form").forEach(function (form) {
        form.remove();
      });
    }
    return element;
  }

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

  /* Where a new comment goes on this page, if it belongs here at all. */
  function placeComment(event) {
    var element = elementFromHtml(htmlOf(event));
    var list = commentList();
    if (event.parent === null) {
      var partial = discussion.hasAttribute("data-partial-page");
      if (discussion.dataset.sort === "newest" && !discussion.hasAttribute("data-has-previous-page")) {
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
      window.location.href = commentUrl(elsewhere.number);
    }
  }

  function replaceComment(event) {
    // A comment still waiting behind the bar takes the change too: a deletion
    // must not be undone by showing the words it erased.
    pending.forEach(function (waiting) {
      if (waiting.number === event.number) {
        waiting.html = event.html;
        waiting.editions = event.editions;
      }
    });
    var existing = findComment(event.number);
    if (!existing) {
      return;
    }
    var fresh = elementFromHtml(htmlOf(event));
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
      var waiting = pending.some(function (p) {
        return p.number === event.number;
      });
      if (findComment(event.number) || waiting) {
        return;
      }
      if (readerHandle && event.author === readerHandle && placeComment(event)) {
        return; // the reader's own comment (from another tab): show it at once
      }
      pending.push(event);
      updateBar();
    },
    "comment.edited": replaceComment,
    "comment.deleted": replaceComment,
    "comment.removed": replaceComment,
    "comment.withdrawn": function (event) {
      // Held again for a moderator: gone from this page, as from a reload.
      pending = pending.filter(function (waiting) {
        return waiting.number !== event.number;
      });
      updateBar();
      var existing = findComment(event.number);
      if (existing) {
        existing.remove();
      }
    },
    "comment.voted": function (event) {
      var comment = findComment(event.number);
      if (comment) {
        comment.querySelector("[data-score]").textContent = formatScore(event.score);
      }
    },
    "presence.changed": function (event) {
      discussion.dispatchEvent(new CustomEvent("discussion:presence", { detail: { readers: event.readers } }));
    },
    "discussion.reload": function () {
      window.location.reload();
    },
    "notification.created": passPrivateNews,
    "notifications.read": passPrivateNews,
  };

  // A script that redrew the comments (the embedded discussion after a post, say)
  // says so: news of comments that are now on the page is news no longer.
  discussion.addEventListener("discussion:refreshed", function () {
    var before = pending.length;
    pending = pending.filter(function (waiting) {
      return !findComment(waiting.number);
    });
    if (pending.length !== before) {
      updateBar();
    }
  });

  function passPrivateNews(event) {
    document.dispatchEvent(new CustomEvent("broadsheet:private", { detail: event }));
  }

  function connect() {
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

  discussion.querySelector("[data-live-show]").addEventListener("click", showPending);
  // notifications.js needs no stream of its own on this page.
  discussion.dataset.carriesPrivateNews = "";
  connect();
})();
