// The officers' and supervisors' dashboard: the queue, the figures and the overdue book, each
// read from the bot's API (which checks the role on every call). common.js is loaded first.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

// Horizontal bars, one per row, long labels above their bar: readable at 360 px.
function bars(svg, rows) {
  svg.replaceChildren();
  const width = 340;
  const largest = Math.max(...rows.map((row) => row.count), 1);
  rows.forEach((row, index) => {
    const top = index * 34;
    const label = svgElement("text", { x: 0, y: top + 11 });
    label.textContent = row.label;
    const length = Math.max((row.count / largest) * (width - 40), row.count ? 2 : 0);
    const bar = svgElement("rect", { x: 0, y: top + 15, width: length, height: 14, class: "bar" });
    bar.dataset.count = String(row.count);
    const count = svgElement("text", { x: length + 4, y: top + 26 });
    count.textContent = String(row.count);
    svg.append(label, bar, count);
  });
  svg.setAttribute("viewBox", `0 0 ${width} ${rows.length * 34}`);
}

function paragraph(text, className) {
  const line = document.createElement("p");
  line.textContent = text;
  if (className) line.className = className;
  return line;
}

function showQueue(items, labels) {
  const list = $("queue");
  list.replaceChildren();
  for (const item of items) {
    const entry = document.createElement("li");
    entry.dataset.sla = item.sla;
    const badge = document.createElement("span");
    badge.className = "sla " + item.sla;
    badge.textContent = item.sla_text;
    entry.append(badge, item.text);
    if (item.lead) {
      const open = document.createElement("button");
      open.type = "button";
      open.textContent = labels.open;
      open.addEventListener("click", () => openCard(item.lead));
      entry.append(open);
    }
    list.append(entry);
  }
  if (!items.length) list.append(paragraph(labels.empty_queue, "hint"));
  $("queue-box").hidden = false;
}

async function openCard(lead) {
  try {
    const answer = await api("desk/open", { lead });
    $("notice").textContent = answer.text;
    $("notice").hidden = false;
    if (webApp && webApp.close) webApp.close();
  } catch (error) {
    showProblem(error.message);
  }
}

function showFigures(officers) {
  const box = $("figures");
  box.replaceChildren();
  for (const officer of officers) {
    const block = document.createElement("div");
    block.className = "officer";
    if (officer.name) block.append(paragraph("👤 " + officer.name, "name"));
    for (const line of officer.lines) block.append(paragraph(line));
    box.append(block);
  }
  $("figures-box").hidden = false;
}

function showOverdue(book, labels) {
  bars($("by-days"), book.by_days);
  bars($("by-classification"), book.by_classification);
  const list = $("overdue");
  list.replaceChildren();
  for (const item of book.cases) {
    const entry = document.createElement("li");
    entry.dataset.loan = item.loan;
    entry.textContent = item.text;
    list.append(entry);
  }
  if (!book.cases.length) list.append(paragraph(labels.no_overdue, "hint"));
  $("overdue-box").hidden = false;
}

// label | this week | this month, one row per stage (or district)
function countTable(table, rows, labels, className) {
  const head = document.createElement("tr");
  for (const text of ["", labels.this_week, labels.this_month]) {
    const cell = document.createElement("th");
    cell.textContent = text;
    head.append(cell);
  }
  table.replaceChildren(head);
  rows.forEach((row, index) => {
    const line = document.createElement("tr");
    if (className) line.className = className(row, index);
    for (const value of [row.label, row.week, row.month]) {
      const cell = document.createElement("td");
      cell.textContent = String(value);
      line.append(cell);
    }
    table.append(line);
  });
}

