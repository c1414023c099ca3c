// Press "/" anywhere (outside a text field) to jump to the search box.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  if (typing) return;
  var box = document.getElementById("q");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});

// Search as you type: completions of the last word and matching titles, shown
// under the box as links. Without JavaScript the form works the same, without them.
(function () {
  var box = document.getElementById("q");
  if (!box || !window.fetch) return;
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "suggestions";
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  box.setAttribute("aria-controls", "suggestions");
  box.form.appendChild(list);
  var timer = null, latest = "";

  function item(href, text, kind) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = href;
    link.textContent = text;  // text, never HTML
    link.className = kind;
    li.appendChild(link);
    return li;
  }

  function show(data) {
    if (data.query !== latest) return;  // an older answer arriving late
    list.replaceChildren();
    data.completions.forEach(function (words) {
      list.appendChild(item("/search?q=" + encodeURIComponent(words), words, "completion"));
    });
    data.titles.forEach(function (hit) {
      list.appendChild(item("/doc/" + hit.id.split("/").map(encodeURIComponent).join("/") +
                            "?q=" + encodeURIComponent(data.query), hit.title || hit.id, "title"));
    });
    list.hidden = !list.children.length;
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    latest = box.value.trim();
    if (latest.length < 2) { list.hidden = true; return; }
    timer = setTimeout(function () {
      fetch("/api/suggest?q=" + encodeURIComponent(latest))
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) show(data); })
        .catch(function () { list.hidden = true; });
    }, 150);
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Escape") list.hidden = true;
    if (event.key === "ArrowDown" && !list.hidden && list.firstChild) {
      event.preventDefault();
      list.firstChild.firstChild.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (!box.form.contains(event.target)) list.hidden = true;
  });
})();
