// What both Mini Apps share: the signed init data, the API, and Telegram's theme.
// Telegram hands the init data and theme to telegram-web-app.js; where that script is absent
// (an ordinary browser, `demo --web`, the tests) the same data is read from the URL fragment,
// as Telegram passes it there too.
"use strict";

const webApp = window.Telegram && window.Telegram.WebApp;
const launch = new URLSearchParams(location.hash.slice(1));
const initData = (webApp && webApp.initData) || launch.get("tgWebAppData") || "";
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const headers = { Authorization: "tma " + initData };
  const options = body === undefined ? { headers } :
    { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch("api/" + path, options);
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.detail || answer.title);
  return answer;
}

function showProblem(message) {
  $("problem").textContent = message;
  $("problem").hidden = !message;
}

// telegram-web-app.js sets --tg-theme-* itself; without it, the fragment's theme is applied.
function applyTheme() {
  if (webApp && webApp.initData) return;
  let theme = {};
  try { theme = JSON.parse(launch.get("tgWebAppThemeParams") || "{}"); } catch { return; }
  for (const [name, value] of Object.entries(theme)) {
    if (/^[a-z_]+$/.test(name) && /^#[0-9a-fA-F]{3,8}$/.test(String(value))) {
      document.documentElement.style.setProperty("--tg-theme-" + name.replaceAll("_", "-"), value);
    }
  }
}

applyTheme();
if (webApp) webApp.ready();
