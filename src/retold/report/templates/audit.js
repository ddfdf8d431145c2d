(function () {
  "use strict";
  var doc = document;
  var body = doc.body;
  var FID = /^[a-z]+-[0-9]+$/;
  var timer = null;

  function all(selector, root) {
    return Array.prototype.slice.call((root || doc).querySelectorAll(selector));
  }

  function paneOf(el) {
    return el.closest ? el.closest(".pane-body") : null;
  }

  // scroll inside a pane when it scrolls, else bring the element into the window
  function reveal(el) {
    var pane = paneOf(el);
    if (pane && pane.scrollHeight > pane.clientHeight + 1) {
      var top = el.getBoundingClientRect().top - pane.getBoundingClientRect().top;
      pane.scrollTop += top - pane.clientHeight / 3;
    } else {
      el.scrollIntoView({ block: "center" });
    }
  }

  function flash(el) {
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash");
  }

  function show(fid, clicked) {
    if (!FID.test(fid)) return;
    all(".sel").forEach(function (el) { el.classList.remove("sel"); });
    var els = all('[data-f~="' + fid + '"]');
    var first = {};
    els.forEach(function (el) {
      el.classList.add("sel");
      flash(el);
      var pane = paneOf(el);
      if (pane && !first[pane.id]) first[pane.id] = el;
    });
    var card = doc.getElementById("f-" + fid);
    if (card) {
      card.classList.add("sel");
      flash(card);
    }
    if (clicked) {
      // from the text: reveal the evidence in the other pane and the card in the list
      var own = paneOf(clicked);
      Object.keys(first).forEach(function (id) {
        if (!own || id !== own.id) reveal(first[id]);
      });
      var list = doc.getElementById("findings");
      if (card && list && list.scrollHeight > list.clientHeight + 1 && card.offsetParent) {
        list.scrollTop += card.getBoundingClientRect().top - list.getBoundingClientRect().top - 16;
      }
    } else {
      var texts = doc.getElementById("texts");
      if (texts) {
        var r = texts.getBoundingClientRect();
        if (r.bottom < 80 || r.top > window.innerHeight - 80) texts.scrollIntoView({ block: "start" });
      }
      Object.keys(first).forEach(function (id) { reveal(first[id]); });
    }
    clearTimeout(timer);
    timer = setTimeout(function () {
      all(".flash").forEach(function (el) { el.classList.remove("flash"); });
    }, 2000);
  }

  doc.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t || !t.closest) return;
    var btn = t.closest("[data-show]");
    if (btn) {
      show(btn.getAttribute("data-show"), null);
      return;
    }
    var hit = t.closest(".pane-body [data-f]");
    while (hit) {
      var fids = (hit.getAttribute("data-f") || "").split(" ").filter(Boolean);
      if (fids.length) {
        show(fids[0], hit);
        return;
      }
      hit = hit.parentElement && hit.parentElement.closest(".pane-body [data-f]");
    }
  });

  // the sticky toolbar's height positions the sticky panes below it
  var bar = doc.querySelector(".toolbar");
  function measure() {
    if (bar) doc.documentElement.style.setProperty("--bar", bar.offsetHeight + "px");
  }
  measure();
  window.addEventListener("resize", measure);

  all("input[data-filter]").forEach(function (box) {
    var key = box.getAttribute("data-filter");
    var sync = function () { body.classList.toggle("hide-" + key, !box.checked); };
    box.addEventListener("change", sync);
    sync();
  });
})();
