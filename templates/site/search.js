/* veille site search: reads window.VEILLE_SEARCH (search-index.js), so it works from file:// too.
   Every word of the query must appear in a story's title, summary, keywords, formats or sources;
   accents and case do not matter. Results are built with textContent only: nothing is parsed as HTML. */
(function () {
  "use strict";
  var index = window.VEILLE_SEARCH || { formats: [], sources: [], stories: [] };
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !status || !list) { return; }
  var LIMIT = 100;
  var haystacks = null;

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function build() {
    haystacks = index.stories.map(function (s) {
      var formats = s[4].map(function (i) { return index.formats[i]; }).join(" ");
      var sources = s[5].map(function (i) { return index.sources[i]; }).join(" ");
      return { title: fold(s[0]), rest: fold([s[2], s[6], formats, sources].join(" ")) };
    });
  }

  function search(query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    if (!words.length) { return null; }
    if (!haystacks) { build(); }
    var hits = [];
    for (var i = 0; i < haystacks.length; i++) {
      var h = haystacks[i], score = 0, ok = true;
      for (var w = 0; w < words.length; w++) {
        var inTitle = h.title.indexOf(words[w]) !== -1;
        if (!inTitle && h.rest.indexOf(words[w]) === -1) { ok = false; break; }
        score += inTitle ? 3 : 1;
      }
      if (ok) { hits.push([score, i]); }
    }
    hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    return hits;
  }

  function line(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = text;
    return el;
  }

  function show(query) {
    var hits = search(query);
    list.textContent = "";
    if (hits === null) { status.textContent = ""; return; }
    var n = hits.length;
    var message = n === 0 ? status.dataset.none : n === 1 ? status.dataset.one : status.dataset.many.replace("{n}", n);
    if (n > LIMIT) { message += " " + status.dataset.more.replace("{n}", LIMIT); }
    status.textContent = message;
    hits.slice(0, LIMIT).forEach(function (hit) {
      var s = index.stories[hit[1]];
      var item = document.createElement("li");
      var title = document.createElement("p");
      var link = line("a", "", s[0]);
      link.href = s[1];
      title.appendChild(link);
      item.appendChild(title);
      var sources = s[5].map(function (i) { return index.sources[i]; });
      var formats = s[4].map(function (i) { return index.formats[i]; });
      item.appendChild(line("p", "meta", [s[3]].concat(formats, sources).join(" · ")));
      if (s[2]) { item.appendChild(line("p", "", s[2])); }
      list.appendChild(item);
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { show(input.value); }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
  });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; show(initial); }
})();
