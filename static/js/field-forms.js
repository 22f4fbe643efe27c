// Forms that save to the phone first: the one-on-one (and the one-tap results on a
// contact's log page), follow-up outcomes, and the contact's quick edit. Each is queued on
// the phone with its own id (the server stores each id once), then sent; once the server
// has answered, the page says what was created ("Conversation saved · commitment …"),
// and without signal it says plainly that it is saved on this phone and waits. Without
// JavaScript (or without the phone's store) the same forms post normally.
(function () {
  "use strict";
  var S = window.FieldStore, A = window.FieldApp;
  var status = document.getElementById("field-status");
  if (!S || !A || !status) { return; }
  var t = A.t;
  var busy = false;  // a form is being saved: this page leaves the notices to the next one

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // -- what the server said -------------------------------------------------------------
  // Confirmations are shown once (on the first page drawn after the answer); "changes not
  // applied" stay until the person taps OK.
  var shown = [];
  function confirm(n) {  // with the page's own confirmations, as a form post shows them
    var main = document.getElementById("main");
    if (!main || main.querySelector("[data-notice='" + n.id + "']")) { return; }
    var flashes = main.querySelector(".flashes");
    if (!flashes) {
      flashes = el("div", { "class": "flashes", role: "status" });
      main.insertBefore(flashes, main.firstChild);
    }
    var token = document.querySelector("input[name=csrf_token]");
    if (!n.undo || !token) {
      flashes.appendChild(el("p", { "class": "flash flash-success", "data-notice": n.id }, n.message));
      return;
    }
    // An outcome keeps its Undo, as the page's own confirmation does
    // (templates/commitments/_undo_flash.html): a plain form, posted by the browser.
    var form = el("form", { method: "post", action: n.undo.action, "class": "flash flash-success undo-flash", "data-notice": n.id });
    [["csrf_token", token.value], ["event_id", String(n.undo.event_id)],
     ["next", window.location.pathname + window.location.search]].forEach(function (pair) {
      form.appendChild(el("input", { type: "hidden", name: pair[0], value: pair[1] }));
    });
    form.appendChild(el("span", {}, n.message));
    form.appendChild(document.createTextNode(" "));
    form.appendChild(el("button", { type: "submit", "class": "button small" }, t("undo")));
    flashes.appendChild(form);
  }
  function drawNotices() {
    var box = status.querySelector(".field-notices");
    if (!box) { return Promise.resolve(); }
    return S.get("notices").then(function (all) {
      all = all || [];
      var once = all.filter(function (n) { return !n.not_applied.length; });
      var kept = all.filter(function (n) { return n.not_applied.length; });
      var taken = busy ? Promise.resolve() : (once.length ? S.set("notices", kept) : Promise.resolve());
      if (!busy) {
        once.forEach(function (n) {
          if (!shown.some(function (s) { return s.id === n.id; })) { shown.push(n); }
        });
      }
      box.textContent = "";
      shown.forEach(confirm);
      kept.forEach(function (n) {
        var div = el("div", { "class": "flash flash-warning field-not-applied", "data-id": n.id });
        div.appendChild(el("strong", {}, t("not-applied", { name: n.contact || "" })));
        var list = el("ul");
        n.not_applied.forEach(function (f) {
          list.appendChild(el("li", {}, t("kept-later", { field: f.field, value: f.kept })));
        });
        div.appendChild(list);
        var ok = el("button", { type: "button", "class": "button small" }, t("ok"));
        ok.addEventListener("click", function () {
          S.get("notices").then(function (now) {
            return S.set("notices", (now || []).filter(function (x) { return x.id !== n.id; }));
          }).then(drawNotices);
        });
        div.appendChild(ok);
        box.appendChild(div);
      });
      box.hidden = !box.childNodes.length;
      return taken;
    });
  }

  // -- saving: queue, send, say what happened --------------------------------------------
  // Sends now; resolves the item as it is left on the phone (null: the server stored it).
  function settle(item) {
    function left() {
      return S.items().then(function (all) { return all.filter(function (i) { return i.id === item.id; })[0] || null; });
    }
    return S.sendAll().then(left).then(function (hit) {
      // A send already under way when it was queued did not carry it: once more.
      if (hit && hit.state === "waiting" && navigator.onLine) { return S.sendAll().then(left); }
      return hit;
    });
  }
  function go(url) {
    var target = new URL(url, window.location.href);
    var here = target.pathname === window.location.pathname && target.search === window.location.search;
    window.location.assign(url);
    if (here && target.hash) { window.location.reload(); }  // only the hash changed
  }
  function formData(form, submitter) {
    try { return new FormData(form, submitter || undefined); } catch (e) {
      var data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      return data;
    }
  }
  function native(form, submitter) {
    form.setAttribute("data-native", "");
    if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
  }

  // A one-tap result on a page kept on the phone carries the key it was served with: give
  // each opening its own, so two taps from the same copy are two records.
  document.querySelectorAll("form.attempt-form input[name=idempotency_key]").forEach(function (input) {
    input.value = S.uuid();
  });
  document.querySelectorAll("form.conversation-form, form.attempt-form, form.outcome-form").forEach(function (form) {
    var path = new URL(form.action, window.location.href).pathname;
    if (!S.formPostKind(path)) { return; }
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-native")) { form.removeAttribute("data-native"); return; }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      var submitter = event.submitter;
      S.queueFormPost(path, formData(form, submitter)).then(function (queued) {
        if (!queued) { busy = false; native(form, submitter); return null; }
        if (!navigator.onLine) { go(queued.next + "#queued"); return null; }
        return settle(queued.item).then(function (hit) {
          if (!hit) { go(queued.next); return null; }  // stored: the next page says what
          if (hit.state === "refused" && hit.code === "invalid") {
            // The page's own answer shows what to fix; nothing was stored.
            return S.remove(hit.id).then(function () { busy = false; native(form, submitter); });
          }
          go(queued.next + (hit.state === "refused" ? "" : "#queued"));
          return null;
        });
      }).catch(function () { busy = false; native(form, submitter); });
    });
  });

  // -- the contact's quick edit -----------------------------------------------------------
  var quick = document.getElementById("quick-edit");
  if (quick) {
    var qform = quick.querySelector("form");
    var contactId = parseInt(quick.getAttribute("data-contact-id"), 10);
    var seen = JSON.parse(quick.getAttribute("data-seen"));
    var said = quick.querySelector(".quick-edit-said");
    var input = function (name) { return qform.elements["qe-" + name]; };
    var value = function (name) {
      var field = input(name);
      if (!field) { return undefined; }
      if (field.type === "checkbox") { return field.checked; }
      var v = field.value.trim();
      if (name === "support_level") { return v ? parseInt(v, 10) : null; }
      return v || null;
    };
    var show = function (name, v) {
      var field = input(name);
      if (!field) { return; }
      if (field.type === "checkbox") { field.checked = !!v; } else { field.value = v === null ? "" : String(v); }
    };
    var say = function (text, waiting) {
      said.textContent = text;
      said.hidden = !text;
      said.classList.toggle("warn", !!waiting);
    };
    quick.hidden = false;
    // Edits of this person still on the phone: shown as the person left them (once, on
    // opening), and marked waiting until they are sent.
    var pending = function (fill) {
      return S.items().then(function (all) {
        var mine = all.filter(function (i) { return i.kind === "contact_edit" && i.payload.contact_id === contactId; });
        if (fill && mine.length) { quick.open = true; }
        mine.forEach(function (i) {
          if (!fill) { return; }
          Object.keys(i.payload.fields).forEach(function (name) {
            show(name, i.payload.fields[name]);
            seen[name] = i.payload.fields[name];
          });
        });
        var refused = mine.some(function (i) { return i.state === "refused"; });
        if (refused) { say(t("not-sent"), true); }
        else if (mine.length && !said.classList.contains("warn")) { say(t("waiting-badge"), true); }
        else if (!mine.length && said.classList.contains("warn")) { say(""); }  // sent
      });
    };
    pending(true);
    if (window.BroadcastChannel) {
      new BroadcastChannel(S.CHANNEL).addEventListener("message", function () { if (!busy) { pending(false); } });
    }
    qform.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      var fields = {}, before = {};
      Object.keys(seen).forEach(function (name) {
        var now = value(name), was = seen[name] === "" ? null : seen[name];
        if (now !== undefined && now !== was) { fields[name] = now; before[name] = was; }
      });
      if (!Object.keys(fields).length) { say(t("no-change")); return; }
      busy = true;
      // When it was edited on this phone, and what the person saw before: the server keeps
      // per field the later edit (fieldcrm/fieldapp/sync.py).
      S.enqueue("contact_edit", {
        contact_id: contactId, edited_at: new Date().toISOString(), fields: fields, seen: before
      }).then(function (item) {
        Object.keys(fields).forEach(function (name) { seen[name] = fields[name]; });
        return navigator.onLine ? settle(item) : item;
      }).then(function (hit) {
        busy = false;
        if (!hit) { window.location.reload(); return null; }  // stored: the fresh page
        say(hit.state === "refused" ? hit.reason : t("queued"), true);
        return A.render();
      }, function () { busy = false; say(t("not-sent"), true); });
    });
  }

  drawNotices();
  if (window.BroadcastChannel) {
    new BroadcastChannel(S.CHANNEL).addEventListener("message", function () { drawNotices(); });
  }
})();
