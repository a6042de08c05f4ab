/*
 * Votes without a reload: a vote form posts with fetch and the comment shows the
 * new score; without this file (or when the answer is not JSON) it is a plain post.
 *
 * Contract: the discussion is #discussion, with data-csrf-token for a signed-in
 * reader (comments that arrived live carry an empty token field). A vote is a
 * form.vote-form in li.comment, its button carrying data-vote="up" or "down"
 * and aria-pressed, its field "value"; the score is [data-score]. The listener
 * sits on the discussion, so comments inserted later work by themselves.
 */
(function () {
  "use strict";

  var discussion = document.getElementById("discussion");
  if (!discussion || !window.fetch) {
    return;
  }

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

  function showRefusal(comment, voteForm, message) {
    // Say why beside the buttons (e.g. a vote on your own comment), keep the score.
    var note = comment.querySelector(".comment__vote-error");
    if (!note) {
      note = document.createElement("span");
      note.className = "comment__vote-error";
      note.setAttribute("role", "alert");
      voteForm.parentNode.appendChild(note);
    }
    note.textContent = message;
  }

  discussion.addEventListener("submit", function (event) {
    var voteForm = event.target.closest(".vote-form");
    if (!voteForm) {
      return;
    }
    event.preventDefault();
    var comment = voteForm.closest("li.comment");
    var token = voteForm.querySelector('input[name="csrfmiddlewaretoken"]');
    if (token && !token.value) {
      token.value = discussion.dataset.csrfToken || "";
    }
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
          showRefusal(comment, voteForm, answer.data.error);
        }
      })
      .catch(function () {
        voteForm.submit();
      });
  });
})();
