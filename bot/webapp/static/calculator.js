// The loan calculator Mini App: inputs within the bank's bounds, figures from the bot's API.
// Telegram hands the signed init data to telegram-web-app.js; where that script is absent
// (an ordinary browser, the tests) the same data is read from the URL fragment.
"use strict";

const webApp = window.Telegram && window.Telegram.WebApp;
const initData = (webApp && webApp.initData) ||
  new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
const $ = (id) => document.getElementById(id);
let pending = null;
let asked = 0;

async function api(path) {
  const response = await fetch("api/" + path, { headers: { Authorization: "tma " + initData } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || body.title);
  return body;
}

function showProblem(message) {
  $("problem").textContent = message;
  $("problem").hidden = !message;
}

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
  const head = $("schedule").tHead.insertRow();
  for (const column of bounds.labels.columns) {
    head.appendChild(document.createElement("th")).textContent = column;
  }
  $("terms").hidden = false;
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
  const query = new URLSearchParams({
    principal: $("amount").value, months: $("months").value, method: $("method").value,
  });
  const ask = ++asked;
  try {
    const quote = await api("quote?" + query);
    if (ask !== asked) return;  // a later change is on its way
    showProblem("");
    show(quote.text);
  } catch (error) {
    if (ask === asked) showProblem(error.message);
  }
}

function show(text) {
  $("payment").textContent = text.payment;
  $("total-interest").textContent = text.total_interest;
  $("rate").textContent = text.rate;
  const body = $("schedule").tBodies[0];
  body.replaceChildren();
  for (const cells of text.rows) {
    const row = body.insertRow();
    for (const cell of cells) row.insertCell().textContent = cell;
  }
  document.body.dataset.ready = "true";
}

async function start() {
  if (webApp) webApp.ready();
  try {
    fill(await api("bounds"));
    await refresh();
  } catch (error) {
    showProblem(error.message);
  }
}

start();
