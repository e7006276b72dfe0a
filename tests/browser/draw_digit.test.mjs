// End-to-end test of the page mnist-serve shows at GET /, in a real browser (Debian's
// Chromium driven by playwright-core): start the server, draw digits with real pointer events,
// classify a file chosen with the file input and one dropped on the canvas, and take a
// screenshot. It tests the page and its contract with the server, and that what people draw
// reaches the model as a digit it can read: every digit 0-9 drawn in three hands (big and
// upright with thin lines, small and slanted right, slanted left with heavy doubled lines), each
// read right and sure (probability at least 0.8) by a model of the fast recipe.
//
//   node tests/browser/draw_digit.test.mjs --serve build/app/mnist-serve --model models/mnist.pt \
//     --digit-png some-mnist-digit.png --digit-label 7 --screenshot build/browser/page.png
//
// Each option can also come from the environment (MNIST_SERVE, MNIST_MODEL, MNIST_DIGIT_PNG,
// MNIST_DIGIT_LABEL, MNIST_SCREENSHOT), for runners that do not pass arguments through.
// It never downloads a browser: CHROMIUM (default /usr/bin/chromium) must be installed.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

// ---------------------------------------------------------------- options
const kChromiumFlags = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// Limits on waiting for events, not expected durations: each is many times what an idle machine
// takes (start 1 s, exit on SIGTERM under 0.1 s, an answer 10-50 ms), so that a busy machine
// makes the test slower, never red; only a server that hangs reaches one.
const kServerStartTimeoutMs = 60_000;
const kServerExitTimeoutMs = 30_000;
const kAnswerTimeoutMs = 60_000;
const kWholeTestTimeoutMs = 540_000;  // under ctest's TIMEOUT of 600 s

function readOptions() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: false,
    options: {
      serve: { type: 'string' },
      model: { type: 'string' },
      'digit-png': { type: 'string' },
      'digit-label': { type: 'string' },
      screenshot: { type: 'string' },
    },
  });
  const env = process.env;
  return {
    serve: values.serve ?? env.MNIST_SERVE,
    model: values.model ?? env.MNIST_MODEL,
    digitPng: values['digit-png'] ?? env.MNIST_DIGIT_PNG,
    digitLabel: values['digit-label'] ?? env.MNIST_DIGIT_LABEL,
    screenshot: values.screenshot ?? env.MNIST_SCREENSHOT
      ?? path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts', 'draw_digit.png'),
    chromium: env.CHROMIUM ?? '/usr/bin/chromium',
  };
}

function checkOptions(options) {
  const usage = 'Usage: node draw_digit.test.mjs --serve <mnist-serve> --model <model.pt> '
    + '--digit-png <mnist digit.png> --digit-label <0-9> [--screenshot <out.png>]';
  const need = [
    ['serve', '--serve', 'MNIST_SERVE', 'the mnist-serve binary (build it first)'],
    ['model', '--model', 'MNIST_MODEL', 'a TorchScript model (scripts/run.sh trains one)'],
    ['digitPng', '--digit-png', 'MNIST_DIGIT_PNG', 'a PNG of an MNIST test digit'],
  ];
  for (const [key, flag, envName, what] of need) {
    if (!options[key]) throw new Error(`${flag} (or ${envName}): missing; give ${what}. ${usage}`);
    if (!fs.existsSync(options[key])) throw new Error(`${flag} ${options[key]}: no such file; give ${what}.`);
  }
  if (!/^[0-9]$/.test(options.digitLabel ?? '')) {
    throw new Error(`--digit-label ${options.digitLabel ?? '(missing)'}: must be the digit 0-9 that --digit-png shows. ${usage}`);
  }
  if (!fs.existsSync(options.chromium)) {
    throw new Error(`${options.chromium}: no such file; install Debian's Chromium `
      + '(apt-get install --no-install-recommends chromium) or set CHROMIUM.');
  }
}