function showFunnel(funnel, labels) {
  const rows = [...funnel.stages, ...funnel.breaches];
  const stages = funnel.stages.length;
  const kind = (index) => index < stages ? "stage" : index === stages ? "breach" : "breach-part";
  countTable($("funnel"), rows, labels,
    (row, index) => kind(index) + (index >= stages && row.month > 0 ? " late" : ""));
  bars($("funnel-chart"), funnel.stages.map((stage) => ({ label: stage.label, count: stage.month })));
  $("funnel-chart-title").textContent = labels.this_month;
  $("funnel-chart").setAttribute("aria-label", labels.funnel + ": " + labels.this_month);
  countTable($("districts"), funnel.districts, labels);
  $("funnel-box").hidden = false;
}

let chosen = null;  // the reassignment waiting for its confirmation

function showReassignable(leads, labels) {
  const list = $("reassign");
  list.replaceChildren();
  for (const lead of leads) {
    const entry = document.createElement("li");
    entry.dataset.lead = lead.lead;
    const text = document.createElement("span");
    text.textContent = lead.text;
    const officers = document.createElement("select");
    for (const officer of lead.officers) officers.append(new Option(officer.name, officer.id));
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = labels.reassign;
    button.disabled = !lead.officers.length;
    button.addEventListener("click", () => {
      const officer = officers.selectedOptions[0];
      chosen = { lead: lead.lead, officer: officer.value };
      $("confirm-question").textContent = labels.confirm_question
        .replace("{lead}", lead.lead).replace("{name}", officer.textContent);
      $("confirm").hidden = false;
    });
    entry.append(text, officers, button);
    list.append(entry);
  }
  if (!leads.length) list.append(paragraph(labels.nothing_to_reassign, "hint"));
  $("reassign-box").hidden = false;
}

async function reassign(labels) {
  const request = chosen;
  chosen = null;
  $("confirm").hidden = true;
  if (!request) return;
  try {
    const answer = await api("desk/reassign", request);
    showProblem("");
    $("notice").textContent = answer.text;
    $("notice").hidden = false;
  } catch (error) {
    showProblem(error.message);
  }
  const [leads, funnel, queue] = await Promise.all([
    api("desk/reassignable"), api("desk/funnel"), api("desk/queue"),
  ]);
  showReassignable(leads.leads, labels);
  showFunnel(funnel, labels);
  showQueue(queue.items, labels);
  document.body.dataset.reassigned = request.lead;
}

async function startSupervisor(labels) {
  $("funnel-title").textContent = labels.funnel;
  $("districts-title").textContent = labels.districts;
  $("reassign-title").textContent = labels.reassign_title;
  $("confirm-yes").textContent = labels.confirm;
  $("confirm-no").textContent = labels.cancel;
  $("confirm-yes").addEventListener("click", () => reassign(labels));
  $("confirm-no").addEventListener("click", () => { chosen = null; $("confirm").hidden = true; });
  const [funnel, leads] = await Promise.all([api("desk/funnel"), api("desk/reassignable")]);
  showFunnel(funnel, labels);
  showReassignable(leads.leads, labels);
}

async function start() {
  try {
    const me = await api("desk/me");
    const labels = me.labels;
    document.documentElement.lang = me.locale.replace("_", "-");
    document.title = $("title").textContent = labels.title;
    $("queue-title").textContent = labels.queue;
    $("overdue-title").textContent = labels.overdue;
    $("classification-title").textContent = labels.classification;
    const supervisor = me.role === "supervisor";
    $("figures-title").textContent = supervisor ? labels.team : labels.week;
    const [queue, figures, overdue] = await Promise.all([
      api("desk/queue"), api(supervisor ? "desk/team" : "desk/week"), api("desk/overdue"),
    ]);
    showQueue(queue.items, labels);
    showFigures(supervisor ? figures.officers : [{ name: "", lines: figures.lines }]);
    showOverdue(overdue, labels);
    if (supervisor) await startSupervisor(labels);
    performance.mark("desk-ready");  // the first render, for bench/bench_webapp.py
    document.body.dataset.ready = "true";
  } catch (error) {
    showProblem(error.message);
  }
}

start();
