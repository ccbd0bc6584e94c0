// The gateway's sign-in and account page: a client of the public GraphQL API only.
// The session token lives in `state.token` (this page's memory) and nowhere else.
// The DOM is built with textContent and createElement only (Trusted Types forbid HTML strings).
"use strict";

(function () {
  const main = document.getElementById("main");
  const endpoint = main.dataset.endpoint;
  const keyOrigins = (main.dataset.webauthnOrigins || "").split(" ").filter(Boolean);
  const state = { token: null, identity: null, challenge: null, webauthn: null };

  const $ = (id) => document.getElementById(id);
  const steps = ["signin-step", "mfa-step", "password-step", "account-page"];

  // ---- GraphQL -------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(error) {
      super(error.message || "The request failed.");
      this.code = (error.extensions && error.extensions.code) || "";
      this.extensions = error.extensions || {};
    }
  }

  async function gql(query, variables) {
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
    };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    let response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: headers,
        body: JSON.stringify({ query: query, variables: variables || {} }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (failure) {
      throw new ApiError({ message: "The gateway cannot be reached.", extensions: {} });
    }
    const body = await response.json();
    if (body.errors && body.errors.length) throw new ApiError(body.errors[0]);
    return body.data;
  }

  // ---- what the page shows -------------------------------------------------------------

  function show(step, title) {
    for (const id of steps) $(id).hidden = id !== step;
    $("title").textContent = title;
    document.title = title + " · Gateway";
  }

  function say(message) {
    $("status").textContent = message || "";
  }

  function fail(error) {
    $("error").textContent = error ? error.message || String(error) : "";
  }

  function focus(id) {
    const element = $(id);
    if (element) element.focus();
  }

  function clear(...ids) {
    for (const id of ids) $(id).value = "";
  }

  function item(list, text, buttons) {
    const li = document.createElement("li");
    const span = document.createElement("span");
    span.textContent = text;
    li.append(span);
    for (const [label, action, name] of buttons || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      if (name) button.setAttribute("aria-label", name);
      button.addEventListener("click", () => guarded(action));
      li.append(button);
    }
    list.append(li);
  }

  async function guarded(action) {
    fail(null);
    try {
      await action();
    } catch (error) {
      if (state.token && (error.code === "Unauthenticated" || error.code === "ExpiredToken")) {
        signedOut("Your session has ended: sign in again.");
        return;
      }
      fail(error);
    }
  }

  function when(date) {
    return date ? new Date(date).toLocaleString() : "never";
  }

  // ---- WebAuthn: JSON options in, credential JSON out (base64url <-> ArrayBuffer) -------

  function toBuffer(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function toText(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map((c) => Object.assign({}, c, { id: toBuffer(c.id) }));
  }

  function credentialJson(credential) {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      json.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return json;
  }

  function keysWorkHere() {
    return Boolean(window.PublicKeyCredential) && keyOrigins.includes(location.origin);
  }

  function keyNote(element) {
    if (keysWorkHere()) {
      element.hidden = true;
      return;
    }
    element.textContent = keysElsewhere();
    element.hidden = false;
  }

  function keysElsewhere() {
    return (
      "Security keys work on this gateway at " + (keyOrigins[0] || "its configured address") +
      location.pathname + " only, not at " + location.origin + "."
    );
  }

  // ---- signing in ----------------------------------------------------------------------

  const IDENTITY = "identity { arn account userId principalType passwordChangeRequired mfaAuthenticated }";

  function chooseKind() {
    const root = $("kind-root").checked;
    $("user-fields").hidden = root;
    $("root-fields").hidden = !root;
  }

  async function signIn(event) {
    event.preventDefault();
    await guarded(async () => {
      const root = $("kind-root").checked;
      const password = $("password").value;
      const missing = root
        ? !$("email").value || !password
        : !$("account").value || !$("user-name").value || !password;
      if (missing) throw new Error("Fill in every field to sign in.");
      say("Signing in…");
      try {
        const data = root
          ? await gql(
              "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token " +
                IDENTITY + " } }",
              { e: $("email").value, p: password },
            )
          : await gql(
              "mutation($a: String!, $u: String!, $p: String!) {" +
                " signIn(account: $a, userName: $u, password: $p) { token " + IDENTITY + " } }",
              { a: $("account").value, u: $("user-name").value, p: password },
            );
        clear("password");
        await signedIn(root ? data.signInRoot : data.signIn);
      } catch (error) {
        clear("password");
        say("");
        if (error.code === "MfaRequired") return askForMfa(error.extensions);
        throw error;
      }
    });
  }

  function askForMfa(extensions) {
    state.challenge = extensions.challenge;
    state.webauthn = extensions.webauthn || null;
    $("mfa-key").hidden = !state.webauthn;
    keyNote($("key-origin-note"));
    $("use-key").disabled = !keysWorkHere();
    show("mfa-step", "Verify it is you");
    say(
      state.webauthn
        ? "Use your security key, or type a code from your authenticator app or a recovery code."
        : "Type a code from your authenticator app, or a recovery code.",
    );
    focus(state.webauthn && keysWorkHere() ? "use-key" : "mfa-code");
  }

  const VERIFY =
    "mutation($c: String!, $code: String, $k: JSON) {" +
    " verifyMfa(challenge: $c, code: $code, securityKeyCredential: $k) { token " + IDENTITY + " } }";

  async function verify(variables) {
    try {
      const data = await gql(VERIFY, Object.assign({ c: state.challenge }, variables));
      clear("mfa-code");
      await signedIn(data.verifyMfa);
    } catch (error) {
      clear("mfa-code");
      if (error.code === "InvalidAuthenticationCode") {
        if (error.extensions.webauthn) state.webauthn = error.extensions.webauthn;
        throw new Error(
          error.message + " Attempts left: " + error.extensions.attemptsLeft + ".",
        );
      }
      if (error.code === "Unauthenticated") {
        signedOut(error.message);
        return;
      }
      throw error;
    }
  }

  async function verifyCode(event) {
    event.preventDefault();
    await guarded(async () => {
      const code = $("mfa-code").value.trim();
      if (!code) throw new Error("Type the code first.");
      await verify({ code: code });
    });
  }

  async function verifyKey() {
    await guarded(async () => {
      const options = state.webauthn;
      say("Touch your security key…");
      const credential = await navigator.credentials.get({
        publicKey: Object.assign({}, options, {
          challenge: toBuffer(options.challenge),
          allowCredentials: descriptors(options.allowCredentials),
        }),
      });
      say("Checking your security key…");
      await verify({ k: credentialJson(credential) });
    });
  }

  async function signedIn(payload) {
    state.token = payload.token;
    state.identity = payload.identity;
    state.challenge = null;
    state.webauthn = null;
    if (payload.identity.passwordChangeRequired) {
      show("password-step", "Set a new password");
      say("Your password must be changed before you continue.");
      focus("forced-old");
      return;
    }
    await loadAccount();
  }

  function signedOut(message) {
    state.token = null;
    state.identity = null;
    $("role-banner").hidden = true;
    show("signin-step", "Sign in");
    say(message || "");
    focus("title");
  }

  async function changePassword(oldId, newId, confirmId) {
    const oldPassword = $(oldId).value;
    const newPassword = $(newId).value;
    if (!oldPassword || !newPassword) throw new Error("Fill in every password field.");
    if (newPassword !== $(confirmId).value) throw new Error("The new passwords do not match.");
    await gql("mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }", {
      o: oldPassword,
      n: newPassword,
    });
    clear(oldId, newId, confirmId);
  }

  async function forcedPasswordChange(event) {
    event.preventDefault();
    await guarded(async () => {
      await changePassword("forced-old", "forced-new", "forced-confirm");
      state.identity.passwordChangeRequired = false;
      await loadAccount();
      say("Your password was changed.");
    });
  }

  // ---- the account page ----------------------------------------------------------------

  async function loadAccount() {
    const data = await gql(
      "{ whoAmI { arn account userId principalType mfaAuthenticated }" +
        " sessions { id createDate lastUsedDate expiration sourceIp mfa current accessKeyId }" +
        " assumableRoles { roleName arn account } }",
    );
    const who = data.whoAmI;
    state.identity = who;
    $("identity-arn").textContent = who.arn;
    $("identity-account").textContent = who.account;
    $("identity-type").textContent = who.principalType;
    $("identity-mfa").textContent = who.mfaAuthenticated ? "Yes" : "No";

    const role = who.principalType === "AssumedRole";
    const banner = $("role-banner");
    if (role) {
      const parts = who.arn.split(":").slice(5).join(":").split("/");
      $("role-name").textContent = parts[1] || who.arn;
      $("role-account").textContent = who.account;
      $("role-session").textContent = parts[2] || "";
    }
    banner.hidden = !role;
    $("devices-section").hidden = role;
    $("password-section").hidden = role;

    renderSessions(data.sessions);
    renderRoles(data.assumableRoles, who);
    if (!role) await loadDevices();
    show("account-page", role ? "Acting as " + $("role-name").textContent : "Your account");
    focus("title");
  }

  function renderSessions(sessions) {
    const list = $("sessions");
    list.replaceChildren();
    for (const session of sessions) {
      const kind = session.accessKeyId ? "Temporary credentials " + session.accessKeyId : "Sign-in";
      const text =
        kind + " from " + (session.sourceIp || "unknown address") + ", started " +
        when(session.createDate) + ", last used " + when(session.lastUsedDate) +
        (session.mfa ? ", with MFA" : ", without MFA") +
        (session.current ? " (this session)" : "");
      const buttons = session.current
        ? [["Sign out", signOut, "Sign out of this session"]]
        : [["Revoke", () => revokeSession(session.id), "Revoke session started " + when(session.createDate)]];
      item(list, text, buttons);
    }
  }

  async function revokeSession(id) {
    await gql("mutation($id: String!) { revokeSession(sessionId: $id) }", { id: id });
    await loadAccount();
    say("The session was revoked.");
  }

  function renderRoles(roles, who) {
    const list = $("roles");
    list.replaceChildren();
    $("roles-empty").hidden = roles.length > 0;
    for (const role of roles) {
      item(list, role.roleName + " in account " + role.account, [
        ["Switch", () => switchRole(role), "Switch to role " + role.roleName + " in account " + role.account],
      ]);
    }
  }

  async function switchRole(role) {
    const data = await gql(
      "mutation($r: String!) { switchRole(roleArn: $r) { token identity { arn } } }",
      { r: role.arn },
    );
    state.token = data.switchRole.token;
    await loadAccount();
    say("You are now acting as role " + role.roleName + ".");
  }

  async function switchBack() {
    const data = await gql("mutation { switchBack { token identity { arn } } }");
    state.token = data.switchBack.token;
    await loadAccount();
    say("You are back as " + data.switchBack.identity.arn + ".");
  }

  async function signOut() {
    try {
      await gql("mutation { signOut }");
    } finally {
      signedOut("You signed out.");
    }
  }

  async function loadDevices() {
    const data = await gql("{ mfaDevices { serialNumber deviceType name enableDate lastUsedDate } }");
    const list = $("devices");
    list.replaceChildren();
    $("devices-empty").hidden = data.mfaDevices.length > 0;
    for (const device of data.mfaDevices) {
      const kind = device.deviceType === "SECURITY_KEY" ? "Security key" : "Authenticator app";
      item(list, kind + " " + device.name + " (" + device.serialNumber + "), enabled " + when(device.enableDate), [
        ["Remove", () => removeDevice(device), "Remove " + kind.toLowerCase() + " " + device.name],
      ]);
    }
  }

  async function removeDevice(device) {
    await gql("mutation($s: String!) { deactivateMfaDevice(serialNumber: $s) }", { s: device.serialNumber });
    await loadDevices();
    say("The device " + device.name + " was removed.");
  }

  async function startTotp(event) {
    event.preventDefault();
    await guarded(async () => {
      const name = $("totp-name").value.trim();
      if (!name) throw new Error("Name the authenticator app first.");
      const data = await gql(
        "mutation($n: String!) { createVirtualMfaDevice(virtualMfaDeviceName: $n) {" +
          " device { serialNumber } base32StringSeed qrCodePng } }",
        { n: name },
      );
      const created = data.createVirtualMfaDevice;
      state.enrolling = created.device.serialNumber;
      $("totp-qr").src = created.qrCodePng;
      $("totp-seed").textContent = created.base32StringSeed;
      $("totp-enrol").hidden = false;
      say("Scan the QR code, then type two consecutive codes from the app.");
      focus("totp-code1");
    });
  }

  async function enableTotp(event) {
    event.preventDefault();
    await guarded(async () => {
      const first = $("totp-code1").value.trim();
      const second = $("totp-code2").value.trim();
      if (!first || !second) throw new Error("Type two consecutive codes from the app.");
      await gql(
        "mutation($s: String!, $a: String!, $b: String!) { enableMfaDevice(serialNumber: $s," +
          " authenticationCode1: $a, authenticationCode2: $b) { serialNumber } }",
        { s: state.enrolling, a: first, b: second },
      );
      clear("totp-code1", "totp-code2", "totp-name");
      $("totp-enrol").hidden = true;
      $("totp-seed").textContent = "";
      $("totp-qr").removeAttribute("src");
      state.enrolling = null;
      await loadDevices();
      say("The authenticator app is enabled.");
      focus("devices-title");
    });
  }

  async function registerKey(event) {
    event.preventDefault();
    await guarded(async () => {
      const name = $("key-name").value.trim();
      if (!name) throw new Error("Name the security key first.");
      if (!keysWorkHere()) throw new Error(keysElsewhere());
      const data = await gql(
        "mutation($n: String!) { startSecurityKeyRegistration(name: $n) { registrationId options } }",
        { n: name },
      );
      const started = data.startSecurityKeyRegistration;
      const options = started.options;
      say("Touch your security key…");
      const credential = await navigator.credentials.create({
        publicKey: Object.assign({}, options, {
          challenge: toBuffer(options.challenge),
          user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
          excludeCredentials: descriptors(options.excludeCredentials),
        }),
      });
      await gql(
        "mutation($id: String!, $c: JSON!) { completeSecurityKeyRegistration(registrationId: $id," +
          " credential: $c) { serialNumber } }",
        { id: started.registrationId, c: credentialJson(credential) },
      );
      clear("key-name");
      await loadDevices();
      say("The security key " + name + " is registered.");
      focus("devices-title");
    });
  }

  async function accountPasswordChange(event) {
    event.preventDefault();
    await guarded(async () => {
      await changePassword("old-password", "new-password", "confirm-password");
      await loadAccount();
      say("Your password was changed; your other sessions were signed out.");
    });
  }

  // ---- wiring --------------------------------------------------------------------------

  $("kind-user").addEventListener("change", chooseKind);
  $("kind-root").addEventListener("change", chooseKind);
  $("signin-form").addEventListener("submit", signIn);
  $("mfa-form").addEventListener("submit", verifyCode);
  $("use-key").addEventListener("click", verifyKey);
  $("mfa-cancel").addEventListener("click", () => signedOut(""));
  $("forced-password-form").addEventListener("submit", forcedPasswordChange);
  $("sign-out").addEventListener("click", () => guarded(signOut));
  $("switch-back").addEventListener("click", () => guarded(switchBack));
  $("totp-start-form").addEventListener("submit", startTotp);
  $("totp-enable-form").addEventListener("submit", enableTotp);
  $("key-form").addEventListener("submit", registerKey);
  $("password-form").addEventListener("submit", accountPasswordChange);
  chooseKind();
  focus("account");
})();
