// The field app on every signed-in page: installs the service worker, keeps the lists on
// the phone, shows what is waiting to send, and sends it when there is signal (on page
// open, on "online", and through Background Sync where the browser has it). Pages work
// without this file; with it, nothing done without signal is lost.
(function () {
  "use strict";
  var status = document.getElementById("field-status");
  if (!status || !window.FieldStore || !window.indexedDB) { return; }
  var S = window.FieldStore;
  var t = function (name, values) {
    var text = status.getAttribute("data-t-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  };
  var zone = status.getAttribute("data-zone") || undefined;
  var me = { id: parseInt(status.getAttribute("data-user-id"), 10), name: status.getAttribute("data-user-name") };
  var REFRESH_MINUTES = 10;
  var PAGES = "fieldcrm-pages";

  // dates and times in the interface's language (the page's lang), not the phone's
  var lang = document.documentElement.lang || undefined;
  function when(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    var opts = { hour: "2-digit", minute: "2-digit", timeZone: zone };
    var sameDay = new Date().toDateString() === d.toDateString();
    if (!sameDay) { opts.month = "short"; opts.day = "numeric"; }
    try { return d.toLocaleString(lang, opts); } catch (e) { return d.toLocaleString(); }
  }
  // a calendar day ("2026-11-01", a due date) as people write it: "Nov 1, 2026"
  function day(isoDate) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate || "");
    if (!m) { return isoDate || ""; }
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    var opts = { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" };
    try { return d.toLocaleDateString(lang, opts); } catch (e) { return isoDate; }
  }
  // an outcome's words ("kept" → "Kept"), never the code
  function outcome(code) { return t("status-" + code) || code; }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // -- who is signed in on this phone --------------------------------------------------
  var ready = S.get("user").then(function (previous) {
    var changed = previous && previous.id !== me.id;
    return S.set("user", me).then(function () {
      if (!changed) { return null; }
      // Someone else's lists and pages leave the phone; their queue stays (it is refused
      // for this account and shows in "could not send" until they sign in again).
      return Promise.all([S.del("lists"), S.del("lists_at"), S.del("sent"), window.caches ? caches.delete(PAGES) : null]);
    });
  });

  // -- the status line ------------------------------------------------------------------
  var lists = null;
  function render() {
    return Promise.all([S.items(), S.get("last_sent_at"), S.get("lists_at"), S.get("signed_out"), S.get("sent")]).then(function (r) {
      var items = r[0], waiting = items.filter(function (i) { return i.state === "waiting"; });
      var refused = items.filter(function (i) { return i.state === "refused"; });
      status.hidden = false;
      var offline = status.querySelector(".field-offline");
      offline.hidden = navigator.onLine;
      offline.textContent = t("offline") + " " + (r[2] ? t("refreshed", { when: when(r[2]) }) : t("never"));
      status.querySelector(".field-waiting").textContent = waiting.length ? t("waiting", { n: waiting.length }) : t("nothing-waiting");
      status.querySelector(".field-sent").textContent = r[1] ? "· " + t("last-sent", { when: when(r[1]) }) : "";
      var signin = status.querySelector(".field-signin");
      signin.hidden = !(r[3] && waiting.length);
      signin.textContent = t("sign-in", { n: waiting.length });
      signin.href = status.getAttribute("data-login");
      var bad = status.querySelector(".field-refused");
      bad.hidden = !refused.length;
      bad.textContent = t("refused", { n: refused.length });
      bad.href = status.getAttribute("data-home") + "#could-not-send";
      status.classList.toggle("has-waiting", waiting.length > 0);
      status.classList.toggle("is-offline", !navigator.onLine);
      overlay(items);
      latestResults(items, r[4] || []);
      renderHome(items);
    });
  }
  if (window.location.hash === "#queued") {
    var notice = status.querySelector(".field-notice");
    notice.hidden = false;
    notice.textContent = t("queued");
  }

  // -- sending --------------------------------------------------------------------------
  function send() {
    if (!navigator.onLine) { return render(); }
    return S.sendAll().then(render);
  }
  function kick() {
    // Background Sync sends even if the page is closed; the page sends now as well.
    if (navigator.serviceWorker && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync) { return reg.sync.register(S.SYNC_TAG); }
        return null;
      }).catch(function () { return null; });
    }
    return send();
  }

  // -- the lists ------------------------------------------------------------------------
  function cachePages(data) {
    if (!window.caches) { return Promise.resolve(); }
    return caches.open(PAGES).then(function (cache) {
      var chain = Promise.resolve();
      (data.pages || []).forEach(function (url) {
        chain = chain.then(function () { return cache.add(url).catch(function () { return null; }); });
      });
      (data.contact_pages || []).forEach(function (url) {
        chain = chain.then(function () {
          return cache.match(url, { ignoreVary: true }).then(function (hit) {
            return hit ? null : cache.add(url).catch(function () { return null; });
          });
        });
      });
      return chain;
    });
  }
  function refresh(force) {
    if (!navigator.onLine) { return Promise.resolve(); }
    return S.get("lists_at").then(function (at) {
      var fresh = at && (Date.now() - new Date(at).getTime()) < REFRESH_MINUTES * 60000;
      if (fresh && !force) { return null; }
      return fetch("/field/api/lists", { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.status === 401) { return S.set("signed_out", true).then(function () { return null; }); }
          if (!r.ok) { return null; }
          return r.json().then(function (data) {
            lists = data;
            // "Refreshed at" once the lists and their pages are all on the phone.
            return S.set("lists", data).then(function () { return cachePages(data); })
              .then(function () { return S.set("lists_at", data.refreshed_at); }).then(render);
          });
        }).catch(function () { return null; });
    });
  }
  function loadLists() {
    return S.get("lists").then(function (data) { lists = data || null; return lists; });
  }
  function person(id) {
    if (!lists) { return null; }
    for (var i = 0; i < lists.packets.length; i++) {
      var doors = lists.packets[i].doors;
      for (var j = 0; j < doors.length; j++) {
        for (var k = 0; k < doors[j].people.length; k++) {
          if (doors[j].people[k].id === id) { return doors[j].people[k]; }
        }
      }
    }
    var f = (lists.follow_ups || []).filter(function (x) { return x.contact_id === id; })[0];
    return f ? { id: id, name: f.name } : null;
  }
  function resultLabel(code) {
    if (code === "talked") { return t("talked"); }
    var hit = lists && lists.result_codes.filter(function (c) { return c.code === code; })[0];
    return hit ? hit.label : code;
  }
  function describe(item) {
    var p = item.payload || {}, parts = [t("kind-" + item.kind)];
    var who = p.contact_id ? person(p.contact_id) : null;
    if (item.kind === "new_person") {
      var f = {}; (p.form || []).forEach(function (pair) { f[pair[0]] = pair[1]; });
      parts.push([f.first_name, f.last_name].join(" ").trim());
    } else if (who) { parts.push(who.name); }
    if (item.kind === "attempt") { parts.push(resultLabel(p.result)); }
    if (item.kind === "contact_edit") { parts.push(Object.keys(p.fields || {}).map(function (f) { return t("field-" + f) || f; }).join(", ")); }
    if (item.kind === "commitment_outcome") {
      var fu = lists && (lists.follow_ups || []).filter(function (x) { return x.id === p.commitment_id; })[0];
      if (fu) { parts.push(fu.name); }
      parts.push(outcome(p.status) + (p.new_due_date ? " " + day(p.new_due_date) : ""));
    }
    parts.push(when(item.queued_at));
    return parts.filter(Boolean).join(" · ");
  }

  // -- marks on the pages ---------------------------------------------------------------
  function overlay(items) {
    items.forEach(function (item) {
      var p = item.payload || {};
      if (item.kind === "attempt") {
        var form = document.querySelector("form[data-attempt] input[name=contact_id][value='" + p.contact_id + "']");
        var row = form && form.closest(".door, .phone-row");
        if (row) { row.classList.add("done", "queued"); }
        var button = form && form.form.querySelector("button[value='" + p.result + "']");
        if (button) { button.classList.add("chosen"); }
      }
      if (item.kind === "commitment_outcome") {
        var fu = document.getElementById("c" + p.commitment_id);
        if (fu && fu.classList.contains("followup-row") && !fu.querySelector(".field-mark")) {
          fu.classList.add("queued");
          fu.appendChild(el("p", { "class": "field-mark badge warn" }, t("marked", { status: p.status })));
        }
      }
    });
  }

  // Each person's latest result on a list kept on the phone: what is waiting to send, and
  // what was sent since the page was stored, when newer than the result the page shows.
  function resultText(code) {
    if (code === "talked") { return t("talked"); }
    var hit = lists && lists.result_codes.filter(function (c) { return c.code === code; })[0];
    if (hit) { return hit.label; }
    var button = document.querySelector("form[data-attempt] button[value='" + code + "']");
    return button ? button.textContent.trim() : code;
  }
  function latestResults(items, sent) {
    var marks = document.querySelectorAll("[data-latest-for]");
    if (!marks.length) { return; }
    var newest = {};
    function consider(entry, state) {
      if (!entry) { return; }
      var had = newest[entry.contact_id];
      if (!had || had.at < entry.at) { newest[entry.contact_id] = { result: entry.result, at: entry.at, state: state }; }
    }
    sent.forEach(function (e) { consider(e, "sent"); });
    items.forEach(function (i) { consider(S.resultOf(i), i.state); });
    marks.forEach(function (mark) {
      var hit = newest[mark.getAttribute("data-latest-for")];
      var shown = mark.getAttribute("data-at");
      if (!hit || (shown && new Date(shown) >= new Date(hit.at))) { return; }
      var note = hit.state === "sent" ? when(hit.at) : (hit.state === "refused" ? t("not-sent") : t("waiting-badge"));
      mark.textContent = resultText(hit.result) + " · " + note;
      mark.className = "latest result-" + hit.result + (hit.state === "sent" ? "" : " queued");
      var door = mark.closest(".door");
      if (door) { door.classList.add("done"); }
    });
    var progress = document.getElementById("packet-progress");
    if (progress) {
      var done = document.querySelectorAll("li.door.done").length;
      if (done > parseInt(progress.getAttribute("data-done"), 10)) {
        progress.setAttribute("data-done", String(done));
        progress.textContent = progress.textContent.replace(/^\d+/, String(done));
      }
    }
  }

  // Someone met at a door who is not on the list: first the people on file who may be them
  // (with signal), then a new person only when none is; queued like a result.
  function addPersonForms() {
    var m = window.location.pathname.match(/^\/turf\/packets\/(\d+)$/);
    if (!m || !lists) { return; }
    var packetId = parseInt(m[1], 10);
    var packet = lists.packets.filter(function (p) { return p.id === packetId; })[0];
    if (!packet) { return; }
    packet.doors.forEach(function (door) {
      var li = document.getElementById("door-" + door.position);
      if (!li || li.querySelector(".add-person")) { return; }
      var details = el("details", { "class": "add-person" });
      details.appendChild(el("summary", {}, t("add-person")));
      var form = el("form", { "class": "inline-form", "data-household": door.household_key });
      [["first_name", "first-name"], ["last_name", "last-name"], ["phone", "phone"]].forEach(function (f) {
        var id = "add-" + door.position + "-" + f[0];
        var wrap = el("div", { "class": "field" });
        wrap.appendChild(el("label", { "for": id }, t(f[1])));
        var input = el("input", { id: id, name: f[0], type: f[0] === "phone" ? "tel" : "text", maxlength: "100" });
        if (f[0] === "first_name") { input.required = true; }
        wrap.appendChild(input);
        form.appendChild(wrap);
      });
      form.appendChild(el("button", { type: "submit", "class": "button small" }, t("add")));
      var matches = el("div", { "class": "door-matches", hidden: "" });
      function pairsOf() {
        var pairs = [];
        new FormData(form).forEach(function (v, k) { pairs.push([k, v]); });
        return pairs;
      }
      function queue(extra) {
        var payload = { packet_id: packetId, household_key: door.household_key, form: pairsOf() };
        Object.keys(extra || {}).forEach(function (k) { payload[k] = extra[k]; });
        return S.enqueue("new_person", payload).then(function (item) {
          var name = (form.elements.first_name.value + " " + form.elements.last_name.value).trim();
          details.parentNode.insertBefore(el("p", { "class": "badge warn" }, t("added", { name: name })), details);
          form.reset();
          matches.hidden = true;
          details.open = false;
          return kick().then(function () { return item; });
        });
      }
      function offer(found) {
        matches.textContent = "";
        matches.appendChild(el("p", {}, t("on-file")));
        var list = el("ul", { "class": "match-list" });
        found.forEach(function (m) {
          var row = el("li", { "class": "match" });
          row.appendChild(el("span", { "class": "match-who" }, m.name + (m.address ? " · " + m.address : "")));
          var pick = el("button", { type: "button", "class": "button primary" }, t("pick"));
          pick.addEventListener("click", function () {
            if (m.in_packet) {  // already on this list: go to them
              var here = document.getElementById("c" + m.id);
              form.reset(); matches.hidden = true; details.open = false;
              if (here) { here.scrollIntoView({ block: "center" }); here.classList.add("picked"); }
              return;
            }
            queue({ match_id: m.id }).then(function (item) {
              return S.items().then(function (all) {
                var waiting = all.some(function (i) { return i.id === item.id; });
                if (!waiting) {  // linked on the server: log the talk with them
                  window.location.href = "/contacts/" + m.id + "/log?next=" +
                    encodeURIComponent(window.location.pathname) + "&channel=door";
                }
              });
            });
          });
          row.appendChild(pick);
          list.appendChild(row);
        });
        matches.appendChild(list);
        var fresh = el("button", { type: "button", "class": "button" }, t("someone-new"));
        fresh.addEventListener("click", function () { queue({ confirm_new: true }); });
        matches.appendChild(fresh);
        matches.hidden = false;
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!navigator.onLine) { queue(); return; }
        var query = new URLSearchParams({
          household_key: door.household_key,
          first_name: form.elements.first_name.value,
          last_name: form.elements.last_name.value
        });
        fetch("/field/api/packets/" + packetId + "/matches?" + query.toString(), {
          credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
        }).then(function (r) { return r.ok ? r.json() : null; }, function () { return null; })
          .then(function (data) {
            if (data && data.matches && data.matches.length) { offer(data.matches); return null; }
            return queue();  // nobody on file is them (or no answer: the server checks again)
          });
      });
      details.appendChild(form);
      details.appendChild(matches);
      (li.querySelector(".door-body") || li).appendChild(details);
    });
  }

  // -- the on-phone home (/field) ---------------------------------------------------------
  function itemRow(item) {
    var li = el("li", { "class": "field-item", "data-id": item.id });
    li.appendChild(el("span", {}, describe(item)));
    if (item.state !== "refused") { return li; }
    li.appendChild(el("p", { "class": "field-reason" }, item.reason || ""));
    var actions = el("div", { "class": "actions" });
    var retry = el("button", { type: "button", "class": "button small" }, t("retry"));
    retry.addEventListener("click", function () { S.retry(item.id).then(kick); });
    var copy = el("button", { type: "button", "class": "button small" }, t("copy"));
    copy.addEventListener("click", function () {
      var text = describe(item) + "\n" + (item.reason || "") + "\n" + JSON.stringify(item.payload);
      var done = function () { copy.textContent = t("copied"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { window.prompt("", text); });
      } else { window.prompt("", text); }
    });
    var discard = el("button", { type: "button", "class": "button small danger" }, t("discard"));
    discard.addEventListener("click", function () {
      if (window.confirm(t("discard-confirm"))) { S.remove(item.id).then(render); }
    });
    actions.appendChild(retry); actions.appendChild(copy); actions.appendChild(discard);
    li.appendChild(actions);
    return li;
  }
  function fill(name, nodes) {
    var list = document.querySelector("[data-list='" + name + "']");
    if (!list) { return; }
    list.textContent = "";
    if (!nodes.length) { list.appendChild(el("li", { "class": "muted" }, t("none"))); }
    nodes.forEach(function (n) { list.appendChild(n); });
  }
  function outcomeButton(fu, status, label, extra) {
    var b = el("button", { type: "button", "class": "button small" }, label);
    b.addEventListener("click", function () {
      var payload = { commitment_id: fu.id, status: status, note: null, new_due_date: extra ? extra() : null };
      if (status === "rescheduled" && !payload.new_due_date) { return; }
      S.enqueue("commitment_outcome", payload).then(kick);
    });
    return b;
  }
  function renderHome(items) {
    var home = document.getElementById("field-home");
    if (!home) { return; }
    var refused = items.filter(function (i) { return i.state === "refused"; });
    var waiting = items.filter(function (i) { return i.state === "waiting"; });
    document.getElementById("could-not-send").hidden = !refused.length;
    document.getElementById("waiting-to-send").hidden = !waiting.length;
    fill("refused", refused.map(itemRow));
    fill("waiting", waiting.map(itemRow));
    if (!lists) { return; }
    fill("packets", lists.packets.map(function (p) {
      var li = el("li");
      li.appendChild(el("a", { href: "/turf/packets/" + p.id }, p.name));
      li.appendChild(el("span", { "class": "muted" }, " · " + p.turf + " · " + t("doors", { n: p.door_count })));
      return li;
    }));
    var marked = {};
    items.forEach(function (i) { if (i.kind === "commitment_outcome") { marked[i.payload.commitment_id] = i.payload.status; } });
    fill("follow_ups", lists.follow_ups.map(function (fu) {
      var li = el("li", { "class": "followup-row", "id": "fu-" + fu.id });
      var kind = (lists.commitment_kinds.filter(function (k) { return k.code === fu.kind; })[0] || {}).label || fu.kind;
      li.appendChild(el("strong", {}, fu.name));
      li.appendChild(el("span", {}, " " + kind + (fu.due_date ? " · " + t("due", { d: day(fu.due_date) }) : "")));
      if (marked[fu.id]) {
        li.appendChild(el("p", { "class": "badge warn" }, t("marked", { status: outcome(marked[fu.id]).toLowerCase() })));
        return li;
      }
      var actions = el("div", { "class": "outcome-buttons" });
      var date = el("input", { type: "date", "aria-label": t("new-date") });
      actions.appendChild(outcomeButton(fu, "kept", t("kept")));
      actions.appendChild(outcomeButton(fu, "flaked", t("flaked")));
      actions.appendChild(date);
      actions.appendChild(outcomeButton(fu, "rescheduled", t("reschedule"), function () { return date.value || null; }));
      li.appendChild(actions);
      return li;
    }));
  }

  // -- hooks ----------------------------------------------------------------------------
  // A form page kept on the phone carries the key it was served with: give each opening
  // its own, so two conversations logged from the same copy are two records.
  document.querySelectorAll("form.conversation-form input[name=idempotency_key]").forEach(function (input) {
    input.value = S.uuid();
  });
  // A copy kept on the phone was stored without the link's query ("Talked" on a walk list
  // adds where to come back to and how they talked): apply it, so saving goes back there.
  var query = new URLSearchParams(window.location.search);
  document.querySelectorAll("form.conversation-form").forEach(function (form) {
    var next = query.get("next");
    if (next && /^\/(?!\/)/.test(next) && !form.querySelector("input[name=next]")) {
      form.appendChild(el("input", { type: "hidden", name: "next", value: next }));
    }
    var how = form.querySelector("input[name=channel][value='" + query.get("channel") + "']");
    if (how && !form.querySelector("input[name=channel]:checked[value='" + how.value + "']")) { how.checked = true; }
  });
  // Signing out takes the lists and pages off the phone (what waits to send stays).
  document.querySelectorAll("form[action$='/auth/logout']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-cleared")) { return; }
      event.preventDefault();
      Promise.all([S.del("lists"), S.del("lists_at"), S.del("sent"), window.caches ? caches.delete(PAGES) : null])
        .catch(function () { return null; })
        .then(function () { form.setAttribute("data-cleared", ""); form.submit(); });
    });
  });

  window.FieldApp = {
    // One tap at a door (static/js/packet.js): queued first, then sent.
    queueAttempt: function (payload) {
      return S.enqueue("attempt", payload).then(function (item) { kick(); return item; });
    },
    send: send,
    refresh: refresh,
    // for static/js/field-forms.js: queue-first forms and notices
    kick: kick,
    render: render,
    t: t
  };

  if (navigator.serviceWorker) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { return null; });
  }
  if (window.BroadcastChannel) {
    new BroadcastChannel(S.CHANNEL).onmessage = function () { render(); };
  }
  window.addEventListener("online", function () { send().then(function () { return refresh(true); }); });
  window.addEventListener("offline", render);
  // Settles when this page's send and refresh are done (tests and the home page wait on it).
  window.FieldApp.settled = ready.then(loadLists).then(function () {
    addPersonForms();
    return render();
  }).then(send).then(function () {
    return refresh(!!document.getElementById("field-home"));
  }).then(function () { addPersonForms(); return render(); });
})();
