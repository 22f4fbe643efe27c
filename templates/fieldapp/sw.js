/* FieldCRM service worker. Rendered by fieldcrm/fieldapp/views.py: the script and file
   lists carry content hashes, so any change to a static file makes a new worker.
   Everything is loaded from this server (static/vendor/): no CDN at run time. */
"use strict";
importScripts(
{%- for url in modules + scripts %}
  {{ url|tojson }}{{ "," if not loop.last }}
{%- endfor %}
);

var PAGES = "fieldcrm-pages";
var HOME = {{ home|tojson }};
var FIELD_PAGES = [
  /^\/$/, /^\/home$/, /^\/field$/, /^\/turf\/packets\/?$/, /^\/turf\/packets\/\d+(\/phone)?$/,
  /^\/contacts\/\d+(\/log)?$/, /^\/commitments\/?$/
];
var OFFLINE_PAGE = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
  "<title>FieldCRM</title><p>This page is not on this phone and there is no signal.</p>" +
  "<p><a href='" + HOME + "'>Open the field app</a></p>";

workbox.core.setCacheNameDetails({ prefix: "fieldcrm" });
self.addEventListener("install", function () { self.skipWaiting(); });
workbox.core.clientsClaim();

// The app shell: styles, scripts, icons, the IndexedDB wrapper.
workbox.precaching.precacheAndRoute({{ precache|tojson }});
workbox.precaching.cleanupOutdatedCaches();

function sameOrigin(url) { return url.origin === self.location.origin; }
function isFieldPage(url) {
  return sameOrigin(url) && FIELD_PAGES.some(function (re) { return re.test(url.pathname); });
}

// Pages used in the field: the network when there is signal (fresh lists), the copy on
// this phone when there is none. Only plain 200 pages are kept (never a sign-in redirect),
// each under its address without a query: a link with one ("Talked" on a walk list opens
// /contacts/N/log?next=…) finds the copy offline, and static/js/field.js applies the query.
var pages = new workbox.strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 8,
  matchOptions: { ignoreVary: true, ignoreSearch: true },
  plugins: [{
    cacheWillUpdate: function (args) {
      var r = args.response;
      var plain = !args.request || new URL(args.request.url).search === "";
      return Promise.resolve(plain && r && r.status === 200 && r.type === "basic" && !r.redirected ? r : null);
    }
  }]
});
workbox.routing.registerRoute(function (o) {
  return o.request.mode === "navigate" && isFieldPage(o.url);
}, pages);
// Other pages need the network; without it the catch handler below answers.
workbox.routing.registerRoute(function (o) {
  return o.request.mode === "navigate" && sameOrigin(o.url) && !isFieldPage(o.url);
}, new workbox.strategies.NetworkOnly());

workbox.routing.setCatchHandler(function (o) {
  if (o.request.mode !== "navigate") { return Promise.resolve(Response.error()); }
  return caches.open(PAGES).then(function (cache) {
    var m = o.url.pathname.match(/^\/contacts\/(\d+)$/);
    var first = m ? cache.match("/contacts/" + m[1] + "/log", { ignoreVary: true }) : Promise.resolve(null);
    return first.then(function (hit) {
      return hit || cache.match(HOME, { ignoreVary: true });
    });
  }).then(function (hit) {
    return hit || new Response(OFFLINE_PAGE, { headers: { "Content-Type": "text/html; charset=utf-8" } });
  });
});

// A field form posted without signal (a page without its script, a tap just as the signal
// went) is not lost: it goes into the phone's queue and the person is sent back to the
// list, where the queue shows it waiting.
workbox.routing.registerRoute(function (o) {
  return o.request.method === "POST" && o.request.mode === "navigate" && sameOrigin(o.url) &&
    FieldStore.formPostKind(o.url.pathname) !== null;
}, function (o) {
  var copy = o.request.clone();
  return fetch(o.request).catch(function (error) {
    return copy.formData().then(function (form) {
      return FieldStore.queueFormPost(o.url.pathname, form);
    }).then(function (queued) {
      if (!queued) { throw error; }
      return Response.redirect(queued.next + "#queued", 303);
    });
  });
}, "POST");

// Background Sync where the browser has it (workbox registers the "sync" listener, and
// runs onSync at start-up where the browser has none); pages also send on open and on
// "online" (static/js/field.js).
new workbox.backgroundSync.Queue(FieldStore.SYNC_QUEUE, {
  onSync: function () { return FieldStore.sendAll({ throwOnNetwork: true }); }
});
