'use strict';
// Seeded generator of HTTP/1.1 requests for the differential test: valid
// requests from a small grammar, then (for about half) one to three
// mutations aimed at the places parsers disagree: line ends, whitespace,
// field syntax, framing headers, chunk lines.

/// mulberry32: a small seeded PRNG, so a seed always gives the same cases.
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const ODD_METHODS = ['PURGE', 'PROPFIND', 'M-SEARCH', 'get', 'BREW', 'X-CUSTOM', 'GET!'];
const PATHS = ['/', '/clients', '/clients/42', '/clients/42?fields=id,email', '/livez', '/a/b/../c', '/%7Euser',
  '/search?q=a+b&x=%20', '/p;param', "/a!$&'()*+,;=:@b", '/with-dash_under.dot~', '/x?y=/z?'];
const HOSTS = ['acme.example.com', 'localhost:8080', '127.0.0.1', '[::1]:8443', 'a', 'xn--caf-dma.example'];
const NAMES = ['Accept', 'User-Agent', 'X-Request-Id', 'Cookie', 'Accept-Encoding', 'X-Custom_Field', 'Cache-Control',
  'If-None-Match', 'Authorization', 'x-lower', "X-!#$%&'*+-.^_`|~"];
const VALUES = ['application/json', 'curl/8.0', 'abc-123', 'a=b; c=d', 'gzip, deflate', '', '"quoted, value"',
  'v\twith\ttabs', 'no-cache', 'W/"etag"', 'Bearer tok', '(comment) ~!@#$%^&*', 'caf\xc3\xa9'];

function body(r, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + r.int(26));
  return s;
}

/// One request, as a latin1 string (bytes 0-255).
function request(r) {
  const method = r.chance(0.06) ? r.pick(ODD_METHODS) : r.pick(METHODS);
  let target = r.pick(PATHS);
  if (method === 'OPTIONS' && r.chance(0.3)) target = '*';
  if (r.chance(0.05)) target = 'http://' + r.pick(HOSTS) + r.pick(PATHS);
  const version = r.chance(0.9) ? 'HTTP/1.1' : r.pick(['HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9']);
  const fields = [];
  if (version !== 'HTTP/1.0' || r.chance(0.5)) fields.push(['Host', r.pick(HOSTS)]);
  for (let i = r.int(5); i > 0; i--) fields.push([r.pick(NAMES), r.pick(VALUES)]);
  if (r.chance(0.15)) fields.push(['Connection', r.pick(['close', 'keep-alive', 'Keep-Alive, foo', 'upgrade'])]);

  let payload = '';
  const framing = r.int(10);
  if (framing < 4) {
    const n = r.int(40);
    payload = body(r, n);
    fields.push(['Content-Length', String(n)]);
  } else if (framing < 7) {
    fields.push(['Transfer-Encoding', r.pick(['chunked', 'chunked', 'Chunked', 'gzip, chunked', 'chunked, chunked', 'identity'])]);
    for (let k = r.int(4); k > 0; k--) {
      const n = 1 + r.int(20);
      let line = n.toString(16);
      if (r.chance(0.2)) line = line.toUpperCase();
      if (r.chance(0.15)) line = '0' + line;
      if (r.chance(0.15)) line += r.pick([';ext', ';a=b', ';a="q v"', ';x;y=1', ' ;a', ';a = b']);
      payload += `${line}\r\n${body(r, n)}\r\n`;
    }
    payload += r.chance(0.1) ? '0;last\r\n' : '0\r\n';
    if (r.chance(0.15)) payload += 'X-Trailer: t\r\n';
    payload += '\r\n';
  }
  if (r.chance(0.1)) fields.sort(() => r.next() - 0.5);

  const lead = r.chance(0.03) ? '\r\n' : '';
  let s = `${lead}${method} ${target} ${version}\r\n`;
  for (const [name, value] of fields) s += `${name}:${r.chance(0.85) ? ' ' : r.pick(['', '\t', '  '])}${value}${r.chance(0.1) ? ' ' : ''}\r\n`;
  return s + '\r\n' + payload;
}

const SPECIAL = ['\r', '\n', '\0', ' ', ':', '\t', '\x7f', '\x80', '\xff', ',', ';', '"', '\x0b', '\x0c', '\r\n', '\r\n ', '#', '%', '\\', '<'];
const CL_VALUES = ['+5', '-1', '0x5', '5 5', '5,5', '5, 6', '05', '', ' 5 ', '99999999999999999999', '5\t', '1e1', '٥'];
const TE_VALUES = ['chunked', 'Chunked', 'chunked, identity', 'gzip, chunked', 'chunked,', ',chunked', 'xchunked',
  ' chunked', 'identity', 'chunked\x0b', '"chunked"', 'chunked;q=1', 'chunk', 'CHUNKED'];
