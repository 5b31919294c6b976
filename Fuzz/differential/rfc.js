'use strict';
// Why the gateway may disagree with llhttp, rule by rule.

/// The gateway rejects, llhttp accepts: the RFC text that allows (or requires)
/// the rejection, keyed by the gateway's HTTPParseError.reason.
const JUSTIFIED_REJECTIONS = {
  'line ends in a bare LF': 'RFC 9112 §2.2: a recipient MAY accept a bare LF as a line terminator; the gateway does not, so no two parsers disagree on where a line ends',
  'bare CR before start line': 'RFC 9112 §2.2: a bare CR outside the content MUST be rejected or replaced by SP',
  'bare CR in field line': 'RFC 9112 §2.2 and RFC 9110 §5.5: CR in a field value MUST be rejected or replaced by SP',
  'bare CR in chunk line': 'RFC 9112 §2.2 / §7.1: chunk lines end in CRLF; a bare CR MUST be rejected or replaced',
  'too many empty lines before start line': 'RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line; the gateway ignores four',
  'malformed request line': 'RFC 9112 §3: request-line = method SP request-target SP HTTP-version; a server SHOULD answer an invalid request-line with 400',
  'invalid character in method': 'RFC 9110 §9.1 / §5.6.2: method = token',
  'invalid character in request target': 'RFC 9112 §3.2 and RFC 3986 §2-3: these characters never appear in a URI; RFC 9112 §3 says answer an invalid request-target with 400',
  'invalid percent-encoding in request target': 'RFC 3986 §2.1: pct-encoded = "%" HEXDIG HEXDIG; RFC 9112 §3.2',
  'invalid request target': 'RFC 9112 §3.2: origin-form, absolute-form, authority-form (CONNECT) or asterisk-form (OPTIONS) only',
  'asterisk-form target is only allowed with OPTIONS': 'RFC 9112 §3.2.4: asterisk-form is only used for a server-wide OPTIONS request',
  'CONNECT requires an authority-form target': 'RFC 9112 §3.2.3: authority-form is only used for CONNECT, and CONNECT only uses it',
  'invalid HTTP version': 'RFC 9112 §2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive',
  'HTTP version not supported': 'RFC 9110 §15.6.6: 505 for a major version the server does not support',
  'missing Host field': 'RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host',
  'more than one Host field': 'RFC 9112 §3.2: a server MUST respond 400 to a request with more than one Host field line',
  'invalid Host field': 'RFC 9112 §3.2: a server MUST respond 400 to a Host field with an invalid value (RFC 9110 §7.2: uri-host [":" port])',
  'obsolete line folding': 'RFC 9112 §5.2: a server MUST either reject obs-fold with 400 or replace it with SP',
  'whitespace before colon in field line': 'RFC 9112 §5.1: a server MUST reject whitespace between field name and colon with 400',
  'invalid character in field name': 'RFC 9110 §5.1: field-name = token',
  'empty field name': 'RFC 9110 §5.1: field-name = token (at least one tchar)',
  'field line without colon': 'RFC 9112 §5: field-line = field-name ":" OWS field-value OWS',
  'invalid character in field value': 'RFC 9110 §5.5: field-value = *field-content of VCHAR, SP, HTAB, obs-text; NUL, CR, LF MUST be rejected or replaced',
  'field value is not valid UTF-8': 'GATEWAY POLICY, not an RFC rule: RFC 9110 §5.5 allows obs-text (0x80-0xFF); the gateway keeps values as Swift Strings byte for byte, so it refuses non-UTF-8 rather than alter them',
  'invalid Content-Length': 'RFC 9110 §8.6: Content-Length = 1*DIGIT; RFC 9112 §6.3 item 5: an invalid Content-Length in a request MUST get 400',
  'conflicting Content-Length values': 'RFC 9112 §6.3 item 5: differing Content-Length values are unrecoverable, 400',
  'both Content-Length and Transfer-Encoding': 'RFC 9112 §6.1: a server MAY reject a request with both (and MUST close after it); §6.3 item 3: the classic smuggling vector',
  'Transfer-Encoding in an HTTP/1.0 message': 'RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding MUST be treated as having faulty framing',
  'empty Transfer-Encoding': 'RFC 9112 §6.3 item 4: a request whose Transfer-Encoding does not end in chunked MUST get 400 (an empty list ends in nothing)',
  'chunked is not the final transfer coding': 'RFC 9112 §6.3 item 4: if chunked is not the final coding of a request, the server MUST respond 400',
  'chunked applied more than once': 'RFC 9112 §6.1: a sender MUST NOT apply chunked more than once, so such framing is not trustworthy',
  'unsupported transfer coding': 'RFC 9112 §6.1: a server that receives a transfer coding it does not understand SHOULD respond 501',
  'invalid chunk size': 'RFC 9112 §7.1: chunk-size = 1*HEXDIG',
  'invalid chunk extension': 'RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), name a token, value a token or quoted-string',
  'chunk line too long': 'gateway limit on chunk-size lines (HTTPLimits.maxChunkLineBytes, 4096); RFC 9112 §7.1.1 lets a server limit extensions',
  'framing field in trailer section': 'RFC 9110 §6.5.1: framing fields MUST NOT be sent as trailers; a Content-Length or Transfer-Encoding there is a smuggling attempt (llhttp rejects it too)',
  'missing CRLF after chunk data': 'RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF',
  'request head too large': 'RFC 6585 §5: 431 for header fields that are too large (gateway limit 16 KiB)',
  'too many header fields': 'RFC 6585 §5: 431 (gateway limit 100 fields)',
  'request target too long': 'RFC 9112 §3 / RFC 9110 §15.5.15: 414 for a target longer than the server will parse (gateway limit 8 KiB)',
  'body too large': 'RFC 9110 §15.5.14: 413 (gateway limit 1 MiB)',
  'trailer section too large': 'RFC 6585 §5: 431 (gateway limit)',
  'too many trailer fields': 'RFC 6585 §5: 431 (gateway limit)',
};

