/*
 * Broadsheet's embedded discussion, for pages of other sites (docs/embed.md).
 *
 *   <div id="broadsheet-discussion"></div>
 *   <script src="https://comments.example.org/embed.js" async></script>
 *
 * puts the discussion of this page (its <link rel="canonical">, or its address
 * without query and fragment) in a frame served by Broadsheet, and
 *
 *   <a href="https://example.org/story" data-broadsheet-count>…</a>
 *   <span data-broadsheet-count="https://example.org/story"></span>
 *
 * get "N comments", with one request for all of them. The container may say
 * data-url (another canonical address), data-title, data-lang ("en", "ru"),
 * data-scheme ("light", "dark") and data-sso-token (a single sign-on JWT the
 * newsroom's server made for the reader: docs/sso.md); otherwise the page's <html lang> and its colour
 * scheme are followed, and changes of scheme are passed on.
 *
 * The frame talks to this page only with postMessage: its height comes in and is
 * believed only from Broadsheet's origin and from the frame's own window; the
 * colour scheme goes out to Broadsheet's origin only.
 */
(function () {
  "use strict";

  var LABELS = {{ labels_json|safe }};
  var DEFAULT_LANGUAGE = "{{ default_language|escapejs }}";
  var TITLE_MAX = 300;

  var script =
    document.currentScript ||
    Array.prototype.filter.call(document.getElementsByTagName("script"), function (s) {
      return /\/embed\.js(\?|$)/.test(s.src);
    })[0];
  if (!script) {
    return;
  }
  var broadsheet = new URL(script.src, window.location.href).origin;

  function language(element) {
    var wanted = ((element && element.dataset.lang) || document.documentElement.lang || "").toLowerCase();
    wanted = wanted.split("-")[0];
    return LABELS[wanted] ? wanted : DEFAULT_LANGUAGE;
  }

  function canonicalUrl(container) {
    if (container.dataset.url) {
      return new URL(container.dataset.url, window.location.href).href;
    }
    var link = document.querySelector('link[rel="canonical"]');
    if (link && link.href) {
      return link.href;
    }
    return window.location.origin + window.location.pathname;
  }

  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  /* The host page's scheme: what the container says, else the page's own
   * color-scheme when it names only one, else the reader's system preference. */
  function scheme(container) {
    var asked = container.dataset.scheme;
    if (asked === "dark" || asked === "light") {
      return asked;
    }
    var declared = "";
    [document.body, document.documentElement].forEach(function (element) {
      if (!declared && element) {
        var value = window.getComputedStyle(element).colorScheme || "";
        if (value && value !== "normal") {
          declared = value;
        }
      }
    });
    if (!declared) {
      var meta = document.querySelector('meta[name="color-scheme"]');
      declared = meta ? meta.content : "";
    }
    var words = declared.split(/\s+/);
    var dark = words.indexOf("dark") !== -1;
    var light = words.indexOf("light") !== -1;
    if (dark && !light) {
      return "dark";
    }
    if (light && !dark) {
      return "light";
    }
    return darkQuery && darkQuery.matches ? "dark" : "light";
  }

  function embed(container) {
    if (container.dataset.broadsheetEmbedded) {
      return;
    }
    container.dataset.broadsheetEmbedded = "true";
    var lang = language(container);
    var current = scheme(container);
    var params = new URLSearchParams({
      url: canonicalUrl(container),
      title: (container.dataset.title || document.title || "").slice(0, TITLE_MAX),
      origin: window.location.origin,
      lang: lang,
      scheme: current,
    });
    var frame = document.createElement("iframe");
    frame.src = broadsheet + "/embed/frame/?" + params.toString();
    frame.title = LABELS[lang].frameTitle;
    // The frame may open a discussion for this page only when it can tell which
    // site asks: an origin-only Referer, whatever this page's own policy.
    frame.referrerPolicy = "origin";
    frame.setAttribute("scrolling", "no");
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.overflow = "hidden";
    frame.style.colorScheme = current;
    frame.style.height = "320px";
    container.appendChild(frame);

    // The newsroom's own sign-in: a JWT its server made for this reader goes to
    // the frame (Broadsheet's origin only, never into an address), once.
    var ssoToken = container.dataset.ssoToken;
    if (ssoToken) {
      frame.addEventListener("load", function sendToken() {
        frame.removeEventListener("load", sendToken);
        frame.contentWindow.postMessage({ type: "broadsheet:sso", token: ssoToken }, broadsheet);
      });
    }

    window.addEventListener("message", function (event) {
      if (event.origin !== broadsheet || event.source !== frame.contentWindow) {
        return;
      }
      var data = event.data || {};
      if (data.type === "broadsheet:height" && typeof data.height === "number" && isFinite(data.height)) {
        frame.style.height = Math.max(50, Math.min(Math.ceil(data.height), 200000)) + "px";
      }
    });

    function followScheme() {
      var now = scheme(container);
      if (now !== current && frame.contentWindow) {
        current = now;
        frame.style.colorScheme = now;
        frame.contentWindow.postMessage({ type: "broadsheet:scheme", scheme: now }, broadsheet);
      }
    }
    if (darkQuery) {
      if (darkQuery.addEventListener) {
        darkQuery.addEventListener("change", followScheme);
      } else if (darkQuery.addListener) {
        darkQuery.addListener(followScheme);
      }
    }
    if (window.MutationObserver) {
      var observer = new MutationObserver(followScheme);
      var watched = { attributes: true, attributeFilter: ["class", "style", "data-theme", "data-scheme", "data-color-scheme"] };
      observer.observe(document.documentElement, watched);
      if (document.body) {
        observer.observe(document.body, watched);
      }
      observer.observe(container, watched);
    }
  }

  /* --- Count mode ----------------------------------------------------------- */

  function pageKey(url) {
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.origin + parsed.pathname;
    } catch (error) {
      return url;
    }
  }

  /* The counts answer: {"slugs": {slug: n}, "urls": {address: n}}. */
  function countsByPage(data) {
    var found = {};
    ["urls", "slugs"].forEach(function (kind) {
      var counts = (data && data[kind]) || {};
      Object.keys(counts).forEach(function (key) {
        if (typeof counts[key] === "number") {
          found[kind === "urls" ? pageKey(key) : "slug:" + key] = counts[key];
        }
      });
    });
    return found;
  }

  /* Our own article pages are asked for by slug, other pages by address. */
  var OWN_ARTICLE = /^\/articles\/([A-Za-z0-9_-]+)\/$/;

  function countKey(url) {
    try {
      var parsed = new URL(url, window.location.href);
      var own = parsed.origin === broadsheet && OWN_ARTICLE.exec(parsed.pathname);
      return own ? "slug:" + own[1] : parsed.origin + parsed.pathname;
    } catch (error) {
      return null;
    }
  }

  function countLabel(lang, count) {
    var forms = LABELS[lang].count;
    var category = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang).select(count) : count === 1 ? "one" : "other";
    return (forms[category] || forms.other).replace("{count}", count.toLocaleString(lang));
  }

  function showCounts() {
    var elements = Array.prototype.slice.call(document.querySelectorAll("[data-broadsheet-count]"));
    var keys = [];
    elements.forEach(function (element) {
      var key = countKey(element.getAttribute("data-broadsheet-count") || element.getAttribute("href") || "");
      if (key) {
        element.dataset.broadsheetCountKey = key;
        if (keys.indexOf(key) === -1) {
          keys.push(key);
        }
      }
    });
    if (!keys.length) {
      return;
    }
    // One request for the whole list (the API answers at most 100 pages at once).
    var query = keys
      .slice(0, 100)
      .map(function (key) {
        return key.indexOf("slug:") === 0 ? "slug=" + encodeURIComponent(key.slice(5)) : "url=" + encodeURIComponent(key);
      })
      .join("&");
    fetch(broadsheet + "/api/v1/counts?" + query, { credentials: "omit" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        var counts = countsByPage(data);
        elements.forEach(function (element) {
          var key = element.dataset.broadsheetCountKey;
          if (key && keys.indexOf(key) < 100) {
            var count = counts[key];
            element.textContent = countLabel(language(element), typeof count === "number" ? count : 0);
          }
        });
      })
      .catch(function () {});
  }

  function start() {
    var container = document.getElementById("broadsheet-discussion");
    if (container) {
      embed(container);
    }
    showCounts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
