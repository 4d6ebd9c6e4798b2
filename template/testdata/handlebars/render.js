#!/usr/bin/env node
// Renders the differential corpus with handlebars.js, the reference for
// template/handlebars_diff_test.go. Reads a JSON array of cases
// {name, template, mode, data, partials} on stdin and writes a JSON array
// of {name, out} or {name, error} on stdout, in the same order.
//
// How Outhook's modes map onto Handlebars:
//   html: Handlebars as shipped (HTML escaping of {{x}}).
//   text: noEscape, values written as they are.
//   json: {{x}} escaped as the content of a JSON string instead of for HTML:
//         the only escaping under which a Handlebars body is JSON at all, and
//         what Outhook does inside a string. {{{x}}} stays raw.
'use strict';

const Handlebars = require('handlebars');

// {{log}} writes through console; stdout carries only the results.
for (const level of ['log', 'info', 'debug', 'warn']) console[level] = console.error;

const htmlEscape = Handlebars.Utils.escapeExpression;
let mode = 'json';

// Handlebars' own conversion of a value to text, before escaping.
function toText(v) {
  if (typeof v === 'string') return v;
  if (v && v.toHTML) return v.toHTML();
  if (v == null) return '';
  if (!v) return v + '';
  return '' + v;
}

// The runtime reads Utils.escapeExpression each time a template is
// instantiated, so replacing it switches the escaping per case.
Handlebars.Utils.escapeExpression = function (v) {
  if (mode === 'plain') return toText(v);
  if (mode === 'json') {
    if (v && v.toHTML) return v.toHTML();
    return JSON.stringify(toText(v)).slice(1, -1);
  }
  return htmlEscape(v);
};

// Outhook's built-in helpers, written for Handlebars so that templates using
// them can be compared. Each takes Handlebars' options object last.
function args(a) { return Array.prototype.slice.call(a, 0, a.length - 1); }

// The arguments with the optional ones a hash may give by name, as Outhook's
// helpers take them: {{join xs sep="-"}} is {{join xs "-"}}.
function argsHash(a, names) {
  const list = args(a);
  const hash = a[a.length - 1].hash || {};
  names.forEach((name, i) => {
    if (name && name in hash) list[i] = hash[name];
  });
  return list;
}

function same(a, b) {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a !== typeof b) return false;
  if (a === null || typeof a !== 'object') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

function pad(n, w) { return String(n).padStart(w || 2, '0'); }

// The text of v cut to at most n units (code points, or UTF-8 bytes), the
// ellipsis included, as Outhook's truncate and truncateBytes do.
function cut(a, unit) {
  const chars = [...toText(a[0])];
  const n = a[1];
  if (!Number.isInteger(n) || n < 0) throw new Error(`truncate: bad length ${n}`);
  const ellipsis = a.length > 2 && a[2] !== undefined ? toText(a[2]) : '\u2026';
  // escaped=true counts each character as JSON.stringify escapes it, with
  // U+2028 and U+2029 escaped too, as Outhook writes them.
  const size = a.length > 3 && toText(a[3]) === 'true'
    ? (c) => (/[\u2028\u2029]/.test(c) ? 6 : JSON.stringify(c) === `"${c}"` ? unit(c) : JSON.stringify(c).length - 2)
    : unit;
  const len = (cs) => cs.reduce((t, c) => t + size(c), 0);
  if (len(chars) <= n) return chars.join('');
  let room = n - len([...ellipsis]);
  let tail = ellipsis;
  if (room < 0) { room = n; tail = ''; }
  let out = '';
  for (const c of chars) {
    if (size(c) > room) break;
    room -= size(c);
    out += c;
  }
  return out + tail;
}

// Whole milliseconds of epoch seconds, from the digits JavaScript writes
// for the number, rounded down.
function toMillis(v) {
  let s = String(v);
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(s)) throw new Error(`millis: ${s} is not in render.js`);
  const neg = s[0] === '-';
  if (neg) s = s.slice(1);
  const [whole, frac = ''] = s.split('.');
  let ms = BigInt(whole + (frac + '000').slice(0, 3));
  if (neg) ms = /[1-9]/.test(frac.slice(3)) ? -ms - 1n : -ms;
  return Number(ms);
}

