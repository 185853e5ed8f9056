/* veille site search, offline from file:// too (scripts, no fetch()).
   search/index.js names the index's pieces, newest first: one per page that holds stories (a week, or a
   year of the archive). The first search loads them one by one, newest first, and stops once more stories
   match than it shows, so a large site reads a few weeks, not its whole history; a later search goes on
   from there only when it needs to.
   Every word of the query must appear in a story's title, summary, keywords, formats or sources;
   accents and case do not matter. Results are built with textContent only: nothing is parsed as HTML. */
(function () {
  "use strict";
  var index = window.VEILLE_SEARCH || { parts: [] };
  var pieces = window.VEILLE_SEARCH_PARTS = window.VEILLE_SEARCH_PARTS || {};
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !status || !list) { return; }
  var LIMIT = 100;
  var stories = [];  // every story of the pieces loaded so far, newest piece first
  var loaded = 0;  // pieces loaded (index.parts[0 … loaded-1])
  var current = 0;  // the search under way: a newer one makes an older one stop

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function add(piece) {
    if (!piece) { return; }
    piece.stories.forEach(function (s) {
      var formats = s[4].map(function (i) { return piece.formats[i]; });
      var sources = s[5].map(function (i) { return piece.sources[i]; });
      stories.push({
        title: s[0], href: s[1], summary: s[2], week: s[3], formats: formats, sources: sources,
        audience: s[7] || "general",
        hayTitle: fold(s[0]), hayRest: fold([s[2], s[6], formats.join(" "), sources.join(" ")].join(" "))
      });
    });
  }

  var waiting = null;  // callbacks of the searches waiting for the piece being loaded, or null

  function loadNext(done) {
    if (waiting) { waiting.push(done); return; }  // one piece at a time: never the same piece twice
    waiting = [done];
    var name = index.parts[loaded];
    var script = document.createElement("script");
    script.src = "search/" + name + ".js";
    script.onload = script.onerror = function () {
      add(pieces[name]);  // undefined when the piece failed to load: nothing added, the next one is read
      loaded++;
      var callbacks = waiting;
      waiting = null;
      callbacks.forEach(function (callback) { callback(); });
    };
    document.head.appendChild(script);
  }

  function match(words, from, hits) {
    for (var i = from; i < stories.length; i++) {
      var h = stories[i], score = 0, ok = true;
      for (var w = 0; w < words.length; w++) {
        var inTitle = h.hayTitle.indexOf(words[w]) !== -1;
        if (!inTitle && h.hayRest.indexOf(words[w]) === -1) { ok = false; break; }
        score += inTitle ? 3 : 1;
      }
      if (ok) { hits.push([score, i]); }
    }
  }

  function line(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = text;
    return el;
  }

  function render(hits, complete) {
    hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    list.textContent = "";
    var n = hits.length;
    var count = complete ? String(n) : LIMIT + "+";
    var message = n === 0 ? status.dataset.none : n === 1 && complete ? status.dataset.one : status.dataset.many.replace("{n}", count);
    if (n > LIMIT) { message += " " + status.dataset.more.replace("{n}", LIMIT); }
    status.textContent = message;
    hits.slice(0, LIMIT).forEach(function (hit) {
      var s = stories[hit[1]];
      var item = document.createElement("li");
      item.setAttribute("data-audience", s.audience);  // the audience filter (audience.js) reads it
      var title = document.createElement("p");
      var link = line("a", "", s.title);
      link.href = s.href;
      title.appendChild(link);
      item.appendChild(title);
      item.appendChild(line("p", "meta", [s.week].concat(s.formats, s.sources).join(" · ")));
      if (s.summary) { item.appendChild(line("p", "", s.summary)); }
      list.appendChild(item);
    });
  }

  function show(query) {
    var search = ++current;
    var words = fold(query).split(/\s+/).filter(Boolean);
    if (!words.length) { list.textContent = ""; status.textContent = ""; return; }
    var hits = [];
    var done = 0;  // stories already matched
    (function step() {
      if (search !== current) { return; }  // the query changed meanwhile
      match(words, done, hits);
      done = stories.length;
      if (hits.length > LIMIT || loaded >= index.parts.length) {
        render(hits, loaded >= index.parts.length);
        return;
      }
      loadNext(step);
    })();
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
