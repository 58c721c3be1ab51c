// The loan calculator Mini App: inputs within the bank's bounds, figures from the bot's API.
// common.js (loaded first) holds the init data, `api` and the theme.
"use strict";

let pending = null;
let asked = 0;
let unavailable = "";

const SVG = "http://www.w3.org/2000/svg";

function pair(rangeId, numberId, min, max, step) {
  for (const id of [rangeId, numberId]) {
    Object.assign($(id), { min: String(min), max: String(max), step: String(step) });
  }
  $(rangeId).value = $(numberId).value = String(min);
  $(rangeId).addEventListener("input", () => { $(numberId).value = $(rangeId).value; schedule(); });
  $(numberId).addEventListener("input", () => { $(rangeId).value = $(numberId).value; schedule(); });
}

function fill(bounds) {
  document.documentElement.lang = bounds.locale.replace("_", "-");
  document.title = $("title").textContent = bounds.labels.title;
  $("amount-label").textContent = bounds.labels.amount;
  $("term-label").textContent = bounds.labels.term;
  $("method-label").textContent = bounds.labels.method;
  $("amount-bounds").textContent = bounds.min_amount_text + " – " + bounds.max_amount_text;
  pair("amount-range", "amount", bounds.min_amount, bounds.max_amount, 100);
  pair("months-range", "months", bounds.min_months, bounds.max_months, 1);
  $("months").value = $("months-range").value = String(Math.min(12, bounds.max_months));
  for (const method of bounds.methods) {
    const option = new Option(method.name, method.id);
    option.dataset.sentence = method.sentence;
    option.dataset.minMonths = String(method.min_months);
    $("method").add(option);
  }
  $("method").addEventListener("change", schedule);
  heading("schedule", bounds.labels.columns);
  heading("compare", bounds.labels.compare_columns);
  $("compare-title").textContent = bounds.labels.compare;
  $("chart-title").textContent = bounds.labels.chart;
  $("legend-principal").textContent = bounds.labels.principal;
  $("legend-interest").textContent = bounds.labels.interest;
  $("apply").textContent = bounds.labels.apply;
  $("apply").addEventListener("click", apply);
  unavailable = bounds.labels.unavailable;
  $("terms").hidden = false;
  $("apply").hidden = false;
}

function heading(tableId, columns) {
  const head = $(tableId).tHead.insertRow();
  for (const column of columns) head.appendChild(document.createElement("th")).textContent = column;
}

function terms() {
  return { principal: $("amount").value, months: $("months").value, method: $("method").value };
}

function schedule() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 150);
}

function offerMethodsForTerm() {
  const months = Number($("months").value);
  for (const option of $("method").options) {
    option.disabled = Number(option.dataset.minMonths) > months;
  }
  if ($("method").selectedOptions[0]?.disabled) {
    const first = [...$("method").options].find((option) => !option.disabled);
    if (first) $("method").value = first.value;
  }
}

async function refresh() {
  offerMethodsForTerm();
  const method = $("method").selectedOptions[0];
  $("method-sentence").textContent = method ? method.dataset.sentence : "";
  const query = new URLSearchParams(terms());
  const ask = ++asked;
  try {
    const [quote, compared] = await Promise.all([api("quote?" + query), api("compare?" + query)]);
    if (ask !== asked) return;  // a later change is on its way
    showProblem("");
    show(quote.text);
    chart(quote.schedule.installments);
    compare(compared.methods);
    if (!document.body.dataset.ready) performance.mark("calculator-ready");  // the first render
    document.body.dataset.ready = "true";
  } catch (error) {
    if (ask === asked) showProblem(error.message);
  }
}

function show(text) {
  $("loan-terms").textContent = text.terms;
  $("payment").textContent = text.payment;
  $("total-interest").textContent = text.total_interest;
  $("rate").textContent = text.rate;
  const body = $("schedule").tBodies[0];
  body.replaceChildren();
  for (const cells of text.rows) {
    const row = body.insertRow();
    for (const cell of cells) row.insertCell().textContent = cell;
  }
}

// One stacked bar per payment: its principal below, its interest on top.
function chart(installments) {
  const svg = $("chart");
  svg.replaceChildren();
  const [width, height] = [340, 160];
  const largest = Math.max(...installments.map((row) => Number(row.total)), 1);
  const step = width / installments.length;
  const bar = Math.max(step * 0.8, 0.5);
  installments.forEach((row, index) => {
    let top = height;
    for (const part of ["principal", "interest"]) {
      const size = (Number(row[part]) / largest) * (height - 4);
      top -= size;
      const rect = document.createElementNS(SVG, "rect");
      for (const [name, value] of Object.entries({
        x: index * step + (step - bar) / 2, y: top, width: bar, height: size, class: part,
      })) rect.setAttribute(name, String(value));
      rect.dataset.amount = row[part];
      svg.appendChild(rect);
    }
  });
  const axis = document.createElementNS(SVG, "line");
  for (const [name, value] of Object.entries({ x1: 0, y1: height, x2: width, y2: height, class: "axis" })) {
    axis.setAttribute(name, String(value));
  }
  svg.appendChild(axis);
}

function compare(methods) {
  const body = $("compare").tBodies[0];
  body.replaceChildren();
  for (const method of methods) {
    const row = body.insertRow();
    row.dataset.method = method.id;
    row.classList.toggle("chosen", method.id === $("method").value);
    row.classList.toggle("unavailable", method.unavailable);
    const cells = method.unavailable ? [method.name, unavailable, "", ""] :
      [method.name, method.payment, method.total_interest, method.apr];
    for (const cell of cells) row.insertCell().textContent = cell;
  }
}

async function apply() {
  $("apply").disabled = true;
  try {
    const answer = await api("apply", terms());
    $("handed-over").textContent = answer.text;
    $("handed-over").hidden = false;
    if (webApp && webApp.close) webApp.close();
  } catch (error) {
    showProblem(error.message);
  } finally {
    $("apply").disabled = false;
  }
}

async function start() {
  try {
    fill(await api("bounds"));
    await refresh();
  } catch (error) {
    showProblem(error.message);
  }
}

start();
