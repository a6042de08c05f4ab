/*
 * The moderation queue: decide with one key, without a reload.
 * J/K move between items, A approves, R rejects with the chosen reason,
 * B rejects and bans the author, S rejects and suspends the author for a week.
 *
 * Contract with moderation/queue.html: the queue is [data-queue]; each item is
 * [data-queue-item] holding one decision form whose buttons are named "action";
 * [data-queue-status] says what happened, [data-queue-empty] shows when nothing
 * is left. Without this file every button is a plain form post.
 */
(function () {
  "use strict";

  var queue = document.querySelector("[data-queue]");
  if (!queue) {
    return;
  }
  var status = queue.querySelector("[data-queue-status]");

  function items() {
    return Array.prototype.slice.call(queue.querySelectorAll("[data-queue-item]"));
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
    var form = item.querySelector("form");
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
          queue.querySelector("[data-queue-empty]").hidden = false;
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
    var button = event.target.closest("[data-queue-item] button[name=action]");
    if (!button) {
      return;
    }
    event.preventDefault();
    decide(button.closest("[data-queue-item]"), button.value);
  });

  var keys = { a: "approve", r: "reject", b: "ban", s: "suspend" };

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
    } else if (keys[key]) {
      decide(item, keys[key]);
    } else {
      return;
    }
    event.preventDefault();
  });

  select(current());
})();
