// trendsum review: keyboard shortcuts, selecting a point's evidence, and picking quotes from the source.
// Everything works without this file; it only saves clicks. No inline script: the CSP allows this file alone.
"use strict";

function typing(target) {
  return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

// Scroll the source pane (not the page) so the evidence sits in its middle; on a narrow screen, where the source
// follows the summary, scroll the page to it.
function showInSource(mark) {
  const pane = mark.closest("section.source");
  if (pane && pane.scrollHeight > pane.clientHeight && getComputedStyle(pane).position === "sticky") {
    const top = mark.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
    pane.scrollTop = Math.max(0, top - pane.clientHeight / 2);
  } else {
    mark.scrollIntoView({ block: "center" });
  }
}

function selectPoint(anchor, scroll) {
  document.querySelectorAll("li.point.selected, mark.ev.selected").forEach((el) => el.classList.remove("selected"));
  const point = document.getElementById("point-" + anchor);
  if (point) point.classList.add("selected");
  const marks = Array.from(document.querySelectorAll("mark.ev")).filter(
    (mark) => mark.dataset.points.split(" ").includes(anchor));
  marks.forEach((mark) => mark.classList.add("selected"));
  if (scroll && marks.length) showInSource(marks[0]);
  const url = new URL(window.location.href);
  url.searchParams.set("point", anchor);
  url.hash = "ev-" + anchor;
  history.replaceState(null, "", url);
}

function onRecordPage() {
  document.querySelectorAll("a.select-point").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      selectPoint(link.dataset.point, true);
    });
  });
  const selected = document.querySelector("li.point.selected");
  if (selected) {
    const mark = document.querySelector("mark.ev.selected");
    if (mark) showInSource(mark);
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const click = (id) => { const el = document.getElementById(id); if (el) { event.preventDefault(); el.click(); } };
    switch (event.key) {
      case "a": click("accept"); break;
      case "e": click("edit"); break;
      case "r": { const reason = document.getElementById("reason"); if (reason) { event.preventDefault(); reason.focus(); } break; }
      case "s": click("skip"); break;
      case "j": click("next"); break;
      case "k": click("previous"); break;
      case "?": { const legend = document.getElementById("legend"); if (legend) legend.scrollIntoView(); break; }
    }
  });
}

// A new empty quote field after `last` (named as the server numbers them: section.point.q.N).
function anotherQuote(last) {
  const label = last.closest("label");
  const copy = label.cloneNode(true);
  const field = copy.querySelector("textarea");
  const number = Number(last.name.split(".").pop()) + 1;
  field.name = last.name.replace(/\.q\.\d+$/, ".q." + number);
  field.id = last.id.replace(/-q-\d+$/, "-q-" + number);
  field.value = "";
  label.after(copy);
  return field;
}

function onEditPage() {
  const source = document.getElementById("source-text");
  let lastQuote = null;
  document.querySelectorAll("textarea.quote-field").forEach((field) => {
    field.addEventListener("focus", () => { lastQuote = field; });
  });
  document.querySelectorAll("button.use-selection").forEach((button) => {
    button.hidden = false;
    button.addEventListener("mousedown", (event) => event.preventDefault());  // keep the selection in the source
    button.addEventListener("click", () => {
      const selection = window.getSelection();
      const text = selection ? selection.toString().trim() : "";
      if (!text || !source || !source.contains(selection.anchorNode)) {
        button.textContent = "Select some text in the source first, then press here";
        return;
      }
      const fields = Array.from(button.parentElement.querySelectorAll("textarea.quote-field"));
      let target = fields.includes(lastQuote) && !lastQuote.value.trim() ? lastQuote
        : fields.find((field) => !field.value.trim());
      if (!target) target = anotherQuote(fields[fields.length - 1]);
      target.value = text;
      button.textContent = "Use the selected source text as a quote";
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.classList.contains("record-page")) onRecordPage();
  if (document.body.classList.contains("edit-page")) onEditPage();
});
