// The dashboard's page: HTML, its style sheet and its script, served from
// the dashboard's own origin and nothing else (its Content-Security-Policy
// allows no inline script or style and no other source).

#ifndef TRR_TOOLS_DASHBOARD_PAGE_H_
#define TRR_TOOLS_DASHBOARD_PAGE_H_

namespace trr::tools {

inline constexpr char kDashboardPage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>trr — about:networking#dns</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<h1>DNS</h1>
<form id="lookup-form">
  <label>Domain <input id="lookup-name" name="name" required placeholder="www.example.test"></label>
  <select id="lookup-type" name="type">
    <option value="">A and AAAA</option><option>A</option><option>AAAA</option>
    <option>HTTPS</option><option>TXT</option>
  </select>
  <button id="lookup" type="submit">Resolve</button>
  <button id="clear" type="button">Clear DNS Cache</button>
</form>
<div id="result" class="muted"></div>

<h2>DNS cache</h2>
<table id="dns">
  <thead><tr><th>Hostname</th><th>Family</th><th>TRR</th><th>Addresses</th>
  <th>Expires (Seconds)</th><th>Partition</th></tr></thead>
  <tbody id="dns-rows"></tbody>
</table>

<h2>TRR</h2>
<div class="state" id="trr-state"></div>
<h2>DoH servers</h2>
<table id="servers">
  <thead><tr><th>Server</th><th>State</th><th>Confirmation</th>
  <th>Failures in a row</th><th>Next probe</th><th>Queries</th><th>Answers</th>
  <th>Failures</th><th>p50 (ms)</th></tr></thead>
  <tbody id="server-rows"></tbody>
</table>
<h2>Designated resolvers (DDR)</h2>
<div class="state" id="ddr-state"></div>
<table id="designations">
  <thead><tr><th>Designation</th><th>State</th><th>Why</th></tr></thead>
  <tbody id="designation-rows"></tbody>
</table>
<h2>Oblivious DoH</h2>
<div class="state" id="ohttp-state"></div>
<h2>DoH connections</h2>
<table id="connections">
  <thead><tr><th>Protocol</th><th>State</th><th>Address</th><th>In flight</th>
  <th>Stream limit</th><th>Server allows</th><th>Answered</th></tr></thead>
  <tbody id="connection-rows"></tbody>
</table>
<h2>Counters</h2>
<div class="state" id="counters"></div>
<p class="muted">Refreshes every 2 seconds. <span id="updated"></span></p>

<script src="/dashboard.js"></script>
</body>
</html>
)html";

