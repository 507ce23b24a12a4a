// immunotwin web: spec validation as you type, live job progress, plots, sortable tables.
// No build step; plotly.js (basic bundle) is loaded only on run pages.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

async function postJSON(url, body) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  return r.json();
}

function setupDesigner() {
  const area = document.getElementById("spec-yaml");
  const out = document.getElementById("spec-check");
  if (!area || !out) return;
  let timer = null;
  let seq = 0;
  const check = async () => {
    const mine = ++seq;
    let res;
    try {
      res = await postJSON("/api/specs/validate", { yaml: area.value });
    } catch (e) {
      return;
    }
    if (mine !== seq) return;
    out.replaceChildren();
    const p = document.createElement(res.valid ? "p" : "ul");
    p.className = res.valid ? "ok" : "error";
    if (res.valid) {
      const s = res.spec;
      p.textContent = `Valid: ${s.arms.length} arm(s), ${s.patients_per_arm} patients per arm, ` +
        `${s.follow_up_months} months follow-up.`;
    } else {
      for (const pr of res.problems || []) {
        const li = document.createElement("li");
        li.textContent = (pr.location ? pr.location + ": " : "") + pr.message + (pr.fix ? " — fix: " + pr.fix : "");
        p.appendChild(li);
      }
    }
    out.appendChild(p);
    area.setAttribute("aria-invalid", res.valid ? "false" : "true");
  };
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 400); });
  check();
}

function setupJobPolling() {
  const box = document.getElementById("job-status");
  if (!box) return;
  const id = box.dataset.jobId;
  if (!["queued", "running"].includes(box.dataset.status)) return;
  const poll = async () => {
    let job;
    try {
      const r = await fetch(`/api/jobs/${id}`, { credentials: "same-origin" });
      job = await r.json();
    } catch (e) {
      setTimeout(poll, 3000);
      return;
    }
    document.getElementById("job-progress").value = job.progress;
    document.getElementById("job-message").textContent = job.message;
    document.getElementById("job-status-text").textContent = job.status;
    if (["queued", "running"].includes(job.status)) setTimeout(poll, 1000);
    else window.location.reload();
  };
  setTimeout(poll, 1000);
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
const BOR = { CR: "#1a9850", PR: "#91cf60", SD: "#fee08b", PD: "#d73027", NE: "#999999" };

function plotLayout(extra) {
  return Object.assign({ margin: { t: 20, r: 10, b: 50, l: 60 }, legend: { orientation: "h", y: -0.25 },
    font: { size: 13 } }, extra);
}

function setupPlots() {
  const holder = document.getElementById("plot-data");
  if (!holder || typeof Plotly === "undefined") return;
  const data = JSON.parse(holder.textContent);
  const cfg = { responsive: true, displaylogo: false };
  for (const ep of ["pfs", "os"]) {
    const el = document.getElementById(`km-${ep}`);
    if (!el) continue;
    const traces = data.km[ep].map((c, i) => ({
      x: c.time_months, y: c.survival, name: c.arm, mode: "lines", line: { shape: "hv", color: COLOURS[i % 7] },
      hovertemplate: "%{x:.1f} mo: %{y:.2f}<extra>" + c.arm + "</extra>",
    }));
    Plotly.newPlot(el, traces, plotLayout({ xaxis: { title: { text: "months" } },
      yaxis: { title: { text: "survival probability" }, range: [0, 1.02] } }), cfg);
  }
  const wf = document.getElementById("waterfall");
  if (wf) {
    const traces = [];
    let offset = 0;
    data.waterfall.forEach((arm) => {
      const xs = arm.best_pct_change.map((_, j) => offset + j);
      traces.push({ type: "bar", x: xs, y: arm.best_pct_change.map((v) => Math.min(v, 100)), name: arm.arm,
        marker: { color: arm.best_overall_response.map((b) => BOR[b] || "#999") },
        text: arm.best_overall_response, hovertemplate: arm.arm + ": %{y:.0f} % (%{text})<extra></extra>" });
      offset += arm.best_pct_change.length + 3;
    });
    Plotly.newPlot(wf, traces, plotLayout({ showlegend: false, bargap: 0,
      xaxis: { showticklabels: false, title: { text: data.waterfall.map((a) => a.arm).join("  |  ") } },
      yaxis: { title: { text: "best change in SLD (%)" } },
      shapes: [-30, 20].map((y) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y,
        line: { dash: "dash", width: 1 } })) }), cfg);
  }
  const tox = document.getElementById("toxicity");
  if (tox) {
    const traces = data.toxicity.arms.map((a, i) => ({ type: "bar", x: data.toxicity.events,
      y: a.grade3plus_rate, name: a.arm, marker: { color: COLOURS[i % 7] } }));
    Plotly.newPlot(tox, traces, plotLayout({ barmode: "group",
      yaxis: { title: { text: "grade ≥3 rate" }, tickformat: ".0%", rangemode: "tozero" } }), cfg);
  }
  const cost = document.getElementById("cost");
  if (cost && data.cost.length) {
    // one point per patient (a strip plot; the basic plotly bundle has no box trace)
    const traces = data.cost.map((a, i) => ({ type: "scatter", mode: "markers", name: a.arm,
      x: a.cost_usd.map(() => a.arm), y: a.cost_usd, marker: { color: COLOURS[i % 7], opacity: 0.6 },
      hovertemplate: "%{y:,.0f} USD<extra>" + a.arm + "</extra>" }));
    Plotly.newPlot(cost, traces, plotLayout({ showlegend: false,
      yaxis: { title: { text: "within-trial cost per patient (USD)" } } }), cfg);
  }
}

function setupSortable() {
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("thead th").forEach((th, col) => {
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      const sort = () => {
        const asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach((o) => o.setAttribute("aria-sort", "none"));
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (r) => (r.cells[col] ? r.cells[col].textContent.trim() : "");
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const nx = parseFloat(x), ny = parseFloat(y);
          const cmp = !isNaN(nx) && !isNaN(ny) && /^[-+0-9.eE]+$/.test(x) && /^[-+0-9.eE]+$/.test(y)
            ? nx - ny : x.localeCompare(y);
          return asc ? cmp : -cmp;
        });
        rows.forEach((r) => body.appendChild(r));
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  });
  document.querySelectorAll("input[data-filter-table]").forEach((input) => {
    const table = document.getElementById(input.dataset.filterTable);
    input.addEventListener("input", () => {
      const q = input.value.toLowerCase();
      Array.from(table.tBodies[0].rows).forEach((r) => {
        r.hidden = q && !r.textContent.toLowerCase().includes(q);
      });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupDesigner();
  setupJobPolling();
  setupSortable();
});
window.addEventListener("load", setupPlots);
