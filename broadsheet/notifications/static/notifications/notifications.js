/*
 * The signed-in reader's notifications, live: the count in the header, and
 * telling the server which of them an open page has already shown (a reply the
 * reader saw arrive is read, and no e-mail repeats it).
 *
 * Contract: the header's #notifications-link with data-live-url (the reader's
 * private stream), data-seen-url, data-unread (the count when the page was
 * made, at most 100), data-label-some ("{count}") and a [data-notification-count]
 * inside. On an article page, live.js carries the
 * private news ("broadsheet:private" events) and #discussion gives
 * data-article-id and data-csrf-token; other pages open the private stream here.
 */
(function () {
  "use strict";

  var link = document.getElementById("notifications-link");
  if (!link) {
    return;
  }
  var counter = link.querySelector("[data-notification-count]");
  var discussion = document.getElementById("discussion");
  var articleId = discussion ? Number(discussion.dataset.articleId) : null;
  var waiting = {}; // comment numbers of this page the reader was told about
  var unread = Number(link.dataset.unread) || 0;

  function setUnread(count) {
    unread = count;
    // The server counts up to 100: "99+" past that.
    counter.textContent = count >= 100 ? "99+" : String(count);
    counter.hidden = count === 0;
    if (count > 0) {
      link.setAttribute("aria-label", link.dataset.labelSome.replace("{count}", counter.textContent));
    } else {
      link.removeAttribute("aria-label");
    }
  }

  function reportSeen(numbers) {
    var body = new FormData();
    body.append("article", String(articleId));
    body.append("numbers", numbers.join(","));
    body.append("csrfmiddlewaretoken", discussion.dataset.csrfToken || "");
    fetch(link.dataset.seenUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer) {
          setUnread(answer.unread);
        }
      })
      .catch(function () {
        /* not reported: the notification stays unread, and its e-mail may come */
      });
  }

  function shownNow(number) {
    return document.visibilityState === "visible" && document.getElementById("comment-" + number);
  }

  function reportShown() {
    var ready = Object.keys(waiting).filter(shownNow);
    if (ready.length === 0) {
      return;
    }
    ready.forEach(function (number) {
      delete waiting[number];
    });
    reportSeen(ready);
  }

  function onPrivateNews(event) {
    if (event.type === "notification.created") {
      setUnread(unread + 1);
      if (articleId && event.article === articleId) {
        waiting[event.number] = true;
        reportShown();
      }
    } else if (event.type === "notifications.read") {
      setUnread(event.unread);
    }
  }

  document.addEventListener("broadsheet:private", function (event) {
    onPrivateNews(event.detail);
  });

  if (discussion) {
    // A comment waiting behind the "new comments" bar counts once it is shown.
    new MutationObserver(reportShown).observe(discussion, { childList: true, subtree: true });
    document.addEventListener("visibilitychange", reportShown);
  }

  if (!(discussion && "carriesPrivateNews" in discussion.dataset) && window.EventSource) {
    var source = new EventSource(link.dataset.liveUrl);
    ["notification.created", "notifications.read"].forEach(function (type) {
      source.addEventListener(type, function (message) {
        onPrivateNews(JSON.parse(message.data));
      });
    });
  }
})();
