/*
 * The embedded discussion, inside its frame on Broadsheet's origin.
 *
 * Talks to the host page only through postMessage, and only with the origin
 * the server verified (data-host-origin): its height out, the host's colour
 * scheme in. Signs a reader in through a first-party popup (/embed/sign-in/),
 * which hands back a short-lived API token with window.opener.postMessage; the
 * token lives in memory and in this frame's own (partitioned) sessionStorage,
 * and every write goes to the JSON API with "Authorization: Bearer".
 *
 * Contract: main#embed with data-host-origin; section#discussion (also live.js's
 * and presence.js's) with data-api-comments, data-personal-url, data-sign-in-url,
 * data-sign-out-url, data-sso-token-url (only with single sign-on) and the labels data-reply-template, data-delete-question,
 * data-report-thanks, data-failed-label, data-popup-blocked,
 * data-signed-out-label; inside it [data-fragment] (the comments, swapped for
 * the reader's own view after sign-in), [data-sign-in], [data-sign-out],
 * [data-signed-in], [data-signed-out], [data-account-message],
 * form[data-embed-form] and template[data-report-template].
 */
(function () {
  "use strict";

  var root = document.getElementById("embed");
  var discussion = document.getElementById("discussion");
  if (!root || !discussion) {
    return;
  }
  var hostOrigin = root.dataset.hostOrigin;
  var labels = discussion.dataset;
  var STORAGE_KEY = "broadsheet-embed-session";
  var session = null; // {token, handle, displayName, expiresAt}
  var popup = null;

  /* --- The host page: height out, colour scheme in ------------------------ */

  var lastHeight = 0;

  function sendHeight() {
    var style = window.getComputedStyle(document.body);
    var height = Math.ceil(
      root.getBoundingClientRect().height + parseFloat(style.marginTop) + parseFloat(style.marginBottom)
    );
    if (height !== lastHeight && window.parent !== window) {
      lastHeight = height;
      window.parent.postMessage({ type: "broadsheet:height", height: height }, hostOrigin);
    }
  }

  if (window.ResizeObserver) {
    new ResizeObserver(sendHeight).observe(root);
  }
  window.addEventListener("load", sendHeight);

  function setScheme(scheme) {
    if (scheme === "dark" || scheme === "light") {
      document.documentElement.dataset.scheme = scheme;
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.source === window.parent && event.origin === hostOrigin && data.type === "broadsheet:scheme") {
      setScheme(data.scheme);
      return;
    }
    // The newsroom's own sign-in: the host page hands over the JWT its server made
    // for this reader (data-sso-token on the container), once.
    if (event.source === window.parent && event.origin === hostOrigin && data.type === "broadsheet:sso") {
      if (!session && labels.ssoTokenUrl && typeof data.token === "string" && data.token.length <= 8192) {
        signInWithNewsroom(data.token);
      }
      return;
    }
    // The token comes from our own popup, on our own origin, and from nowhere else.
    if (popup && event.source === popup && event.origin === window.location.origin && data.type === "broadsheet:signed-in") {
      popup = null;
      startSession({
        token: String(data.token),
        handle: String(data.handle),
        displayName: String(data.displayName || ""),
        expiresAt: String(data.expiresAt || ""),
      });
    }
  });

  /* --- The reader's session: a token in memory (and sessionStorage) ------- */

  function remember(value) {
    try {
      if (value) {
        window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
      } else {
        window.sessionStorage.removeItem(STORAGE_KEY);
      }
    } catch (error) {
      // Storage is refused to third-party frames when the browser blocks their
      // cookies: the token then lives in memory only, until the frame reloads.
    }
  }

  function recalled() {
    try {
      var value = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      if (value && value.token && (!value.expiresAt || Date.parse(value.expiresAt) > Date.now())) {
        return value;
      }
    } catch (error) {
      // as above
    }
    return null;
  }

  function showAccount(message) {
    discussion.querySelector("[data-signed-out]").hidden = !!session;
    discussion.querySelector("[data-signed-in]").hidden = !session;
    discussion.querySelector("[data-reader-handle-label]").textContent = session
      ? session.handle + (session.displayName ? " (" + session.displayName + ")" : "")
      : "";
    var form = discussion.querySelector("[data-embed-form]");
    if (form) {
      form.hidden = !session;
    }
    var note = discussion.querySelector("[data-account-message]");
    note.textContent = message || "";
    note.hidden = !message;
  }

  function startSession(value) {
    session = value;
    remember(value);
    showAccount();
    refresh();
  }

  function endSession(message) {
    session = null;
    remember(null);
    showAccount(message);
    refresh();
  }

  /* Trade the newsroom's JWT for a short-lived API token (POST /accounts/sso/token):
   * no cookie is involved, so it works where third-party cookies are blocked. */
  function signInWithNewsroom(jwt) {
    fetch(labels.ssoTokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: jwt }),
      credentials: "omit",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            throw data;
          }
          return data;
        });
      })
      .then(function (data) {
        var reader = data.reader || {};
        startSession({
          token: String(data.token),
          handle: String(reader.handle || ""),
          displayName: String(reader.display_name || ""),
          expiresAt: String(data.expires_at || ""),
        });
      })
      .catch(function (problem) {
        showAccount((problem && typeof problem.detail === "string" && problem.detail) || labels.failedLabel);
      });
  }

  function openSignIn() {
    popup = window.open(labels.signInUrl, "broadsheet-sign-in", "popup,width=520,height=680");
    if (!popup) {
      showAccount(labels.popupBlocked);
    }
  }

  function signOut() {
    var token = session && session.token;
    endSession();
    if (token) {
      fetch(labels.signOutUrl, {
        method: "POST",
        headers: { Authorization: "Bearer " + token },
        credentials: "omit",
      });
    }
  }

  /* --- Reading: the comments as this reader sees them --------------------- */

  function refresh() {
    var headers = session ? { Authorization: "Bearer " + session.token } : {};
    return fetch(labels.personalUrl, { headers: headers, credentials: "omit" }).then(function (response) {
      if (response.status === 401 && session) {
        endSession(labels.signedOutLabel);
        return;
      }
      if (!response.ok) {
        return;
      }
      return response.text().then(function (html) {
        discussion.querySelector("[data-fragment]").innerHTML = html;
        discussion.dispatchEvent(new CustomEvent("discussion:refreshed"));
        sendHeight();
      });
    });
  }

  /* --- Writing: the JSON API ---------------------------------------------- */

  function api(method, path, body) {
    var headers = { Accept: "application/json", Authorization: "Bearer " + session.token };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    return fetch(labels.apiComments + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    }).then(function (response) {
      if (response.status === 401) {
        endSession(labels.signedOutLabel);
        throw new Error("signed out");
      }
      if (response.status === 204) {
        return { response: response, data: null };
      }
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          return { response: response, data: data };
        });
    });
  }

  /* The sentences of an application/problem+json answer. */
  function problems(data) {
    if (!data) {
      return [labels.failedLabel];
    }
    var found = (data.errors || []).map(function (error) {
      return error.detail || error.code;
    });
    if (!found.length && (data.detail || data.title)) {
      found.push(data.detail || data.title);
    }
    return found.length ? found : [labels.failedLabel];
  }

  function showErrors(list, messages) {
    list.textContent = "";
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
    list.hidden = !messages.length;
  }

  var form = discussion.querySelector("[data-embed-form]");

  function cancelReply() {
    form.elements.parent.value = "";
    discussion.querySelector("[data-reply-context]").hidden = true;
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!session) {
        openSignIn();
        return;
      }
      var errors = form.querySelector("[data-form-errors]");
      var parent = parseInt(form.elements.parent.value, 10);
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      api("POST", "", { body: form.elements.body.value, parent: isNaN(parent) ? null : parent })
        .then(function (result) {
          if (result.response.status === 201) {
            form.elements.body.value = "";
            showErrors(errors, []);
            cancelReply();
            return refresh();
          }
          showErrors(errors, problems(result.data));
        })
        .catch(function () {})
        .then(function () {
          button.disabled = false;
        });
    });
    discussion.querySelector("[data-cancel-reply]").addEventListener("click", cancelReply);
  }

  function quoteOf(comment) {
    var body = comment.querySelector(".comment__body");
    var text = (body ? body.innerText : "").trim();
    var head = "#" + comment.dataset.number + " " + comment.dataset.handle + ":";
    return [head]
      .concat(text.split("\n"))
      .map(function (line) {
        return line ? "> " + line : ">";
      })
      .join("\n");
  }

  function reply(comment) {
    form.elements.parent.value = comment.dataset.number;
    discussion.querySelector("[data-reply-text]").textContent = labels.replyTemplate
      .replace("{number}", comment.dataset.number)
      .replace("{handle}", comment.dataset.handle);
    discussion.querySelector("[data-reply-context]").hidden = false;
    form.elements.body.focus();
  }

  function quote(comment) {
    var body = form.elements.body;
    body.value = quoteOf(comment) + "\n\n" + body.value;
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
  }

  function vote(comment, value) {
    var number = comment.dataset.number;
    api("POST", "/" + number + "/vote", { value: value }).then(function (result) {
      if (result.response.ok) {
        return refresh();
      }
    });
  }

  function remove(comment) {
    if (!window.confirm(labels.deleteQuestion)) {
      return;
    }
    api("DELETE", "/" + comment.dataset.number).then(function (result) {
      if (result.response.ok) {
        return refresh();
      }
    });
  }

  function report(comment) {
    if (comment.querySelector("[data-report-form]")) {
      return;
    }
    var template = discussion.querySelector("[data-report-template]");
    var reportForm = template.content.firstElementChild.cloneNode(true);
    comment.querySelector("article").appendChild(reportForm);
    reportForm.querySelector("[data-report-cancel]").addEventListener("click", function () {
      reportForm.remove();
    });
    reportForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var reason = reportForm.querySelector("input[name=reason]:checked");
      api("POST", "/" + comment.dataset.number + "/report", {
        reason: reason ? reason.value : "other",
        text: reportForm.elements.text.value,
      }).then(function (result) {
        var note = document.createElement("p");
        note.className = "embed__note";
        note.setAttribute("role", "status");
        note.textContent = result.response.ok ? labels.reportThanks : problems(result.data).join(" ");
        reportForm.replaceWith(note);
      });
    });
  }

  var VOTES = { up: 1, down: -1, none: 0 };

  /* A comment's controls are the discussion's own forms (discussion/comment.html):
   * without JavaScript they open the site in a new tab; here they act in place. */
  discussion.addEventListener("submit", function (event) {
    var control = event.target;
    var comment = control.closest("li.comment");
    if (!comment || control.closest("[data-report-form]")) {
      return;
    }
    var fields = control.elements;
    var action = control.getAttribute("action") || "";
    var kind = fields.reply_to
      ? "reply"
      : fields.quote_comment
        ? "quote"
        : fields.value && control.classList.contains("vote-form")
          ? "vote"
          : /\/delete\/$/.test(action)
            ? "delete"
            : /\/report\/$/.test(action)
              ? "report"
              : null;
    if (!session) {
      if (kind || control.querySelector("[aria-label]")) {
        event.preventDefault();
        openSignIn();
      }
      return;
    }
    if (!kind) {
      return; // Edit: the site's own page, in a new tab
    }
    event.preventDefault();
    if (kind === "reply") {
      reply(comment);
    } else if (kind === "quote") {
      quote(comment);
    } else if (kind === "vote") {
      vote(comment, VOTES[fields.value.value]);
    } else if (kind === "delete") {
      remove(comment);
    } else {
      report(comment);
    }
  });

  discussion.querySelector("[data-sign-in]").addEventListener("click", openSignIn);
  discussion.querySelector("[data-sign-out]").addEventListener("click", signOut);

  session = recalled();
  showAccount();
  if (session) {
    refresh();
  }
  sendHeight();
})();
