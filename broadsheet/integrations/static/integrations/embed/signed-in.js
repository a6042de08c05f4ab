/*
 * The last page of the embedded discussion's sign-in popup: hands the new token
 * to the frame that opened this window, then closes.
 *
 * Contract: #embed-handoff with data-token, data-handle, data-display-name,
 * data-expires-at and data-target-origin (Broadsheet's own origin: the frame is
 * on it, so the message can reach no other page, and never the host site's);
 * [data-handoff-working] and [data-handoff-lost] are the two outcomes.
 */
(function () {
  "use strict";

  var handoff = document.getElementById("embed-handoff");
  if (!handoff) {
    return;
  }
  var data = handoff.dataset;
  if (!window.opener || window.opener === window) {
    handoff.querySelector("[data-handoff-working]").hidden = true;
    handoff.querySelector("[data-handoff-lost]").hidden = false;
    return;
  }
  window.opener.postMessage(
    {
      type: "broadsheet:signed-in",
      token: data.token,
      handle: data.handle,
      displayName: data.displayName,
      expiresAt: data.expiresAt,
    },
    data.targetOrigin
  );
  window.close();
})();
