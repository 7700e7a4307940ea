"""The report's inline stylesheet and script (no network: everything lives in the one HTML file)."""

from __future__ import annotations

__all__ = ["CSS", "SCRIPT"]

CSS = """
:root { --fg:#1d2330; --muted:#5d6677; --line:#d9dee7; --panel:#f5f7fa; --bg:#ffffff;
  --model:#3b6fd8; --tool:#2e9e6b; --error:#d64545; --final:#8a5cd6; --track:#eef1f6; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 0; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
h4 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 10px 0 4px; }
code, pre { font: 12.5px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { margin: 0; padding: 8px 10px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  white-space: pre-wrap; word-break: break-word; max-height: 420px; overflow: auto; }
.sub, .meta, .muted { color: var(--muted); }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  background: #e3f4ea; color: #1d6b43; } .status.bad { background: #fbe4e4; color: #9b2c2c; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(175px, 1fr)); gap: 10px; margin: 16px 0 0; }
.cards div { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.cards dt { font-size: 12px; color: var(--muted); } .cards dd { margin: 2px 0 0; font-size: 16px; font-weight: 600; }
.timeline { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.tl-axis, .tl-row { display: grid; grid-template-columns: 120px 1fr; gap: 10px; align-items: center; }
.tl-row { min-height: 24px; padding: 3px 0; } .tl-row:hover .tl-track { background: #e4e9f2; }
.tl-label { font-size: 12px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tl-track { position: relative; min-height: 18px; background: var(--track); border-radius: 4px; }
.tl-ticks { position: relative; height: 16px; font-size: 11px; color: var(--muted); }
.tl-ticks span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.tl-ticks span:first-child { transform: none; }
.tl-ticks span:last-child { transform: translateX(-100%); }
.tl-bar { position: absolute; top: 2px; height: 14px; border-radius: 3px; min-width: 3px; display: block; }
.tl-model { background: var(--model); } .tl-tool { background: var(--tool); height: 7px; }
.tl-error { background: var(--error); } .tl-final { background: var(--final); }
.legend { display: flex; gap: 16px; margin-top: 8px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 12px; height: 10px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 6px 8px;
  border-bottom: 1px solid var(--line); vertical-align: top; } th { font-size: 12px; color: var(--muted); }
tr.chosen { background: #eef7f1; font-weight: 600; } tr.pruned td { color: var(--muted); }
table.fields { width: auto; }
table.fields th { font: 12.5px ui-monospace, Menlo, Consolas, monospace; color: var(--fg); }
.toolbar { display: flex; gap: 8px; margin-bottom: 12px; }
.toolbar input { flex: 1; max-width: 360px; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; }
.toolbar button { padding: 5px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel);
  cursor: pointer; }
.step { border: 1px solid var(--line); border-left: 4px solid var(--model); border-radius: 8px;
  padding: 12px 14px; margin-bottom: 12px; }
.step.final { border-left-color: var(--final); } .step.flash { box-shadow: 0 0 0 3px #b9cdf5; }
.step > * + * { margin-top: 8px; }
.tool { border: 1px solid var(--line); border-left: 4px solid var(--tool); border-radius: 6px; padding: 6px 10px; }
.tool.error { border-left-color: var(--error); }
summary { cursor: pointer; font-weight: 600; } summary .meta { font-weight: 400; }
.badge { font-size: 11px; padding: 0 6px; border-radius: 8px; background: var(--panel); border: 1px solid var(--line);
  font-weight: 500; } .badge.error { background: #fbe4e4; border-color: #f1b5b5; color: #9b2c2c; }
.notices li { margin: 3px 0; } footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
"""

SCRIPT = """
(function () {
  "use strict";
  var bars = Array.prototype.slice.call(document.querySelectorAll(".tl-bar"));
  var steps = Array.prototype.slice.call(document.querySelectorAll(".step"));
  bars.forEach(function (bar) {
    bar.setAttribute("data-px", String(Math.round(bar.getBoundingClientRect().width)));
    bar.addEventListener("click", function () {
      var target = document.getElementById(bar.getAttribute("data-step"));
      if (!target) { return; }
      target.querySelectorAll("details").forEach(function (d) { d.open = true; });
      target.classList.add("flash");
      setTimeout(function () { target.classList.remove("flash"); }, 1200);
    });
  });
  function setAll(open) {
    document.querySelectorAll(".step details").forEach(function (d) { d.open = open; });
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }
  var filter = document.getElementById("step-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var query = filter.value.trim().toLowerCase();
      steps.forEach(function (step) {
        var hide = query !== "" && step.textContent.toLowerCase().indexOf(query) < 0;
        step.hidden = hide;
        var row = document.querySelector('.tl-row[data-step="' + step.id + '"]');
        if (row) { row.hidden = hide; }
      });
    });
  }
  document.body.setAttribute("data-rendered-bars", String(bars.filter(function (bar) {
    return Number(bar.getAttribute("data-px")) > 0;
  }).length));
  document.body.setAttribute("data-ready", "1");
})();
"""
