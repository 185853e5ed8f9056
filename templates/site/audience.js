// The audience filter (audience_filter.html): hides the stories of other audiences; those for
// everyone stay. The choice is kept for the next page (localStorage, when the browser allows it).
(function () {
  var form = document.currentScript.previousElementSibling;
  var select = form.querySelector("select");
  function apply() {
    var want = select.value;
    document.querySelectorAll("[data-audience]").forEach(function (el) {
      var audiences = el.getAttribute("data-audience").split(" ");
      el.hidden = want !== "" && audiences.indexOf(want) < 0 && audiences.indexOf("general") < 0;
    });
  }
  try { select.value = window.localStorage.getItem("veille-audience") || ""; } catch (e) { /* storage off */ }
  select.addEventListener("change", function () {
    try { window.localStorage.setItem("veille-audience", select.value); } catch (e) { /* storage off */ }
    apply();
  });
  form.hidden = false;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", apply);
  } else {
    apply();
  }
  new MutationObserver(apply).observe(document.getElementById("main"), { childList: true, subtree: true });
})();
