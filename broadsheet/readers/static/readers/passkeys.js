/*
 * Passkeys: make one (account's two-factor page) or sign in with one (the second
 * step of signing in), with the browser's WebAuthn API.
 *
 * Contract with readers/two_factor.html and readers/second_step.html: a form
 * [data-passkey="create"|"get"], hidden until this file shows it, names in
 * [data-passkey-options] the id of a JSON script element holding the server's
 * options (binary fields as base64url), and in [data-passkey-failed] what to say
 * when the browser gives no credential; the form has a hidden input "credential"
 * that this file fills with the credential as JSON before submitting the form
 * as a normal post, and a [data-passkey-status] element for messages.
 */
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withCredentialIds(list) {
    return (list || []).map(function (descriptor) {
      var copy = Object.assign({}, descriptor);
      copy.id = fromBase64url(descriptor.id);
      return copy;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromBase64url(json.user.id) });
    options.excludeCredentials = withCredentialIds(json.excludeCredentials);
    return { publicKey: options };
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.allowCredentials = withCredentialIds(json.allowCredentials);
    return { publicKey: options };
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) {
        json.response.transports = response.getTransports();
      }
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return JSON.stringify(json);
  }

  document.querySelectorAll("[data-passkey-needs-script]").forEach(function (note) {
    note.hidden = true;
  });

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var mode = form.getAttribute("data-passkey");
    var source = document.getElementById(form.getAttribute("data-passkey-options"));
    var status = form.querySelector("[data-passkey-status]");
    var field = form.querySelector("input[name=credential]");
    if (!source || !field) {
      return;
    }
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      if (field.value) {
        return;
      }
      event.preventDefault();
      var json = JSON.parse(source.textContent);
      var asked =
        mode === "create"
          ? navigator.credentials.create(creationOptions(json))
          : navigator.credentials.get(requestOptions(json));
      if (status) {
        status.textContent = "";
      }
      asked
        .then(function (credential) {
          field.value = credentialJSON(credential);
          form.submit();
        })
        .catch(function () {
          if (status) {
            status.textContent = form.getAttribute("data-passkey-failed");
          }
        });
    });
  });
})();