// ---------------------------------------------------------------- server process
function startServer(options) {
  const child = spawn(options.serve, ['--port', '0', '--model', options.model], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (data) => { output += data; });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const url = new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(
      `${options.serve}: printed no "listening on http://127.0.0.1:PORT" line within `
      + `${kServerStartTimeoutMs} ms. Output so far:\n${output}${stdout}`)), kServerStartTimeoutMs);
    child.stdout.on('data', (data) => {
      stdout += data;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('error', (err) => { clearTimeout(timer); reject(new Error(`${options.serve}: cannot start: ${err.message}`)); });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${options.serve} exited (code ${code}, signal ${signal}) before listening:\n${output}${stdout}`));
    });
  });
  return { child, url, exited, output: () => output };
}

async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), kServerExitTimeoutMs); });
  const status = await Promise.race([server.exited, timeout]);
  clearTimeout(timer);
  if (status === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  return status;
}

// ---------------------------------------------------------------- page helpers
// The page marks each request it sends (#result[data-request]) and the request whose answer
// it shows (#result[data-answered]); an answer is in when both agree on a newer request.
async function requestCount(page) {
  return Number(await page.getAttribute('#result', 'data-request'));
}

async function waitForAnswer(page, sentBefore) {
  await page.waitForFunction((before) => {
    const result = document.getElementById('result');
    const sent = Number(result.dataset.request);
    return sent > before && Number(result.dataset.answered) === sent;
  }, sentBefore, { timeout: kAnswerTimeoutMs });
  const error = await page.locator('#error').textContent();
  assert.equal(await page.locator('#error').isVisible(), false, `the server answered with an error: ${error}`);
}

// Draws one stroke through points given as fractions of the canvas side.
async function drawStroke(page, points) {
  const box = await page.locator('#canvas').boundingBox();
  const at = ([fx, fy]) => [box.x + fx * box.width, box.y + fy * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const point of points.slice(1)) await page.mouse.move(...at(point), { steps: 2 });
  await page.mouse.up();
}

function line(from, to, count = 20) {
  return Array.from({ length: count + 1 }, (_, i) => [
    from[0] + (to[0] - from[0]) * i / count,
    from[1] + (to[1] - from[1]) * i / count,
  ]);
}

function arc(cx, cy, rx, ry, fromDegrees, toDegrees, count = 30) {
  return Array.from({ length: count + 1 }, (_, i) => {
    const angle = (fromDegrees + (toDegrees - fromDegrees) * i / count) * Math.PI / 180;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];  // 90 degrees points down
  });
}

// From the top, clockwise on the screen, back to the top.
function ellipse(cx, cy, rx, ry, count = 40) {
  return arc(cx, cy, rx, ry, -90, 270, count);
}

// Draws the strokes one by one, as a person would (each stroke is answered before the next),
// and returns the digit shown after the last.
async function drawDigit(page, strokes) {
  for (const stroke of strokes) {
    const sentBefore = await requestCount(page);
    await drawStroke(page, stroke);
    await waitForAnswer(page, sentBefore);
  }
  return shownDigit(page);
}

async function shownDigit(page) {
  assert.equal(await page.locator('#digit').isVisible(), true, '#digit is not shown');
  return (await page.locator('#digit').textContent()).trim();
}

async function readBars(page) {
  return page.$$eval('#bars .bar', (bars) => bars.map((bar) => ({
    digit: Number(bar.dataset.digit),
    probability: Number(bar.dataset.probability),
    top: bar.classList.contains('top'),
  })));
}

async function clearPage(page) {
  await page.click('#clear');
  assert.equal(await page.locator('#hint').isVisible(), true, 'the hint is not back after Clear');
  assert.equal(await page.locator('#digit').isVisible(), false, 'a digit is still shown after Clear');
}

async function canvasHasInk(page) {
  return page.$eval('#canvas', (canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 60) return true;
    return false;
  });
}

const kStrokes = {
  1: [line([0.5, 0.15], [0.5, 0.85])],
  0: [ellipse(0.5, 0.5, 0.26, 0.36)],
  7: [line([0.25, 0.2], [0.75, 0.2]), line([0.75, 0.2], [0.42, 0.85])],
};

// ---------------------------------------------------------------- hands
// The digits 0-9 as people draw them, each a list of strokes in the digit's own box: x from 0
// (left) to 1 (right), y from 0 (top) to 1 (bottom).
const kDigitShapes = {
  0: [ellipse(0.5, 0.5, 0.45, 0.5)],
  1: [line([0.55, 0], [0.45, 1])],
  2: [[...arc(0.5, 0.27, 0.42, 0.27, 190, 380), [0.05, 1], [0.95, 1]]],
  3: [[...arc(0.5, 0.25, 0.38, 0.25, 200, 450), ...arc(0.5, 0.75, 0.42, 0.25, 270, 520)]],
  4: [[[0.6, 0], [0.05, 0.65], [1, 0.65]], line([0.72, 0.3], [0.72, 1])],
  5: [[[0.2, 0], [0.17, 0.45], ...arc(0.5, 0.7, 0.42, 0.3, 225, 500)], line([0.2, 0], [0.9, 0])],
  6: [[[0.75, 0], [0.35, 0.28], ...arc(0.5, 0.72, 0.4, 0.28, 180, -180, 40)]],
  7: [[[0.05, 0], [0.95, 0], [0.4, 1]]],
  8: [[...arc(0.5, 0.24, 0.33, 0.24, 90, -270, 40), ...arc(0.5, 0.74, 0.42, 0.26, -90, 270, 40)]],
  9: [[...arc(0.47, 0.27, 0.38, 0.27, 0, -360, 40), [0.8, 1]]],
};

// How a hand places and shapes its digits on the canvas (fractions of its side): the box's
// centre and height (its width is 0.6 of the height), the slant (shear: the top moves right by
// slant times the height), and whether each stroke is gone over twice, slightly apart, as a
// heavy hand thickens its lines.
const kHands = {
  'big, upright, thin': { cx: 0.5, cy: 0.5, height: 0.78, slant: 0, doubled: false },
  'small, slanted right': { cx: 0.45, cy: 0.55, height: 0.4, slant: 0.3, doubled: false },
  'middle-sized, slanted left, heavy': { cx: 0.5, cy: 0.48, height: 0.6, slant: -0.2, doubled: true },
};
const kHeavyOffset = 0.025;  // of the canvas side

function handStrokes(shape, hand) {
  const width = 0.6 * hand.height;
  const place = ([x, y]) => [
    hand.cx + (x - 0.5) * width + hand.slant * (0.5 - y) * hand.height,
    hand.cy + (y - 0.5) * hand.height,
  ];
  const strokes = shape.map((stroke) => stroke.map(place));
  if (!hand.doubled) return strokes;
  return strokes.flatMap((stroke) => [stroke, stroke.map(([x, y]) => [x + kHeavyOffset, y + kHeavyOffset])]);
}

// ---------------------------------------------------------------- the test
const options = readOptions();

describe('mnist-serve page in Chromium', { timeout: kWholeTestTimeoutMs }, () => {
  let server;
  let browser;
  let page;
  let userDataDir;
  const pageErrors = [];
  const dialogs = [];

  before(async () => {
    checkOptions(options);
    server = startServer(options);
    const url = await server.url;
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-browser-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: options.chromium,
      args: kChromiumFlags,
      viewport: { width: 900, height: 820 },
      deviceScaleFactor: 1,
    });
    page = browser.pages()[0] ?? await browser.newPage();
    page.setDefaultTimeout(kAnswerTimeoutMs);  // every wait and action, not only the answers'
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (dialog) => { dialogs.push(dialog.message()); dialog.dismiss().catch(() => {}); });
    await page.goto(url + '/');
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    if (!server) return;
    const status = await stopServer(server);
    assert.ok(status, `the server did not exit within ${kServerExitTimeoutMs} ms of SIGTERM`);
    assert.ok(status.code === 0 || status.signal === 'SIGTERM',
      `the server exited with code ${status.code}, signal ${status.signal} on SIGTERM:\n${server.output()}`);
  });

  it('shows the hint and no digit on load, and the model card', async () => {
    assert.equal(await page.locator('#hint').isVisible(), true, '#hint is not visible');
    assert.match(await page.locator('#hint').textContent(), /draw a digit/i);
    assert.equal(await page.locator('#digit').isVisible(), false, 'a digit is shown before anything is drawn');
    assert.equal(await page.locator('#bars .bar').count(), 10);
    await page.waitForFunction(() => !/loading/i.test(document.getElementById('model').textContent));
    assert.match(await page.locator('#model').textContent(), /Model: \S/);
  });

  it('recognises a drawn 1 and shows all ten probabilities and the 28x28 input', async () => {
    assert.equal(await drawDigit(page, kStrokes[1]), '1');
    const bars = await readBars(page);
    assert.deepEqual(bars.map((bar) => bar.digit), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const sum = bars.reduce((total, bar) => total + bar.probability, 0);
    assert.ok(Math.abs(sum - 1) < 0.01, `the bars' probabilities add up to ${sum}, not 1`);
    assert.deepEqual(bars.filter((bar) => bar.top).map((bar) => bar.digit), [1]);
    const shown = Number(await page.getAttribute('#probability', 'data-probability'));
    assert.equal(shown, bars[1].probability);
    assert.match(await page.locator('#probability').textContent(), /%$/);
    await page.waitForFunction(() => {
      const img = document.getElementById('preview');
      return img.complete && img.naturalWidth > 0;
    });
    const size = await page.$eval('#preview', (img) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, [28, 28]);
    assert.equal(await page.locator('#preview').isVisible(), true);
  });

  it('clears back to the hint', async () => {
    await clearPage(page);
    assert.equal(await canvasHasInk(page), false, 'the canvas still has ink after Clear');
    assert.equal(await page.locator('#preview').isVisible(), false);
  });

  it('recognises a drawn 0', async () => {
    assert.equal(await drawDigit(page, kStrokes[0]), '0');
    await clearPage(page);
  });

  it('recognises a 7 drawn as two strokes', async () => {
    assert.equal(await drawDigit(page, kStrokes[7]), '7');
    await clearPage(page);
  });

  it('reads every digit 0-9 in three hands right, and sure of it (probability at least 0.8)', async () => {
    const misread = [];
    for (const [handName, hand] of Object.entries(kHands)) {
      for (const [digit, shape] of Object.entries(kDigitShapes)) {
        const shown = await drawDigit(page, handStrokes(shape, hand));
        const probability = Number(await page.getAttribute('#probability', 'data-probability'));
        if (shown !== digit || !(probability >= 0.8)) {
          misread.push(`${digit} in the ${handName} hand: shown "${shown}" at ${probability.toFixed(3)}`);
        }
        await clearPage(page);
      }
    }
    assert.deepEqual(misread, [], `misread or not sure:\n${misread.join('\n')}`);
  });

  it('classifies a file chosen with the file input and shows it on the canvas', async () => {
    const sentBefore = await requestCount(page);
    await page.setInputFiles('#file', options.digitPng);
    await waitForAnswer(page, sentBefore);
    assert.equal(await shownDigit(page), options.digitLabel);
    await page.waitForFunction(() => {
      const c = document.getElementById('canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 20) return true;
      return false;
    });
    assert.equal(await page.locator('#hint').isVisible(), false);
    await clearPage(page);
  });

  it('classifies a file dropped on the canvas', async () => {
    const bytes = fs.readFileSync(options.digitPng).toString('base64');
    const dataTransfer = await page.evaluateHandle(({ base64, name }) => {
      const raw = atob(base64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i += 1) data[i] = raw.charCodeAt(i);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type: 'image/png' }));
      return transfer;
    }, { base64: bytes, name: path.basename(options.digitPng) });
    const sentBefore = await requestCount(page);
    await page.dispatchEvent('#canvas', 'dragenter', { dataTransfer });
    await page.dispatchEvent('#canvas', 'dragover', { dataTransfer });
    await page.dispatchEvent('#canvas', 'drop', { dataTransfer });
    await waitForAnswer(page, sentBefore);
    assert.equal(await shownDigit(page), options.digitLabel);
    assert.equal(await canvasHasInk(page), true, 'the dropped image is not drawn on the canvas');
    await clearPage(page);
  });

  it('shows a server error in the error line, not in a dialog', async () => {
    const sentBefore = await requestCount(page);
    await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.waitForFunction((before) => {
      const result = document.getElementById('result');
      return Number(result.dataset.request) > before
        && result.dataset.answered === result.dataset.request;
    }, sentBefore, { timeout: kAnswerTimeoutMs });
    assert.equal(await page.locator('#error').isVisible(), true, 'no error line for a text file');
    assert.ok((await page.locator('#error').textContent()).trim().length > 0);
    assert.equal(await page.locator('#digit').isVisible(), false);
    await clearPage(page);
    assert.equal(await page.locator('#error').isVisible(), false, 'the error line stays after Clear');
  });

  it('fits a phone-sized viewport without sideways scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      canvas: document.getElementById('canvas').getBoundingClientRect().width,
    }));
    assert.ok(widths.page <= 360, `the page is ${widths.page} px wide on a 360 px screen`);
    assert.ok(widths.canvas >= 240, `the canvas shrinks to ${widths.canvas} px`);
    await page.setViewportSize({ width: 900, height: 820 });
  });

  it('saves a screenshot of a drawn digit and its answer', async () => {
    assert.equal(await drawDigit(page, kStrokes[7]), '7');
    fs.mkdirSync(path.dirname(options.screenshot), { recursive: true });
    await page.screenshot({ path: options.screenshot, fullPage: true, animations: 'disabled' });
    assert.ok(fs.statSync(options.screenshot).size > 0);
  });

  it('raised no script error and opened no dialog', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(dialogs, []);
  });
});