const helpers = {
  json(v) { return JSON.stringify(v === undefined ? null : v); },
  eq() { const a = args(arguments); return same(a[0], a[1]); },
  ne() { const a = args(arguments); return !same(a[0], a[1]); },
  default() {
    const a = args(arguments);
    return a[0] === undefined || a[0] === null || a[0] === '' ? a[1] : a[0];
  },
  join() {
    const a = argsHash(arguments, [null, 'sep']);
    const sep = a.length > 1 ? toText(a[1]) : ', ';
    return (Array.isArray(a[0]) ? a[0] : []).map(toText).join(sep);
  },
  count(v) {
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (v && typeof v === 'object') return Object.keys(v).length;
    return 0;
  },
  truncate() { return cut(argsHash(arguments, [null, null, 'ellipsis', 'escaped']), () => 1); },
  truncateBytes() { return cut(argsHash(arguments, [null, null, 'ellipsis', 'escaped']), (c) => Buffer.byteLength(c)); },
  // Each old string of the pairs replaced by its new one in one pass, left
  // to right, the earlier pair first where two match at one place.
  replace() {
    const a = args(arguments);
    if (a.length < 3 || a.length % 2 !== 1) throw new Error('replace: pairs');
    const s = toText(a[0]);
    let out = '';
    for (let i = 0; i < s.length;) {
      let k = -1;
      for (let j = 1; j < a.length && k < 0; j += 2) if (s.startsWith(a[j], i)) k = j;
      if (k < 0) { out += s[i]; i++; continue; }
      out += a[k + 1];
      i += a[k].length;
    }
    return out;
  },
  millis(v) { return v === undefined || v === null ? null : toMillis(v); },
  flatten(list, path) {
    const keys = typeof path === 'string' ? path.split('.') : [];
    const out = [];
    for (let el of Array.isArray(list) ? list : []) {
      for (const k of keys) el = el !== null && typeof el === 'object' && !Array.isArray(el) ? el[k] : undefined;
      if (Array.isArray(el)) out.push(...el);
      else if (el !== undefined && el !== null) out.push(el);
    }
    return out;
  },
  // What a raw block {{{{raw}}}}…{{{{/raw}}}} conventionally calls: its
  // content, tags and all, as text.
  raw(options) { return options.fn(); },
  upper(v) { return toText(v).toUpperCase(); },
  lower(v) { return toText(v).toLowerCase(); },
  // Epoch seconds in UTC: RFC 3339 by default, or the named layouts the
  // corpus uses.
  time() {
    const a = argsHash(arguments, [null, 'layout']);
    if (a[0] === undefined || a[0] === null) return null;
    const d = new Date(Math.floor(Number(a[0])) * 1000);
    const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    switch (a[1]) {
      case undefined: case 'RFC3339': return `${date}T${clock}Z`;
      case 'DateOnly': return date;
      case 'DateTime': return `${date} ${clock}`;
      case 'TimeOnly': return clock;
      default: throw new Error(`time: layout ${a[1]} is not in render.js`);
    }
  },
};

function render(c) {
  mode = c.mode || 'json';
  const hb = Handlebars.create();
  hb.registerHelper(helpers);
  for (const [name, src] of Object.entries(c.partials || {})) hb.registerPartial(name, src);
  const fn = hb.compile(c.template, { noEscape: mode === 'text' });
  return fn(c.data);
}

// The Text mode rendered with escaping on, through an escaping that
// changes nothing: noEscape makes handlebars.js add two numbers that
// adjacent tags write ({{@../index}}{{@index}}) instead of writing both.
function renderPlain(c) {
  if ((c.mode || 'json') !== 'text') return undefined;
  const hb = Handlebars.create();
  hb.registerHelper(helpers);
  for (const [name, src] of Object.entries(c.partials || {})) hb.registerPartial(name, src);
  const fn = hb.compile(c.template);
  mode = 'plain';
  try {
    return fn(c.data);
  } catch (e) {
    return undefined;
  } finally {
    mode = 'text';
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const results = JSON.parse(input).map((c) => {
    try {
      return { name: c.name, out: render(c), plain: renderPlain(c) };
    } catch (e) {
      return { name: c.name, error: String(e && e.message || e).split('\n')[0] };
    }
  });
  process.stdout.write(JSON.stringify(results));
});
