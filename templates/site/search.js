/* veille site search, offline from file:// too (scripts, no fetch()).
   search/index.js names the index's pieces, newest first: one per page that holds stories (a week, or a
   year of the archive). The first search loads them one by one, newest first, and stops once more stories
   match than it shows, so a large site reads a few weeks, not its whole history; a later search goes on
   from there only when it needs to.
   The query language is `veille search`'s (core/query.py): words (whole words: "ia" is not found in
   "social"), "phrases" (« » too), OR (binds tighter than the space), -word / NOT word, prefix*,
   (groups); matched on a story's title, summary, keywords, formats and sources, case and accents
   ignored, a word in the title counting more. While the query is typed it is read leniently: a phrase
   not closed yet runs to the end (its last word read as a prefix), a dangling OR or NOT is ignored.
   Results are built with textContent only: nothing is parsed as HTML. */
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
    return String(text).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  var WORD = /[\p{L}\p{N}\p{Co}]+/gu;  // letters and digits; everything else separates words
  // French "j'ai", "n'ai" between spaces: one word, "jai", "nai" (core/query.py): "ai" finds AI only
  var FRENCH_HAVE = /(?<!\S)([jn])['\u2019]ai(?=\s|$)/gu;

  function words(text) {
    return fold(text).replace(FRENCH_HAVE, "$1ai").match(WORD) || [];
  }

  function lex(query) {
    var out = [], i = 0, n = query.length;
    while (i < n) {
      var c = query[i];
      if (/\s/.test(c)) { i++; continue; }
      if (c === "(" || c === ")") { out.push({ kind: c }); i++; continue; }
      var negated = false;
      if (c === "-" && i + 1 < n && !/\s/.test(query[i + 1])) {
        negated = true;
        c = query[++i];
        if (c === "(") { out.push({ kind: "(", negated: true }); i++; continue; }
      }
      if ("\"«“”»".indexOf(c) !== -1) {
        var closing = c === "«" ? "»" : c === "“" ? "”" : c;
        var end = query.indexOf(closing, i + 1);
        if (end < 0 && c === "“") { end = query.indexOf("\"", i + 1); }
        var open = end < 0;  // being typed: the phrase runs to the end, its last word a prefix
        if (open) { end = n; }
        var star = open || query[end + 1] === "*";
        out.push({ kind: "term", text: query.slice(i + 1, end), prefix: star, negated: negated });
        i = end + 1 + (star ? 1 : 0);
        continue;
      }
      var start = i;
      while (i < n && !/\s/.test(query[i]) && "()\"".indexOf(query[i]) === -1) { i++; }
      var text = query.slice(start, i);
      if (!negated && (text === "OR" || text === "NOT" || text === "AND")) { out.push({ kind: text }); continue; }
      out.push({ kind: "term", text: text.replace(/\*$/, ""), prefix: /\*$/.test(text), negated: negated });
    }
    return out;
  }

  /* The tree: {words, prefix} | {any: [nodes]} | {all: [nodes], none: [nodes]}; null: nothing to look for;
     {onlyExcluded: true}: words to leave out and none to look for. */
  function parse(query) {
    var tokens = lex(query), pos = 0;
    function peek() { return tokens[pos]; }
    function ends(token) { return !token || /^(\)|OR|AND|NOT)$/.test(token.kind); }
    function primary() {
      var token = tokens[pos++];
      if (token.kind === "(") {
        var inner = allOf(true);
        if (peek()) { pos++; }  // its ")"
        return inner;
      }
      if (token.kind !== "term") { return null; }
      var ws = words(token.text);
      if (!ws.length || (token.prefix && ws[ws.length - 1].length < 2)) { return null; }
      return { words: ws, prefix: token.prefix };
    }
    function anyOf(negatedFirst) {
      var options = [], first = primary();
      if (first) { options.push(first); }
      // a word left out is no side of an OR (`a OR -b`, `-a OR b`): the OR is dropped, each word kept as written
      while (!negatedFirst && peek() && peek().kind === "OR") {
        pos++;
        if (ends(peek()) || peek().negated) { break; }
        var option = primary();
        if (option) { options.push(option); }
      }
      return options.length > 1 ? { any: options } : options[0] || null;
    }
    function allOf(closing) {
      var wanted = [], excluded = [];
      while (peek()) {
        var token = peek(), negated = !!token.negated;
        if (token.kind === ")") {
          if (closing) { break; }
          pos++;  // a ")" that closes nothing: read on
          continue;
        }
        if (token.kind === "AND" || token.kind === "OR") { pos++; continue; }
        if (token.kind === "NOT") {
          pos++;
          if (ends(peek())) { continue; }
          negated = true;
        }
        var node = anyOf(negated);
        if (node && !node.onlyExcluded) { (negated ? excluded : wanted).push(node); }
      }
      if (!wanted.length) { return excluded.length ? { onlyExcluded: true } : null; }
      return wanted.length === 1 && !excluded.length ? wanted[0] : { all: wanted, none: excluded };
    }
    return allOf(false);
  }

  function has(ws, term) {
    var n = term.words.length;
    for (var i = 0; i + n <= ws.length; i++) {
      for (var j = 0; j < n; j++) {
        var w = ws[i + j], t = term.words[j];
        if (w !== t && !(term.prefix && j === n - 1 && w.lastIndexOf(t, 0) === 0)) { break; }
      }
      if (j === n) { return true; }
    }
    return false;
  }

  /* 0: the story does not match; else higher when more of it is in the title. */
  function score(node, story) {
    if (node.words) { return has(story.titleWords, node) ? 3 : has(story.restWords, node) ? 1 : 0; }
    var i, best = 0;
    if (node.any) {
      for (i = 0; i < node.any.length; i++) { best = Math.max(best, score(node.any[i], story)); }
      return best;
    }
    for (i = 0; i < node.none.length; i++) { if (score(node.none[i], story)) { return 0; } }
    for (i = 0; i < node.all.length; i++) {
      var value = score(node.all[i], story);
      if (!value) { return 0; }
      best += value;
    }
    return best;
  }

  function add(piece) {
    if (!piece) { return; }
    piece.stories.forEach(function (s) {
      var formats = s[4].map(function (i) { return piece.formats[i]; });
      var sources = s[5].map(function (i) { return piece.sources[i]; });
      stories.push({
        title: s[0], href: s[1], summary: s[2], week: s[3], formats: formats, sources: sources,
        audience: s[7] || "general",
        titleWords: words(s[0]), restWords: words([s[2], s[6], formats.join(" "), sources.join(" ")].join(" "))
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

  function match(tree, from, hits) {
    for (var i = from; i < stories.length; i++) {
      var value = score(tree, stories[i]);
      if (value) { hits.push([value, i]); }
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
    var tree = parse(query);
    if (!tree || tree.onlyExcluded) {
      list.textContent = "";
      status.textContent = tree ? status.dataset.excluded : "";
      return;
    }
    var hits = [];
    var done = 0;  // stories already matched
    (function step() {
      if (search !== current) { return; }  // the query changed meanwhile
      match(tree, done, hits);
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
