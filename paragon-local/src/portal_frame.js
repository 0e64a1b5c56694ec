// The framed Connect Portal (`/ui`), speaking @useparagon/connect's message protocol:
// `UI_UPDATE` in (from the parent page, at an allowed origin only), `SDK_FUNCTION_INVOCATION`
// out (to that origin only). The content is the standalone portal's page, fetched with the
// user token from `UI_UPDATE` in an Authorization header; see portal_frame.rs.
(() => {
  'use strict';
  const config = JSON.parse(document.getElementById('paragon-frame-config').textContent);
  const nonce = document.currentScript.nonce;
  let parentOrigin = null; // the app's origin, fixed by the first accepted message
  let token = null;
  let shown = null; // the integration on screen: { slug, type, oauth }
  let calls = 0;
  let accounts = null; // the shown integration's accounts, as the SDK last reported them
  let syncing = null; // the id of our own `updateLocalState` call, until the SDK answers it

  // Mirrors the server's allow-list (cors.rs): exact origins, or any loopback one in
  // development mode.
  function allowed(origin) {
    if (config.origins.includes(origin)) return true;
    if (!config.loopback) return false;
    let url;
    try { url = new URL(origin); } catch { return false; }
    if (url.origin !== origin || !['http:', 'https:'].includes(url.protocol)) return false;
    const host = url.hostname;
    return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  }

  function invoke(type, ...parameters) {
    if (!parentOrigin) return;
    calls += 1;
    const id = `paragon-local-frame-${calls}`;
    window.parent.postMessage(
      { messageType: 'SDK_FUNCTION_INVOCATION', type, id, parameters },
      parentOrigin,
    );
    return id;
  }

  // The accounts of `slug` in the SDK's user state: when they change by something other than
  // this frame's own form (the SDK's OAuth popup), the portal is reloaded to show them.
  function accountsOf(user, slug) {
    const state = user && user.integrations && user.integrations[slug];
    const all = (state && state.allCredentials) || [];
    return JSON.stringify(all.map((c) => [c.id, c.status]));
  }

  const overlay = document.getElementById('overlay');
  const portal = document.getElementById('portal');
  const style = document.createElement('style');
  style.nonce = nonce;
  document.head.appendChild(style);

  // Shows a portal page: its style and its main content. Parsed inertly; the page's CSP
  // runs no script or handler that the markup might carry.
  function show(text) {
    const doc = new DOMParser().parseFromString(text, 'text/html');
    style.textContent = Array.from(doc.querySelectorAll('style'), (s) => s.textContent).join('\n');
    const main = doc.querySelector('main') || doc.body;
    portal.replaceChildren(...Array.from(main.childNodes, (n) => document.importNode(n, true)));
  }

  async function load(url, init) {
    const headers = new Headers();
    headers.set('Authorization', `Bearer ${token}`);
    if (init.body) headers.set('Content-Type', 'application/x-www-form-urlencoded');
    const response = await fetch(url, {
      ...init, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
    });
    show(await response.text());
  }

  function portalUrl(slug) {
    return `${config.portal}/${encodeURIComponent(slug)}`;
  }

  function open(integration) {
    shown = integration;
    overlay.hidden = false;
    load(portalUrl(integration.slug), { method: 'GET' }).catch(failed);
    invoke('updateContainerStyle', { isModalShown: true });
    invoke('onOpen');
  }

  function hide() {
    if (!shown) return;
    shown = null;
    overlay.hidden = true;
    portal.replaceChildren();
    invoke('updateContainerStyle', { isModalShown: false });
  }

  function failed(error) {
    const p = document.createElement('p');
    p.textContent = `The portal could not be loaded: ${error && error.message || error}`;
    portal.replaceChildren(p);
  }

  // The integration the SDK asks to show, from `nextModalState.integration`.
  function integrationOf(state) {
    const custom = state && state.integration && state.integration.customIntegration;
    if (!custom || typeof custom.slug !== 'string') return null;
    return {
      slug: custom.slug,
      type: custom.slug, // the SDK's integration name, `custom.<slug>`
      oauth: custom.authenticationType === 'oauth',
    };
  }

  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || !allowed(event.origin)) return;
    if (parentOrigin !== null && event.origin !== parentOrigin) return;
    const data = event.data;
    if (data && syncing !== null && data.id === syncing
      && ['SDK_FUNCTION_RESPONSE', 'SDK_FUNCTION_ERROR'].includes(data.messageType)) {
      syncing = null;
      return;
    }
    if (!data || data.messageType !== 'UI_UPDATE') return;
    parentOrigin = event.origin;
    const user = data.nextContext && data.nextContext.user;
    token = user && user.authenticated && typeof user.token === 'string' ? user.token : null;
    const integration = integrationOf(data.nextModalState);
    if (!integration || !token) {
      hide();
    } else if (!shown || shown.slug !== integration.slug) {
      open(integration);
    } else if (accounts !== null && syncing === null
      && accountsOf(user, integration.slug) !== accounts) {
      load(portalUrl(integration.slug), { method: 'GET' }).catch(failed);
    }
    accounts = integration ? accountsOf(user, integration.slug) : null;
  });

  // `onClose(true)`: without the argument the SDK keeps the modal open after an
  // `installIntegration` (its `isApiInstallation`), and the user asked to close it.
  document.getElementById('close').addEventListener('click', () => invoke('onClose', true));

  // The portal's forms, submitted to the portal's own handlers. An OAuth integration's Enable
  // goes through the SDK's own popup flow instead, as the cloud's portal does.
  portal.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const action = new URL(form.getAttribute('action'), window.location.href);
    if (action.origin !== window.location.origin || !shown || !token) return;
    const enable = new URL(`${portalUrl(shown.slug)}/enable`, window.location.href);
    if (shown.oauth && action.pathname === enable.pathname) {
      // The portal stays open and shows the new account; a second account is allowed, as
      // the standalone portal allows it.
      invoke('installIntegration', shown.type, {
        showPortalAfterInstall: true, allowMultipleCredentials: true,
      });
      return;
    }
    const body = new URLSearchParams(new FormData(form, event.submitter));
    load(action.href, { method: 'POST', body })
      .then(() => { syncing = invoke('updateLocalState'); })
      .catch(failed);
  });
})();