const CHUNK_SIZES = ['5 ', '0x5', '-5', '5;', '5;a=', '5;a="', 'ffffffffffffffff0', '+5', '5\t;a', '5;a b', '5;"a"'];

function lines(s) {
  const end = s.indexOf('\r\n\r\n');
  return end < 0 ? null : { head: s.slice(0, end), rest: s.slice(end) };
}

/// One mutation of `s`.
function mutate(r, s) {
  const pos = () => r.int(s.length + 1);
  switch (r.int(14)) {
    case 0: { // replace one byte
      const i = r.int(Math.max(s.length, 1));
      return s.slice(0, i) + String.fromCharCode(r.int(256)) + s.slice(i + 1);
    }
    case 1: case 2: { // insert a byte that matters to parsers
      const i = pos();
      return s.slice(0, i) + r.pick(SPECIAL) + s.slice(i);
    }
    case 3: { // delete a byte
      const i = r.int(Math.max(s.length, 1));
      return s.slice(0, i) + s.slice(i + 1);
    }
    case 4: { // duplicate a field line
      const p = lines(s); if (!p) return s;
      const ls = p.head.split('\r\n'); if (ls.length < 2) return s;
      const k = 1 + r.int(ls.length - 1);
      ls.splice(k, 0, ls[k]);
      return ls.join('\r\n') + p.rest;
    }
    case 5: { // a CRLF becomes LF or CR
      const idx = []; for (let i = s.indexOf('\r\n'); i >= 0; i = s.indexOf('\r\n', i + 1)) idx.push(i);
      if (!idx.length) return s;
      const i = r.pick(idx);
      return s.slice(0, i) + r.pick(['\n', '\r', '\r\r\n', '\n\r']) + s.slice(i + 2);
    }
    case 6: { // obs-fold inside a field value
      const p = lines(s); if (!p) return s;
      const ls = p.head.split('\r\n'); if (ls.length < 2) return s;
      const k = 1 + r.int(ls.length - 1);
      ls[k] = ls[k] + '\r\n' + r.pick([' ', '\t']) + 'folded';
      return ls.join('\r\n') + p.rest;
    }
    case 7: { // odd Content-Length
      const p = lines(s); if (!p) return s;
      return p.head + `\r\nContent-Length: ${r.pick(CL_VALUES)}` + p.rest;
    }
    case 8: { // odd Transfer-Encoding, or its name spelled oddly
      const p = lines(s); if (!p) return s;
      const name = r.pick(['Transfer-Encoding', 'Transfer-Encoding', 'transfer-encoding', 'Transfer-Encoding ', 'Transfer_Encoding', ' Transfer-Encoding']);
      return p.head + `\r\n${name}: ${r.pick(TE_VALUES)}` + p.rest;
    }
    case 9: { // flip the case of a byte
      const i = r.int(Math.max(s.length, 1));
      const c = s[i] || '';
      return s.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + s.slice(i + 1);
    }
    case 10: { // odd chunk-size line
      const p = lines(s); if (!p || !/transfer-encoding/i.test(p.head)) return s;
      return p.head + p.rest.replace(/\r\n\r\n[0-9a-fA-F]+/, `\r\n\r\n${r.pick(CHUNK_SIZES)}`);
    }
    case 11: { // request line oddities
      return s.replace(/ HTTP\/1\.1\r\n/, r.pick([' http/1.1\r\n', ' HTTP/1.10\r\n', ' HTTP/01.1\r\n', '  HTTP/1.1\r\n',
        '\tHTTP/1.1\r\n', ' HTTP/1.1 \r\n', ' HTTP/1.1\n', ' HTTP/1\r\n', 'HTTP/1.1\r\n']));
    }
    case 12: // something after the message
      return s + r.pick(['\r\n', '\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'x', '\0']);
    default: { // cut the message short
      return s.slice(0, pos());
    }
  }
}

/// Known request-smuggling and parser-confusion shapes, always included.
const CLASSICS = [
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551617\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length\x00: 3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\nA\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nAB\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nA\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000001\r\nA\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a="\r\n"\r\nA\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n',
  'GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n',
  'GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1 \r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX:\x00\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\n: empty-name\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nno-colon\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: \xff\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET * HTTP/1.1\r\nHost: a\r\n\r\n',
  'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n',
  'CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGARBAGE',
  'GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n',
];

/// `count` cases as Buffers (latin1 bytes), the same for the same seed.
function generate(count, seed) {
  const r = prng(seed);
  const cases = CLASSICS.slice(0, count).map((s) => Buffer.from(s, 'latin1'));
  for (let i = cases.length; i < count; i++) {
    let s = request(r);
    if (r.chance(0.1)) s += request(r); // pipelined
    if (r.chance(0.5)) {
      for (let m = 1 + r.int(3); m > 0; m--) s = mutate(r, s);
    }
    cases.push(Buffer.from(s, 'latin1'));
  }
  return cases;
}

module.exports = { generate };
