// The dashboard and login pages: self-contained HTML (no CDN: the page works offline and behind
// strict egress rules). The dashboard polls the JSON API every 2 s and re-renders.

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; background: Canvas; color: CanvasText; }
  header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.25rem; background: #0b5394; color: #fff; }
  header h1 { font-size: 1.15rem; margin: 0; flex: 1; }
  header a { color: #fff; }
  main { padding: 1rem 1.25rem; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); }
  section { border: 1px solid #8884; border-radius: .5rem; padding: .75rem 1rem; overflow-x: auto; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  table { border-collapse: collapse; width: 100%; font-size: .875rem; }
  th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #8883; white-space: nowrap; }
  .pill { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; font-weight: 600; }
  .ok { background: #2e7d32; color: #fff; } .bad { background: #c62828; color: #fff; }
  .stats { display: flex; gap: 1.5rem; flex-wrap: wrap; } .stats div { font-size: .8rem; } .stats b { display: block; font-size: 1.4rem; }
  pre { font-size: .8rem; margin: 0; }
  .muted { opacity: .7; font-size: .8rem; }
`;

/** The dashboard page. */
export function dashboardHtml(options: { readonly authEnabled: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BYOVA Gateway</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>BYOVA Gateway</h1>
  <span id="status" class="pill">loading</span>
  <span id="updated" class="muted"></span>
  <span id="user" class="muted"></span>
  ${options.authEnabled ? '<a href="/logout">Log out</a>' : ''}
</header>
<main>
  <section>
    <h2>Status</h2>
    <div class="stats">
      <div><b id="active-count">-</b>active conversations</div>
      <div><b id="total-count">-</b>conversations since start</div>
      <div><b id="agent-count">-</b>virtual agents</div>
      <div><b id="uptime">-</b>uptime</div>
    </div>
    <p class="muted" id="grpc-health"></p>
  </section>
  <section>
    <h2>Virtual agents</h2>
    <table id="agents"><thead><tr><th>id</th><th>connector</th><th>default</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide">
    <h2>Active conversations</h2>
    <table id="conversations"><thead><tr><th>conversation</th><th>agent</th><th>org</th><th>open streams</th><th>turns</th><th>welcome sent</th><th>started</th><th>idle (s)</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide">
    <h2>Connection history</h2>
    <table id="events"><thead><tr><th>time</th><th>event</th><th>conversation</th><th>agent</th><th>details</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide">
    <h2>Configuration</h2>
    <pre id="config"></pre>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function cell(text) { const td = document.createElement("td"); td.textContent = text == null ? "" : String(text); return td; }
function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows.map((cells) => { const tr = document.createElement("tr"); tr.append(...cells.map(cell)); return tr; }));
}
function duration(s) { s = Math.floor(s); const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60); return (h ? h + "h " : "") + (m ? m + "m " : "") + (s % 60) + "s"; }
async function getJson(path) {
  const r = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  if (r.status === 401) { location.href = "/login"; throw new Error("login required"); }
  if (!r.ok) throw new Error(path + " " + r.status);
  return r.json();
}
async function refresh() {
  try {
    const [status, connections, config] = await Promise.all([getJson("/api/status"), getJson("/api/connections"), getJson("/api/config")]);
    const healthy = status.health.overall_healthy;
    $("status").textContent = healthy ? "SERVING" : status.health.grpc_status;
    $("status").className = "pill " + (healthy ? "ok" : "bad");
    $("active-count").textContent = connections.total_active;
    $("total-count").textContent = status.total_sessions;
    $("agent-count").textContent = status.total_agents;
    $("uptime").textContent = duration(status.uptime_seconds);
    $("grpc-health").textContent = "gRPC health: " + status.health.grpc_status + " (" + status.health.serving_services + "/" + status.health.total_services + " services serving)";
    fill("agents", config.connectors.flatMap((c) => c.agents.map((a) => [a, c.name + " (" + c.type + ")", a === status.default_agent ? "yes" : ""])));
    fill("conversations", connections.active_conversations.map((c) => [c.conversation_id, c.agent_id, c.customer_org_id, c.rpc_sessions, c.turns, c.welcome_sent ? "yes" : "no", new Date(c.started_at * 1000).toLocaleTimeString(), Math.round(c.idle_seconds)]));
    fill("events", connections.connection_events.slice().reverse().map((e) => {
      const { event_type, conversation_id, agent_id, timestamp, ...rest } = e;
      return [new Date(timestamp * 1000).toLocaleTimeString(), event_type, conversation_id, agent_id, Object.entries(rest).map(([k, v]) => k + "=" + v).join(" ")];
    }));
    $("config").textContent = JSON.stringify(config, null, 2);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    $("status").textContent = "unreachable";
    $("status").className = "pill bad";
  }
}
fetch("/auth/status", { credentials: "same-origin" }).then((r) => r.json()).then((s) => {
  if (s.user_name || s.user_email) $("user").textContent = [s.user_name, s.user_email, s.org_id].filter(Boolean).join(" · ");
}, () => undefined);
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The login page: the Webex button and/or the access-token form. */
export function loginHtml(
  error: string | undefined,
  options: { readonly webex: boolean; readonly tokenForm: boolean },
): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>BYOVA Gateway - log in</title><style>${STYLE} form, .login { max-width: 24rem; margin: 2rem auto; display: grid; gap: .75rem; } input, button, .button { font: inherit; padding: .4rem; } .button { text-align: center; background: #0b5394; color: #fff; border-radius: .3rem; text-decoration: none; }</style></head>
<body>
<div class="login">
  <h1>BYOVA Gateway</h1>
  ${error !== undefined ? `<p class="bad pill" id="login-error">${escapeHtml(error)}</p>` : ''}
  ${options.webex ? '<a class="button" id="webex-login" href="/login/webex">Login with Webex</a>' : ''}
</div>
${
  options.tokenForm
    ? `<form method="post" action="/login">
  <label>Access token <input type="password" name="token" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>`
    : ''
}
</body>
</html>`;
}