/// llhttp's method table (RFC 9110 plus WebDAV, RTSP and others).
const LLHTTP_METHODS = new Set(process.binding('http_parser').methods);

/// Splits a request into [leading empty lines, request line, field lines, rest after the head].
function parts(s) {
  const lead = s.match(/^(\r\n)*/)[0];
  const afterLead = s.slice(lead.length);
  const end = afterLead.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = afterLead.slice(0, end).split('\r\n');
  return { lead, line: lines[0], fields: lines.slice(1), rest: afterLead.slice(end + 4) };
}

function join(p) {
  return Buffer.from(p.lead + [p.line, ...p.fields].join('\r\n') + '\r\n\r\n' + p.rest, 'latin1');
}

/// The gateway accepts, llhttp (strict) rejects, and an RFC rule says accepting
/// is right. Each rule rewrites the request into the form llhttp insists on;
/// a disagreement is explained when llhttp accepts the rewritten request.
const JUSTIFIED_ACCEPTANCES = [
  {
    name: "method outside llhttp's fixed table",
    rfc: 'RFC 9110 §9.1: method = token and the set is extensible; routing answers unknown methods 405/501, and request framing never depends on the method',
    rewrite(p) {
      const method = p.line.split(' ')[0];
      if (LLHTTP_METHODS.has(method)) return null;
      return { ...p, line: 'GET' + p.line.slice(method.length) };
    },
  },
  {
    name: 'HTTP/1.x with a minor version above 1',
    rfc: 'RFC 9110 §6.2: a recipient SHOULD process a higher minor version as the highest one it implements (1.1)',
    rewrite(p) {
      if (!/ HTTP\/1\.[2-9]$/.test(p.line)) return null;
      return { ...p, line: p.line.slice(0, -1) + '1' };
    },
  },
  {
    name: 'identical Content-Length values repeated',
    rfc: 'RFC 9110 §8.6: a recipient MAY accept a list, or repeated field lines, of identical values as that single value',
    rewrite(p) {
      const isCL = (l) => l.slice(0, l.indexOf(':')).toLowerCase() === 'content-length';
      const values = p.fields.filter(isCL).flatMap((l) => l.slice(l.indexOf(':') + 1).split(',')).map((v) => v.trim());
      if (values.length < 2 || !values.every((v) => /^[0-9]+$/.test(v) && BigInt(v) === BigInt(values[0]))) return null;
      const fields = p.fields.filter((l) => !isCL(l));
      fields.push(`Content-Length: ${values[0]}`);
      return { ...p, fields };
    },
  },
  {
    name: 'HTAB as optional whitespace around a field value',
    rfc: 'RFC 9112 §5: field-line = field-name ":" OWS field-value OWS, and RFC 9110 §5.6.3: OWS = *( SP / HTAB )',
    rewrite(p) {
      const fields = p.fields.map((l) => {
        const colon = l.indexOf(':');
        if (colon < 0) return l;
        return `${l.slice(0, colon)}: ${l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')}`;
      });
      return fields.every((l, k) => l === p.fields[k]) || !p.fields.some((l) => /:[ \t]*\t|\t$/.test(l)) ? null : { ...p, fields };
    },
  },
  {
    name: 'empty elements in a Transfer-Encoding or Connection list',
    rfc: 'RFC 9110 §5.6.1: a recipient MUST parse and ignore a reasonable number of empty list elements ("chunked," is "chunked")',
    rewrite(p) {
      const fields = p.fields.map((l) => {
        const colon = l.indexOf(':');
        if (!/^(transfer-encoding|connection)$/i.test(l.slice(0, colon))) return l;
        const items = l.slice(colon + 1).split(',').map((v) => v.trim()).filter((v) => v.length);
        return `${l.slice(0, colon)}: ${items.join(', ')}`;
      });
      return fields.every((l, k) => l === p.fields[k]) ? null : { ...p, fields };
    },
  },
  {
    name: 'BWS around chunk-extension separators',
    rfc: 'RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ); RFC 9110 §5.6.3: a recipient MUST parse and remove BWS',
    rewrite(p) {
      if (!p.fields.some((l) => /^transfer-encoding:/i.test(l))) return null;
      const rest = p.rest.replace(/(^|\r\n)([0-9A-Fa-f]+)([ \t]*;[^\r\n]*)\r\n/g, (all, start, size, ext) =>
        `${start}${size}${ext.replace(/[ \t]*([;=])[ \t]*/g, '$1')}\r\n`);
      return rest === p.rest ? null : { ...p, rest };
    },
  },
];

/// Rewrites each message of `buf` (cut where the gateway's `messages` spans
/// say) with every rule that applies and asks llhttp again: returns the rules
/// applied and llhttp's verdict on the rewritten bytes, or null when no rule applies.
function explainAcceptance(buf, messages, llhttp) {
  const s = buf.toString('latin1');
  const applied = new Set();
  let out = '';
  let offset = 0;
  for (const m of messages) {
    let p = parts(s.slice(offset, offset + m.span));
    offset += m.span;
    if (!p) return null;
    for (const rule of JUSTIFIED_ACCEPTANCES) {
      const q = rule.rewrite(p);
      if (q) {
        p = q;
        applied.add(rule.name);
      }
    }
    out += join(p).toString('latin1');
  }
  if (!applied.size) return null;
  return { applied: [...applied], verdict: llhttp(Buffer.from(out + s.slice(offset), 'latin1')) };
}

module.exports = { JUSTIFIED_REJECTIONS, JUSTIFIED_ACCEPTANCES, explainAcceptance };
