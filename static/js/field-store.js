// The phone's store for the field app (IndexedDB through the vendored idb): the queue of
// things done in the field and not yet on the server, the offline lists, and a few notes
// (who is signed in, when the lists were refreshed, when something was last sent).
// Loaded by pages and by the service worker (importScripts): no DOM here.
//
// Every queued item has an id made on the phone (a UUID). The server stores each id once,
// so sending twice (a retry, two tabs, the worker and a page at once) never doubles it.
// Items are removed only when the server answers "stored" or "already"; a refusal moves
// the item to "could not send", where the person retries, copies or discards it.
(function (root) {
  "use strict";
  var DB_NAME = "fieldcrm-field";
  var CHANNEL = "fieldcrm-field";
  var BATCH = 100;
  var MAX_ERRORS = 5;
  // Results sent from this phone are remembered a while, so a list page kept on the phone
  // from before shows them (static/js/field.js) until its fresh copy arrives.
  var SENT_KEEP = 500;
  var SENT_DAYS = 3;
  var dbPromise = null;
  var sending = null;

  function db() {
    if (!dbPromise) {
      dbPromise = root.idb.openDB(DB_NAME, 1, {
        upgrade: function (d) {
          d.createObjectStore("queue", { keyPath: "id" });
          d.createObjectStore("kv");
        }
      });
    }
    return dbPromise;
  }

  function notify() {
    if (root.BroadcastChannel) {
      var ch = new root.BroadcastChannel(CHANNEL);
      ch.postMessage({ type: "changed" });
      ch.close();
    }
  }

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    var b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function get(key) { return db().then(function (d) { return d.get("kv", key); }); }
  function set(key, value) {
    return db().then(function (d) { return d.put("kv", value, key); }).then(notify);
  }
  function del(key) { return db().then(function (d) { return d.delete("kv", key); }).then(notify); }

  function items() {
    return db().then(function (d) { return d.getAll("queue"); }).then(function (all) {
      return all.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
    });
  }
  function put(item) { return db().then(function (d) { return d.put("queue", item); }); }
  function remove(id) { return db().then(function (d) { return d.delete("queue", id); }).then(notify); }
  function retry(id) {
    return db().then(function (d) { return d.get("queue", id); }).then(function (item) {
      if (!item) { return null; }
      item.state = "waiting"; item.reason = null; item.errors = 0;
      return put(item).then(notify).then(function () { return item; });
    });
  }

  // Queue something done in the field. Never needs the network.
  function enqueue(kind, payload) {
    return get("user").then(function (user) {
      if (!user || !user.id) { throw new Error("nobody is signed in on this phone"); }
      var item = {
        id: uuid(), kind: kind, payload: payload, user_id: user.id,
        queued_at: new Date().toISOString(), state: "waiting", errors: 0, reason: null
      };
      return put(item).then(notify).then(function () { return item; });
    });
  }

  // Field forms the service worker may queue when their post cannot reach the server.
  var FORM_POSTS = [
    [/^\/turf\/packets\/(\d+)\/attempt$/, "attempt"],
    [/^\/contacts\/(\d+)\/conversations$/, "conversation"],
    [/^\/commitments\/(\d+)\/status$/, "commitment_outcome"]
  ];
  function formPostKind(path) {
    for (var i = 0; i < FORM_POSTS.length; i++) {
      var m = path.match(FORM_POSTS[i][0]);
      if (m) { return { kind: FORM_POSTS[i][1], id: parseInt(m[1], 10) }; }
    }
    return null;
  }
  function safeNext(value, fallback) {
    return typeof value === "string" && /^\/(?!\/)/.test(value) ? value.split("#")[0] : fallback;
  }
  function queueFormPost(path, form) {
    var match = formPostKind(path);
    if (!match) { return Promise.resolve(null); }
    var payload, next;
    if (match.kind === "attempt") {
      var result = form.get("result") || "";
      var phone = form.get("from") === "phone";
      payload = {
        packet_id: match.id, contact_id: parseInt(form.get("contact_id"), 10), result: result,
        channel: phone ? "phone" : "door",
        // the page's key, as its post would have used: a post that did arrive is not doubled
        form_key: (form.get("idempotency_key") || "") ? (form.get("idempotency_key") + "-" + result).slice(0, 64) : null
      };
      next = "/turf/packets/" + match.id + (phone ? "/phone" : "");
    } else if (match.kind === "conversation") {
      var pairs = [];
      form.forEach(function (value, name) {
        if (name !== "csrf_token" && typeof value === "string") { pairs.push([name, value]); }
      });
      payload = { contact_id: match.id, form: pairs, form_key: form.get("idempotency_key") || null };
      next = safeNext(form.get("next"), "/contacts/" + match.id);
    } else {
      payload = {
        commitment_id: match.id, status: form.get("status"),
        note: form.get("note") || null, new_due_date: form.get("new_due_date") || null
      };
      next = safeNext(form.get("next"), "/commitments/");
    }
    return enqueue(match.kind, payload).then(function (item) { return { next: next, item: item }; }, function () { return null; });
  }

  // What a queued item says about a person's latest result: {contact_id, result, at}, or
  // null for items that are not a result (a follow-up outcome, a new person…).
  function resultOf(item) {
    var p = item.payload || {};
    if (item.kind === "attempt" && p.contact_id) {
      return { contact_id: p.contact_id, result: p.result, at: item.queued_at };
    }
    if (item.kind === "conversation" && p.contact_id) {
      var code = (p.form || []).filter(function (pair) { return pair[0] === "result_code"; })[0];
      return { contact_id: p.contact_id, result: (code && code[1]) || "talked", at: item.queued_at };
    }
    return null;
  }
  function remember(entries) {
    if (!entries.length) { return Promise.resolve(); }
    return get("sent").then(function (old) {
      var cutoff = Date.now() - SENT_DAYS * 86400000;
      var kept = (old || []).concat(entries).filter(function (e) { return new Date(e.at).getTime() > cutoff; });
      return set("sent", kept.slice(-SENT_KEEP));
    });
  }

  // What the server said about items it stored that the person should read: what a
  // one-on-one or an outcome created, and contact fields a later edit kept ("changes not
  // applied"). Shown by static/js/field-forms.js on the next page drawn.
  var NOTICES_KEEP = 50;
  function addNotices(entries) {
    return get("notices").then(function (old) {
      return set("notices", (old || []).concat(entries).slice(-NOTICES_KEEP));
    });
  }

  function json(response) {
    var type = response.headers.get("Content-Type") || "";
    return type.indexOf("application/json") === 0 ? response.json() : Promise.resolve(null);
  }

  function fetchToken() {
    return fetch("/field/api/session", {
      credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (r.status === 401) { return null; }
      if (!r.ok) { throw new Error("session " + r.status); }
      return r.json();
    });
  }

  function post(batch, token) {
    return fetch("/field/api/sync", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ items: batch.map(function (i) {
        return { id: i.id, kind: i.kind, user_id: i.user_id, queued_at: i.queued_at, payload: i.payload };
      }) })
    });
  }

  function applyAnswers(batch, answers) {
    var byId = {};
    batch.forEach(function (i) { byId[i.id] = i; });
    var stored = 0;
    var results = [];
    var notices = [];
    return db().then(function (d) {
      var tx = d.transaction("queue", "readwrite");
      answers.forEach(function (a) {
        var item = byId[a.id];
        if (!item) { return; }
        if (a.status === "stored" || a.status === "already") {
          stored += 1;
          if (resultOf(item)) { results.push(resultOf(item)); }
          if (a.message || (a.not_applied && a.not_applied.length)) {
            notices.push({ id: item.id, kind: item.kind, message: a.message || null, undo: a.undo || null, not_applied: a.not_applied || [], contact: a.contact || null, at: new Date().toISOString() });
          }
          tx.store.delete(item.id);
        } else if (a.status === "refused") {
          item.state = "refused"; item.reason = a.reason; item.code = a.code;
          tx.store.put(item);
        } else {
          item.errors = (item.errors || 0) + 1;
          if (item.errors >= MAX_ERRORS) { item.state = "refused"; item.reason = a.reason; item.code = "error"; }
          tx.store.put(item);
        }
      });
      return tx.done;
    }).then(function () {
      return stored ? set("last_sent_at", new Date().toISOString()) : notify();
    }).then(function () {
      return remember(results);
    }).then(function () {
      return notices.length ? addNotices(notices) : null;
    }).then(function () { return stored; });
  }

  // Send everything waiting. Resolves {sent, signedOut, offline}. With throwOnNetwork (the
  // worker's background sync) a network failure rejects, so the browser tries again later.
  function sendAll(options) {
    options = options || {};
    if (sending) { return sending; }
    sending = items().then(function (all) {
      var waiting = all.filter(function (i) { return i.state === "waiting"; });
      if (!waiting.length) { return { sent: 0 }; }
      var sent = 0;
      function session(retried) {
        return fetchToken().then(function (s) {
          if (!s) { return set("signed_out", true).then(function () { return null; }); }
          return set("signed_out", false).then(function () { return s; });
        });
      }
      function run(s, from, retried) {
        if (!s) { return { sent: sent, signedOut: true }; }
        if (from >= waiting.length) { return { sent: sent }; }
        var batch = waiting.slice(from, from + BATCH);
        return post(batch, s.csrf_token).then(function (r) {
          if (r.status === 401) {
            return set("signed_out", true).then(function () { return { sent: sent, signedOut: true }; });
          }
          return json(r).then(function (body) {
            if (!body || !body.items) {
              // A refused token (400 page) or an odd answer: a fresh token once, then stop.
              if (!retried) { return session().then(function (s2) { return run(s2, from, true); }); }
              throw new Error("sync " + r.status);
            }
            return applyAnswers(batch, body.items).then(function (n) {
              sent += n;
              return run(s, from + BATCH, false);
            });
          });
        });
      }
      return session().then(function (s) { return run(s, 0, false); });
    }).catch(function (error) {
      if (options.throwOnNetwork) { throw error; }
      return { sent: 0, offline: true, error: String(error) };
    }).finally(function () { sending = null; });
    return sending;
  }

  root.FieldStore = {
    CHANNEL: CHANNEL,
    SYNC_QUEUE: "fieldcrm-queue",
    SYNC_TAG: "workbox-background-sync:fieldcrm-queue",
    get: get, set: set, del: del, items: items, enqueue: enqueue, remove: remove, retry: retry,
    formPostKind: formPostKind, queueFormPost: queueFormPost, sendAll: sendAll, uuid: uuid,
    resultOf: resultOf
  };
})(self);
