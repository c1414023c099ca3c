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

// Search as you type: completions of the last word and matching titles, in a
// list under the box (the ARIA combobox pattern: focus stays in the box, the
// option chosen with the arrow keys is its aria-activedescendant). Up and Down
// move through the options, Enter picks one, a click picks one, Escape closes
// the list and a second Escape empties the box. Without JavaScript the form
// works the same, without suggestions.
(function () {
  var box = document.getElementById("q");
  if (!box || !window.fetch) return;
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  var status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", "suggestions");
  box.setAttribute("aria-expanded", "false");
  box.form.appendChild(list);
  box.form.appendChild(status);
  var timer = null, latest = "", active = -1;

  function option(index, text, kind, href) {
    var li = document.createElement("li");
    li.id = "suggestion-" + index;
    li.className = kind;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    li.setAttribute("data-href", href);
    li.textContent = text;  // text, never HTML
    if (kind === "title") li.setAttribute("aria-label", text + ", article");  // opens, not searches
    return li;
  }

  // Make option `index` the active one (-1: none, the text itself).
  function choose(index) {
    var options = list.children;
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    active = index;
    if (index >= 0) {
      box.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }

  function open(shown) {
    list.hidden = !shown;
    box.setAttribute("aria-expanded", shown ? "true" : "false");
    if (!shown) choose(-1);
  }

  // A completion searches for its words (through the form, so the sort is kept);
  // a title opens its article.
  function pick(li) {
    open(false);
    if (li.classList.contains("completion")) {
      box.value = li.textContent;
      if (box.form.requestSubmit) box.form.requestSubmit(); else box.form.submit();
    } else {
      window.location.assign(li.getAttribute("data-href"));
    }
  }

  function show(data) {
    if (data.query !== latest) return;  // an older answer arriving late
    list.replaceChildren();
    data.completions.forEach(function (words) {
      list.appendChild(option(list.children.length, words, "completion",
                              "/search?q=" + encodeURIComponent(words)));
    });
    data.titles.forEach(function (hit) {
      list.appendChild(option(list.children.length, hit.title || hit.id, "title",
                              "/doc/" + hit.id.split("/").map(encodeURIComponent).join("/") +
                              "?q=" + encodeURIComponent(data.query)));
    });
    var count = list.children.length;
    status.textContent = count ? count + (count === 1 ? " suggestion" : " suggestions") : "";
    choose(-1);
    open(count > 0);
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    latest = box.value.trim();
    if (latest.length < 2) { list.replaceChildren(); open(false); return; }
    timer = setTimeout(function () {
      fetch("/api/suggest?q=" + encodeURIComponent(latest))
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) show(data); })
        .catch(function () { open(false); });
    }, 150);
  });

  box.addEventListener("keydown", function (event) {
    if (event.isComposing) return;  // the keys belong to an input method
    var count = list.children.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) return;
      event.preventDefault();
      if (list.hidden) { open(true); choose(event.key === "ArrowDown" ? 0 : count - 1); return; }
      if (event.key === "ArrowDown") choose(active + 1 < count ? active + 1 : 0);
      else choose(active === -1 ? count - 1 : active - 1);  // above the first: the text
    } else if (event.key === "Enter") {
      if (list.hidden || active < 0) return;  // the form searches for what was typed
      event.preventDefault();
      pick(list.children[active]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!list.hidden) { open(false); return; }
      box.value = "";
      latest = "";
      list.replaceChildren();
    } else if (event.key === "Tab") {
      open(false);
    }
  });

  // Keep the focus in the box while the mouse picks (else the box blurs and closes).
  list.addEventListener("mousedown", function (event) { event.preventDefault(); });
  list.addEventListener("click", function (event) {
    var li = event.target.closest("[role=option]");
    if (li) pick(li);
  });
  list.addEventListener("mousemove", function (event) {
    var li = event.target.closest("[role=option]");
    if (li && li !== list.children[active]) choose(Array.prototype.indexOf.call(list.children, li));
  });
  box.addEventListener("blur", function () { open(false); });
})();
