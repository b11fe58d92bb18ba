#!/usr/bin/env node
// Sends Matomo tracking requests to the gateway with the `matomo-tracker` npm client, used the
// way its README shows: one page view and one event with track(), three hits with trackBulk().
//
//   node send_hits.js --base http://127.0.0.1:8000 --visitor 0123456789abcdef \
//       --ua "Mozilla/5.0 ..." [--token <gw_consent token>] [--site 1] [--page-url https://...]
//       [--iso-time]
//
// --iso-time adds `cdt` to every hit as JavaScript writes a time (Date#toISOString(), e.g.
// 2026-01-01T12:00:00.000Z), the form the client's README uses in its trackBulk() example.
//
// The client offers no completion callback for track(), so every HTTP exchange is observed
// through Node's built-in `diagnostics_channel` hooks (the client itself stays untouched).
// When all requests have answered or failed, a JSON summary goes to stdout; the exit status is
// 1 if the client reported any error (its 'error' event: a non-2xx/30x status or a network
// error), if a request failed, or if not everything finished within the time limit.

'use strict';

const diagnostics = require('node:diagnostics_channel');
const http = require('node:http');
const { parseArgs } = require('node:util');

const MatomoTracker = require('matomo-tracker');

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    token: { type: 'string' },
    visitor: { type: 'string', default: '0123456789abcdef' },
    ua: { type: 'string' },
    site: { type: 'string', default: '1' },
    'page-url': { type: 'string', default: 'https://www.example.fi/tuotteet/' },
    'timeout-ms': { type: 'string', default: '20000' },
    'iso-time': { type: 'boolean', default: false },
  },
});

if (!args.base || !args.ua) {
  process.stderr.write('usage: send_hits.js --base URL --ua USER_AGENT [--token TOKEN] ...\n');
  process.exit(2);
}

const EXPECTED_REQUESTS = 3; // two track() calls and one trackBulk()
const summary = { requests: [], errors: [], bulk_response: null };
const pending = new Map(); // ClientRequest -> its entry in summary.requests
let bulkAnswered = false;
let finished = false;

function pathOnly(path) {
  return path.split('?')[0];
}

diagnostics.subscribe('http.client.request.start', ({ request }) => {
  const entry = {
    method: request.method,
    path: pathOnly(request.path),
    query_names: [...new URLSearchParams(request.path.split('?')[1] || '').keys()],
    content_type: request.getHeader('content-type') || null,
    user_agent_header: request.getHeader('user-agent') || null,
    status: null,
    response_content_type: null,
    error: null,
  };
  summary.requests.push(entry);
  pending.set(request, entry);
  // The client listens for 'error' too; this listener only records which request failed.
  request.on('error', (err) => {
    entry.error = err.message;
    pending.delete(request);
    maybeFinish();
  });
});

diagnostics.subscribe('http.client.response.finish', ({ request, response }) => {
  const entry = pending.get(request);
  if (!entry) return;
  entry.status = response.statusCode;
  entry.response_content_type = response.headers['content-type'] || null;
  pending.delete(request);
  maybeFinish();
});

function maybeFinish() {
  if (finished || summary.requests.length < EXPECTED_REQUESTS || pending.size > 0) return;
  if (!bulkAnswered && !summary.requests.some((entry) => entry.error)) return;
  // Let the client's own response handlers (which emit its 'error' event) run first.
  setImmediate(finish);
}

function finish(reason) {
  if (finished) return;
  finished = true;
  clearTimeout(deadline);
  if (reason) summary.errors.push(reason);
  const failed =
    summary.errors.length > 0 || summary.requests.some((entry) => entry.error || !entry.status);
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  process.exitCode = failed ? 1 : 0;
  // track() never reads the response body, so its keep-alive sockets are never handed back to
  // the agent; close them instead of waiting for the server to time them out.
  http.globalAgent.destroy();
}

const deadline = setTimeout(() => {
  finish(`timed out with ${pending.size} request(s) unanswered`);
}, Number(args['timeout-ms']));

const tracker = new MatomoTracker(Number(args.site), `${args.base}/matomo.php`);
tracker.on('error', (err) => {
  summary.errors.push(err);
});

// Parameters every hit carries: the visitor, the browser's user agent (a server-side client
// has none of its own) and, when given, the consent token.
const common = { _id: args.visitor, ua: args.ua, lang: 'fi-FI' };
if (args.token) common.gw_consent = args.token;
if (args['iso-time']) common.cdt = new Date(Date.now() - 5000).toISOString();

const pageUrl = args['page-url'];

tracker.track({
  ...common,
  url: `${pageUrl}?koko=M&session=abc123&utm_campaign=kevat`,
  action_name: 'Tuotteet – kesä',
  urlref: 'https://haku.example.org/',
  res: '1920x1080',
});

tracker.track({
  ...common,
  url: pageUrl,
  e_c: 'Ostoskori',
  e_a: 'Lisää',
  e_n: 'Sininen paita',
  e_v: 19.9,
});

tracker.trackBulk(
  [
    { ...common, url: `${pageUrl}1`, action_name: 'Bulk 1' },
    { ...common, url: `${pageUrl}2`, action_name: 'Bulk 2' },
    { ...common, url: `${pageUrl}3`, e_c: 'Bulk', e_a: 'click', e_n: 'third' },
  ],
  (body) => {
    try {
      summary.bulk_response = JSON.parse(body);
    } catch {
      summary.bulk_response = body;
    }
    bulkAnswered = true;
    maybeFinish();
  },
);
