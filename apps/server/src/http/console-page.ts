// The console placeholder served at `/` until the React console lands: log in, list hosts, recent events.
// Talks only to this server's REST API with the session cookie; renders all data as text, never as HTML.

export const consolePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vigil console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#0f172a;color:#e2e8f0}
header{padding:12px 20px;background:#1e293b;display:flex;gap:16px;align-items:center}
h1{font-size:18px;margin:0} main{padding:20px} table{border-collapse:collapse;width:100%;margin-top:12px}
td,th{border-bottom:1px solid #334155;padding:6px 8px;text-align:left;font-size:13px}
.online{color:#4ade80}.offline{color:#f87171}.revoked{color:#94a3b8} input,button{padding:6px;margin:4px}
#login{max-width:320px}
</style></head>
<body><header><h1>Vigil</h1><span id="who"></span></header><main>
<form id="login" hidden><h2>Log in</h2><input id="u" placeholder="user" autocomplete="username"><input id="p" type="password" placeholder="password" autocomplete="current-password"><button>Log in</button><div id="err"></div></form>
<section id="app" hidden><h2>Hosts</h2><table id="hosts"><thead><tr><th>Host</th><th>State</th><th>Last seen</th><th>Version</th><th>Collected</th><th>Sent</th><th>Dropped</th></tr></thead><tbody></tbody></table>
<h2>Recent events</h2><table id="events"><thead><tr><th>Time</th><th>Host</th><th>Action</th><th>Command line</th><th>User</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
const $ = (s) => document.querySelector(s);
function row(cells, cls) { const tr = document.createElement('tr'); cells.forEach((c, i) => { const td = document.createElement('td'); td.textContent = c == null ? '' : String(c); if (i === 1 && cls) td.className = cls; tr.append(td); }); return tr; }
async function api(path, init) { const r = await fetch(path, { credentials: 'same-origin', ...init }); if (r.status === 401) { showLogin(); throw new Error('login'); } return r.json(); }
function showLogin() { $('#login').hidden = false; $('#app').hidden = true; }
async function refresh() {
  const me = await api('/api/v1/auth/me'); $('#who').textContent = me.name + ' (' + me.role + ')';
  $('#login').hidden = true; $('#app').hidden = false;
  const hosts = await api('/api/v1/hosts'); const hb = $('#hosts tbody'); hb.replaceChildren();
  const eb = $('#events tbody'); eb.replaceChildren();
  for (const h of hosts) {
    hb.append(row([h.hostname, h.state, h.last_seen, h.version, h.counters?.collected, h.counters?.sent, h.counters?.dropped], h.state));
    const ev = await api('/api/v1/hosts/' + encodeURIComponent(h.id) + '/events?limit=20');
    for (const e of ev.events) eb.append(row([e['@timestamp'], h.hostname, e['event.category'] + '/' + e['event.action'], e['process.command_line'], e['user.name']]));
  }
}
$('#login').addEventListener('submit', async (e) => { e.preventDefault();
  const r = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: $('#u').value, password: $('#p').value }) });
  if (!r.ok) { $('#err').textContent = (await r.json()).error.message; return; } refresh(); });
refresh().catch(() => {}); setInterval(() => refresh().catch(() => {}), 5000);
</script></body></html>`;
