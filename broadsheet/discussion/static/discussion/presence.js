/*
 * Presence markers (Online / Offline beside each comment's author) count down on
 * their own: each knows how long its reader stays Online, news extends it, and a
 * marker turns Offline when its time runs out, with no request to the server.
 *
 * Contract: the discussion is #discussion, with data-online-label and
 * data-offline-label. A marker is [data-presence-handle] with
 * data-online-seconds (0 when Offline). News comes as "discussion:presence"
 * events on the discussion, detail {readers: {handle: seconds}} (live.js sends
 * them). Markers inserted later are picked up by themselves.
 */
(function () {
  "use strict";

  var discussion = document.getElementById("discussion");
  if (!discussion) {
    return;
  }
  var onlineUntil = {};
  var known = new WeakSet();

  function markers(handle) {
    var selector = handle === undefined ? "[data-presence-handle]" : '[data-presence-handle="' + CSS.escape(handle) + '"]';
    return discussion.querySelectorAll(selector);
  }

  function show(marker) {
    var online = (onlineUntil[marker.dataset.presenceHandle] || 0) > Date.now();
    var label = online ? discussion.dataset.onlineLabel : discussion.dataset.offlineLabel;
    marker.classList.toggle("presence--online", online);
    marker.classList.toggle("presence--offline", !online);
    if (label && marker.textContent !== label) {
      marker.textContent = label;
    }
  }

  /* A marker seen for the first time (on the page, or inserted since) brings
     what the server knew when it was rendered. */
  function adoptNewMarkers() {
    markers().forEach(function (marker) {
      if (known.has(marker)) {
        return;
      }
      known.add(marker);
      var handle = marker.dataset.presenceHandle;
      var seconds = parseInt(marker.dataset.onlineSeconds || "0", 10);
      var until = Date.now() + seconds * 1000;
      if (!(handle in onlineUntil) || until > onlineUntil[handle]) {
        onlineUntil[handle] = until;
        markers(handle).forEach(show);
      } else {
        show(marker);
      }
    });
  }

  function expire() {
    var now = Date.now();
    Object.keys(onlineUntil).forEach(function (handle) {
      var until = onlineUntil[handle];
      if (until && until <= now) {
        onlineUntil[handle] = 0;
        markers(handle).forEach(show);
      }
    });
  }

  discussion.addEventListener("discussion:presence", function (event) {
    var readers = event.detail.readers;
    Object.keys(readers).forEach(function (handle) {
      onlineUntil[handle] = Date.now() + readers[handle] * 1000;
      markers(handle).forEach(show);
    });
  });

  adoptNewMarkers();
  new MutationObserver(adoptNewMarkers).observe(discussion, { childList: true, subtree: true });
  window.setInterval(expire, 1000);
})();
