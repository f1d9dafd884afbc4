// Gavel: live updates for a meeting page. The page works without this script; with it, new
// entries, corrections and withdrawals arrive over Server-Sent Events and are announced to
// screen readers through the page's polite live region. Served from /static/live.js so the
// Content-Security-Policy can forbid inline script.
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (!list || !list.dataset.liveUrl || !window.EventSource) {
    return;
  }
  var status = document.getElementById("live-status");
  // The status texts come from the page (data-status-*), in the council's language(s).
  var texts = list.dataset;
  var announcer = document.getElementById("announcer");
  var nowBody = document.getElementById("now-body");
  // As the server rendered it (the same text the events carry), to update only on change.
  var lastNow = nowBody ? nowBody.dataset.now : null;

  function setStatus(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function announce(text) {
    if (!announcer || !text) {
      return;
    }
    var line = document.createElement("p");
    line.textContent = text;
    announcer.appendChild(line);
    while (announcer.children.length > 5) {
      announcer.removeChild(announcer.firstChild);
    }
  }

  // The server renders (and escapes) every entry; the script only places it.
  function fromHtml(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  function fromHtmlAll(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.childNodes;
  }

  function upsert(seq, html) {
    var node = fromHtml(html);
    if (!node) {
      return;
    }
    var existing = document.getElementById("e" + seq);
    if (existing) {
      existing.replaceWith(node);
      return;
    }
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].dataset.seq) > seq) {
        list.insertBefore(node, items[i]);
        return;
      }
    }
    list.appendChild(node);
  }

  var url = list.dataset.liveUrl + "?last_event_id=" + encodeURIComponent(list.dataset.lastSeq || "0");
  var source = new EventSource(url);
  setStatus(texts.statusConnecting);

  source.addEventListener("open", function () {
    setStatus(texts.statusLive);
  });
  source.addEventListener("error", function () {
    if (source.readyState !== EventSource.CLOSED) {
      setStatus(texts.statusLost);
    }
  });
  source.addEventListener("entry", function (ev) {
    var p;
    try {
      p = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    upsert(p.seq, p.html);
    if (p.updated) {
      upsert(p.updated.seq, p.updated.html);
    }
    var empty = document.getElementById("empty-note");
    if (empty) {
      empty.remove();
    }
    list.dataset.lastSeq = String(p.seq);
    // The "now" panel is a polite status region: it is only touched when it changes, so a
    // note does not make screen readers repeat the current item.
    if (nowBody && typeof p.now === "string" && p.now !== lastNow) {
      lastNow = p.now;
      nowBody.replaceChildren.apply(nowBody, Array.prototype.slice.call(fromHtmlAll(p.now)));
    }
    announce(p.summary);
    if (p.kind === "end") {
      source.close();
      setStatus(texts.statusEnded);
    }
  });
})();
