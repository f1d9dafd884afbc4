// Gavel: the clerk's desk, live. The desk works without this script (every button is a form
// that posts and redirects back); with it, the meeting's regions (status and banners, agenda,
// latest entries with their delivery state, targets) refresh from /desk/state.json every two
// seconds, entries recorded by another clerk are announced to screen readers, and keyboard
// shortcuts work: Alt+N next item, / the command line, Alt+V the vote form; the roster's ticks
// keep the vote's counts in step. Served from
// /static/desk.js so the Content-Security-Policy can forbid inline script.
(function () {
  "use strict";
  var POLL_MS = 2000;
  var announcer = document.getElementById("desk-announcer");
  if (!announcer || !document.getElementById("desk-entries")) {
    return; // the sign-in page
  }
  var me = announcer.dataset.clerk || "";
  var template = announcer.dataset.newEntry || "{n}";
  var fingerprint = null;
  var lastSeq = highestSeq(document);
  var timer = null;

  function highestSeq(root) {
    var max = 0;
    root.querySelectorAll("[data-seq]").forEach(function (el) {
      max = Math.max(max, Number(el.dataset.seq) || 0);
    });
    return max;
  }

  function announce(text) {
    var line = document.createElement("p");
    line.textContent = text;
    announcer.appendChild(line);
    while (announcer.children.length > 5) {
      announcer.removeChild(announcer.firstChild);
    }
  }

  // The server renders (and escapes) every region; the script only places it.
  function parse(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  // Something the clerk is using: focus inside it, or an entry's menu left open.
  function busy(el) {
    return el.contains(document.activeElement) || el.querySelector("details[open]") !== null;
  }

  // Entries merge one by one, so a menu the clerk has open (or is typing in) stays put while
  // the others, and the new ones, update.
  function mergeEntries(region, html) {
    var fresh = parse(html);
    var oldList = region.querySelector("ol.desk-entries");
    var newList = fresh.querySelector("ol.desk-entries");
    if (!oldList || !newList) {
      if (!busy(region)) {
        region.replaceChildren(fresh);
      }
      return;
    }
    Array.prototype.slice.call(newList.children).forEach(function (li) {
      var old = document.getElementById(li.id);
      if (old && busy(old)) {
        var meta = old.querySelector(".desk-meta");
        var newMeta = li.querySelector(".desk-meta");
        if (meta && newMeta) {
          meta.replaceWith(newMeta);
        }
        newList.replaceChild(old, li);
      }
    });
    oldList.replaceWith(newList);
  }

  function apply(state) {
    Object.keys(state.regions || {}).forEach(function (id) {
      var region = document.getElementById(id);
      if (!region) {
        return;
      }
      if (id === "desk-entries") {
        mergeEntries(region, state.regions[id]);
      } else if (!busy(region)) {
        region.replaceChildren(parse(state.regions[id]));
      }
    });
    (state.entries || [])
      .slice()
      .reverse()
      .forEach(function (e) {
        if (e.seq > lastSeq && e.author !== me) {
          announce(template.replace("{n}", "#" + e.seq) + ": " + e.text);
        }
      });
    (state.entries || []).forEach(function (e) {
      lastSeq = Math.max(lastSeq, e.seq);
    });
  }

  function poll() {
    timer = null;
    fetch("/desk/state.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) {
          // The session ended (idle, signed out elsewhere, restart): sign in again.
          window.location.assign("/desk/login");
          return null;
        }
        return r.ok ? r.json() : null;
      })
      .then(function (state) {
        if (state && state.fingerprint !== fingerprint) {
          apply(state);
          fingerprint = state.fingerprint;
        }
      })
      .catch(function () {
        // Offline or restarting: keep the page as it is and try again.
      })
      .then(schedule);
  }

  function schedule() {
    if (timer === null && !document.hidden) {
      timer = window.setTimeout(poll, POLL_MS);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null) {
      poll();
    }
  });

  function typing(el) {
    if (!el) {
      return false;
    }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function submit(form) {
    if (!form) {
      return;
    }
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey) {
      return;
    }
    if (e.altKey && !e.shiftKey && e.code === "KeyN") {
      e.preventDefault();
      submit(document.getElementById("next-form"));
    } else if (e.altKey && !e.shiftKey && e.code === "KeyV") {
      var count = document.getElementById("vote-for");
      if (count) {
        e.preventDefault();
        count.focus();
        count.select();
      }
    } else if (!e.altKey && e.key === "/" && !typing(document.activeElement)) {
      var line = document.getElementById("command");
      if (line) {
        e.preventDefault();
        line.focus();
      }
    } else if (e.key === "Escape") {
      // Close the entry menu the focus is in, and return to its summary.
      var open = document.activeElement && document.activeElement.closest("details[open]");
      if (open) {
        open.open = false;
        var summary = open.querySelector("summary");
        if (summary) {
          summary.focus();
        }
      }
    }
  });

  // The roster's ticks keep the vote's counts consistent: each count is the number of
  // councillors ticked for it (the server does the same for a count left at 0).
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("input[data-roll]")) {
      return;
    }
    ["for", "against", "abstain"].forEach(function (choice) {
      var count = document.getElementById("vote-" + choice);
      if (count) {
        count.value = document.querySelectorAll('input[data-roll="' + choice + '"]:checked').length;
      }
    });
  });

  // A result after a redirect is read by screen readers from its role; a refusal also takes
  // the focus, so the clerk can read why and correct the form.
  var flash = document.querySelector(".desk-flash-refused[tabindex]");
  if (flash) {
    flash.focus();
  }

  poll();
})();
