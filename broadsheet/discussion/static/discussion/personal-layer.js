/*
 * The signed-in reader's own part of an article page, laid over the page every
 * reader gets (docs/personal-layer.md): the account links, the comment form, the
 * follow button, their votes pressed, vote buttons that post, edit and delete on
 * their own comments, and their held comments where they belong. The server
 * decides all of it (discussion/page.py build_personal_layer); this only applies it.
 *
 * Contract: the discussion is #discussion, with data-personal-layer-url (the
 * layer of this article; this page's query is added) and data-full-page-url
 * (the page drawn for the reader, for held comments past the layer's cap). The
 * header holds [data-personal-nav]; the discussion [data-personal-follow] and
 * [data-personal-form]. On the shared page a vote is a form[data-vote-url] whose
 * button carries data-vote. When done it sets data-reader-handle and
 * data-csrf-token on the discussion and sends "broadsheet:personal" on the
 * document (comment-form.js and live.js listen).
 *
 * It asks only when the marker cookie says a signed-in reader's script runs
 * here, or when the page is one Django drew for a signed-in reader (then only
 * so that the answer sets the marker: the next page is the shared one). When
 * the front cache already held the reader's layer, it came inside the page as
 * <script type="application/json" id="personal-layer-data"> (not executed): that
 * is applied at once and nothing is asked.
 */
(function () {
  "use strict";

  var discussion = document.getElementById("discussion");
  if (!discussion || !discussion.dataset.personalLayerUrl || !window.fetch) {
    return;
  }
  var marker = (document.cookie.match(/(?:^|;\s*)broadsheet_layer=([^;]*)/) || [])[1];
  var drawnForReader = Boolean(discussion.dataset.readerHandle);
  if (drawnForReader ? marker === "0" || marker === "1" : marker !== "1") {
    return;
  }

  function fromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  function fill(selector, html) {
    var place = document.querySelector(selector);
    if (place) {
      place.replaceChildren(fromHtml(html));
    }
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  /* A sign-in vote button of the shared page, made a vote the reader posts. */
  function makeVoteForm(form, voteUrl, myVote, token) {
    var button = form.querySelector("button");
    var direction = button.dataset.vote;
    var pressed = (direction === "up" && myVote === 1) || (direction === "down" && myVote === -1);
    form.replaceChildren(
      hidden("csrfmiddlewaretoken", token),
      hidden("value", pressed ? "none" : direction),
      button
    );
    form.method = "post";
    form.action = voteUrl;
    form.classList.add("vote-form");
    form.removeAttribute("data-vote-url");
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
  }

  function actionForm(url, label) {
    var form = document.createElement("form");
    form.method = "get";
    form.action = url;
    form.className = "inline-form";
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "link-button";
    button.textContent = label;
    form.appendChild(button);
    return form;
  }

  function applyControls(comment, controls, layer) {
    var footer = comment.querySelector(".comment__actions");
    if (!footer) {
      return;
    }
    footer.querySelectorAll("form[data-vote-url]").forEach(function (form) {
      if (controls.vote === "form") {
        makeVoteForm(form, controls.vote_url, controls.my_vote, layer.csrf_token);
      } else {
        form.remove();
      }
    });
    var report = footer.querySelector(".comment__report");
    if (report && !controls.report_url) {
      report.closest("form").remove();
    }
    var before = footer.querySelector(".comment__report") ? footer.querySelector(".comment__report").closest("form") : null;
    if (controls.edit_url) {
      footer.insertBefore(actionForm(controls.edit_url, layer.labels.edit), before);
    }
    if (controls.delete_url) {
      footer.insertBefore(actionForm(controls.delete_url, layer.labels.delete), before);
    }
  }

  function insertHeld(list, held) {
    var element = fromHtml(held.html).firstElementChild;
    if (!element || document.getElementById("comment-" + held.number)) {
      return;
    }
    var after = held.after === null ? null : document.getElementById("comment-" + held.after);
    if (after) {
      var next = after.nextElementSibling;
      if (next && next.classList.contains("more-replies")) {
        after = next;
      }
      after.after(element);
    } else if (held.after === null) {
      list.insertBefore(element, list.firstElementChild);
    }
  }

  function apply(layer) {
    fill("[data-personal-nav]", layer.nav);
    fill("[data-personal-follow]", layer.follow);
    fill("[data-personal-form]", layer.form);
    discussion.dataset.readerHandle = layer.handle;
    discussion.dataset.csrfToken = layer.csrf_token;
    delete discussion.dataset.signInUrl;
    var list = discussion.querySelector("ol.comments");
    list.querySelectorAll(":scope > li.comment").forEach(function (comment) {
      var controls = layer.comments[comment.dataset.number];
      if (controls) {
        applyControls(comment, controls, layer);
        return;
      }
      // As for every signed-in reader: the vote buttons post, nothing pressed.
      comment.querySelectorAll("form[data-vote-url]").forEach(function (form) {
        makeVoteForm(form, form.dataset.voteUrl, 0, layer.csrf_token);
      });
    });
    layer.held.forEach(function (held) {
      insertHeld(list, held);
    });
    if (layer.held_left_out) {
      var note = document.createElement("p");
      note.className = "comment__pending";
      var link = document.createElement("a");
      link.href = discussion.dataset.fullPageUrl;
      link.textContent = layer.labels.more_held;
      note.appendChild(link);
      list.after(note);
    }
    var empty = discussion.querySelector(".discussion__empty");
    if (empty && list.querySelector("li.comment")) {
      empty.remove();
    }
    layer.scripts.forEach(function (src) {
      var script = document.createElement("script");
      script.src = src;
      document.head.appendChild(script);
    });
    discussion.dataset.personal = "applied";
    document.dispatchEvent(new CustomEvent("broadsheet:personal", { detail: { handle: layer.handle } }));
  }

  function use(layer) {
    if (!layer || drawnForReader) {
      return; // signed out (the server forgot the marker), or only arming it
    }
    if (layer.full_page) {
      // Staff: their page shows more than a layer carries. Once, in case the
      // marker cannot be forgotten.
      if (!window.sessionStorage.getItem("broadsheet-full-page")) {
        window.sessionStorage.setItem("broadsheet-full-page", "1");
        window.location.reload();
      }
      return;
    }
    apply(layer);
  }

  /* The layer the front cache stitched into this page, as data (no request). */
  function stitchedLayer() {
    var block = document.getElementById("personal-layer-data");
    if (!block) {
      return null;
    }
    block.remove();
    try {
      return JSON.parse(block.textContent);
    } catch (error) {
      return null;
    }
  }

  var stitched = drawnForReader ? null : stitchedLayer();
  if (stitched) {
    use(stitched);
    return;
  }
  // Not stitched (no layer kept yet, or it went stale): ask. The answer is kept,
  // so the next page view comes with it.
  fetch(discussion.dataset.personalLayerUrl + window.location.search, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(use)
    .catch(function () {
      /* the page stays as every signed-out reader sees it; the next one asks again */
    });
})();