inline constexpr char kDashboardCss[] = R"css(  body { font: 14px system-ui, sans-serif; margin: 1.5em 2em; color: #15141a; }
  h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
  table { border-collapse: collapse; min-width: 60%; }
  th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #e0e0e6; }
  th { font-weight: 600; }
  td.addr { font-family: ui-monospace, monospace; }
  .state { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
  .muted { color: #6b6b75; }
  form { margin: .6em 0; } input, select, button { font: inherit; padding: 2px 6px; }
  #result { font-family: ui-monospace, monospace; white-space: pre-wrap; }
)css";

// Requests that change state go as JSON (`{}`): a web page of another
// origin cannot send that without a CORS preflight, which the dashboard
// never grants.
inline constexpr char kDashboardJs[] = R"js(function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
}
function pairs(el, list) {
  el.replaceChildren();
  for (const [k, v] of list) {
    const a = document.createElement('div'); a.textContent = k;
    const b = document.createElement('div'); b.textContent = v;
    el.append(a, b);
  }
}
async function refresh() {
  const dump = await (await fetch('/api/dump')).json();
  const rows = document.getElementById('dns-rows');
  rows.replaceChildren();
  for (const e of dump.entries) {
    const tr = document.createElement('tr');
    tr.dataset.host = e.hostname;
    cell(tr, e.hostname); cell(tr, e.family); cell(tr, String(e.trr));
    cell(tr, e.addresses.join(', ') || e.flags, 'addr');
    cell(tr, String(e.expires)); cell(tr, e.partition || '-');
    rows.appendChild(tr);
  }
  const t = dump.trr;
  pairs(document.getElementById('trr-state'), [
    ['Mode', t.mode], ['URI', t.uri || '-'], ['Confirmation', t.confirmation_state],
    ['Native resolver', t.native_resolver], ['Captive portal', t.captive_portal],
    ['Canary', t.canary], ['DNS suffixes', t.dns_suffixes.join(', ') || '(none)'],
    ['Blocklist', t.blocklist.map(b => `${b.name} (${b.seconds_left} s)`).join(', ') || '(empty)'],
  ]);
  const servers = document.getElementById('server-rows');
  servers.replaceChildren();
  for (const v of t.servers) {
    const tr = document.createElement('tr');
    tr.dataset.state = v.state;
    cell(tr, v.discovered ? `${v.uri} (DDR)` : v.uri, 'addr');
    cell(tr, v.state); cell(tr, v.confirmation);
    cell(tr, String(v.failures_in_row));
    cell(tr, v.next_probe_ms < 0 ? '-' : `${(v.next_probe_ms / 1000).toFixed(1)} s`);
    for (const n of [v.queries, v.answers, v.failures]) cell(tr, String(n));
    cell(tr, v.p50_ms.toFixed(2));
    servers.appendChild(tr);
  }
  pairs(document.getElementById('ddr-state'), [
    ['State', t.ddr.state], ['Resolver asked', t.ddr.resolver || '-'],
    ['Detail', t.ddr.detail || '-'],
  ]);
  const designations = document.getElementById('designation-rows');
  designations.replaceChildren();
  for (const d of t.ddr.designations) {
    const tr = document.createElement('tr');
    tr.dataset.state = d.state;
    cell(tr, d.uri || '-', 'addr'); cell(tr, d.state); cell(tr, d.reason || '-');
    designations.appendChild(tr);
  }
  const o = t.ohttp;
  pairs(document.getElementById('ohttp-state'), o.enabled ? [
    ['Relay', o.relay], ['Key configuration', o.key_config],
    ['Target', o.target],
    ['Gateway key', o.key_id < 0 ? 'none yet' : `${o.key_id} (${o.suite})`],
    ['Key fetches', `${o.key_fetches} (${o.key_fetch_failures} failed)`],
    ['Sealed', `${o.sealed} (${o.sealed_prepared} prepared ahead)`],
    ['Opened', String(o.opened)], ['Did not open', String(o.open_failures)],
    ['Relay errors', String(o.relay_errors)],
  ] : [['State', 'off']]);
  const connections = document.getElementById('connection-rows');
  connections.replaceChildren();
  for (const c of t.connections) {
    const tr = document.createElement('tr');
    for (const v of [c.protocol, c.state, c.address || '-', c.in_flight,
                     c.stream_limit, c.server_max_streams, c.answered]) {
      cell(tr, String(v));
    }
    connections.appendChild(tr);
  }
  pairs(document.getElementById('counters'),
        Object.entries(t.counters).filter(([, v]) => v !== 0));
  document.getElementById('updated').textContent =
      'Updated ' + new Date().toLocaleTimeString() + '.';
}
const post = {method: 'POST', headers: {'Content-Type': 'application/json'},
              body: '{}'};
document.getElementById('lookup-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = document.getElementById('lookup-name').value;
  const type = document.getElementById('lookup-type').value;
  const params = new URLSearchParams({name, type});
  const r = await (await fetch('/api/resolve?' + params, post)).json();
  document.getElementById('result').textContent = r.ok
      ? `${r.name}: ${r.addresses.join(', ')} (${r.source}, ttl ${r.ttl} s)`
      : `${r.name}: ${r.error} (${r.source})`;
  await refresh();
});
document.getElementById('clear').addEventListener('click', async () => {
  await fetch('/api/clear', post);
  await refresh();
});
refresh();
setInterval(refresh, 2000);
)js";

}  // namespace trr::tools

#endif  // TRR_TOOLS_DASHBOARD_PAGE_H_
