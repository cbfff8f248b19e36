// The dashboard in real headless Chromium (Debian's, driven by
// playwright-core): load the page, run a lookup, see its row appear in the
// DNS table; a page of another origin posts a form and a fetch at the
// dashboard, and the row stays; the page's own button clears the cache
// and the row goes. The page runs under its Content-Security-Policy (no
// inline script): a violation would stop it.
//   node dashboard_test.mjs TRR_BINARY TRR_TEST_UNBOUND_BINARY
import {spawn} from 'node:child_process';
import {createServer} from 'node:http';
import {createInterface} from 'node:readline';
import {chromium} from 'playwright-core';

const [trr, unboundTool] = process.argv.slice(2);

// Resolves with the first line of `child`'s stdout that matches `pattern`.
function waitForLine(child, pattern, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} in 20 s`)), 20000);
    const lines = createInterface({input: child.stdout});
    const seen = [];
    lines.on('line', (line) => {
      seen.push(line);
      const match = line.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({match, seen});
      }
    });
    child.on('exit', (code) => reject(new Error(`${what}: exited with ${code}`)));
  });
}

const unbound = spawn(unboundTool, [], {stdio: ['pipe', 'pipe', 'inherit']});
let server;
let browser;
try {
  const {seen} = await waitForLine(unbound, /^PID=/, 'unbound');
  const env = Object.fromEntries(seen.map((l) => l.split('=', 2)));
  server = spawn(trr, [
    'serve', '--port', '0',
    '--pref', 'network.trr.mode=3',
    '--pref', `network.trr.uri=https://doh.test:${env.DOH_PORT}/dns-query`,
    '--pref', 'network.trr.bootstrapAddr=127.0.0.1',
    '--pref', `network.trr.ca_file=${env.CA_FILE}`,
  ], {stdio: ['ignore', 'pipe', 'inherit']});
  const {match} = await waitForLine(server, /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/,
                                    'dashboard');
  const url = match[1];

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update',
           '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('#trr-state >> text=Confirmation');
  const row = 'tr[data-host="www.example.test"]';
  if (await page.locator(row).count() !== 0) throw new Error('row before lookup');

  await page.fill('#lookup-name', 'www.example.test');
  await page.selectOption('#lookup-type', 'A');
  await page.click('#lookup');
  await page.waitForSelector(row, {timeout: 10000});
  const cells = await page.locator(`${row} td`).allTextContents();
  if (cells[1] !== 'ipv4' || cells[2] !== 'true' || cells[3] !== '192.0.2.1') {
    throw new Error(`unexpected row: ${JSON.stringify(cells)}`);
  }
  const result = await page.textContent('#result');
  if (!result.includes('192.0.2.1 (trr')) throw new Error(`result: ${result}`);
  // The DoH server that answered, with its answer counted.
  const serverRow = '#server-rows tr[data-state="available"]';
  await page.waitForSelector(serverRow, {timeout: 10000});
  await page.waitForFunction(
      (sel) => document.querySelector(sel).children[6].textContent === '1',
      serverRow, {timeout: 10000});
  const serverCells = await page.locator(`${serverRow} td`).allTextContents();
  if (!serverCells[0].includes(`doh.test:${env.DOH_PORT}/dns-query`)) {
    throw new Error(`unexpected server row: ${JSON.stringify(serverCells)}`);
  }

  // Discovery of designated resolvers: off by default, and the page says why.
  await page.waitForSelector('#ddr-state >> text=network.trr.ddr.enabled is off',
                             {timeout: 10000});
  // Oblivious DoH: off by default, and the page says so.
  await page.waitForFunction(
      () => document.getElementById('ohttp-state').textContent === 'Stateoff',
      null, {timeout: 10000});

  // Another origin's page (CSRF): a form post and a fetch at the dashboard.
  const evil = createServer((req, res) => {
    res.writeHead(200, {'Content-Type': 'text/html'});
    res.end(`<!DOCTYPE html><form id="f" method="POST" action="${url}api/clear">
      <input name="a" value="b"></form>
      <script>
        fetch('${url}api/clear', {method: 'POST', mode: 'no-cors', body: 'x'})
          .finally(() => document.getElementById('f').submit());
      </script>`);
  });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const attacker = await browser.newPage();
  const refused = attacker.waitForResponse((r) => r.url().endsWith('/api/clear') &&
                                           r.request().resourceType() === 'document');
  await attacker.goto(`http://localhost:${evil.address().port}/`);
  const status = (await refused).status();
  if (status !== 403 && status !== 415) throw new Error(`cross-site form: ${status}`);
  evil.close();
  await page.reload();
  await page.waitForSelector(row, {timeout: 10000});

  await page.click('#clear');
  await page.waitForSelector(row, {state: 'detached', timeout: 10000});
  console.log('dashboard: lookup row appeared, survived a cross-site form and ' +
              'fetch, and cleared in Chromium');
} finally {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  unbound.kill('SIGTERM');
}
