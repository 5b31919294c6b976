'use strict';
// llhttp through Node's internal binding, with every lenient flag off.

process.noDeprecation = true; // process.binding is deprecated but is the only way in
const { HTTPParser, methods } = process.binding('http_parser');

/// Parses `buf` as a stream of requests. Returns
///   { kind: 'A', messages: [{ method, url, major, minor, keepAlive, body }] }
///   { kind: 'R', code, reason }     llhttp reported an error
///   { kind: 'I' }                   valid so far, more bytes needed
///   { kind: 'U' }                   an upgrade (or CONNECT) head: llhttp stops parsing there
function llhttp(buf) {
  const parser = new HTTPParser();
  // Same head limit as the gateway's HTTPLimits.maxHeadBytes.
  parser.initialize(HTTPParser.REQUEST, {}, 16384, HTTPParser.kLenientNone);
  const messages = [];
  let partialUrl = '';
  // Called for a head with many fields (before kOnHeadersComplete) and for
  // trailers (after the body, with no URL).
  parser[HTTPParser.kOnHeaders] = (headers, url) => { partialUrl += url || ''; };
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, statusCode, statusMessage, upgrade, keepAlive) => {
    messages.push({ method: methods[method], url: partialUrl + (url || ''), major, minor, keepAlive, upgrade, body: 0, done: false });
    partialUrl = '';
    return 0;
  };
  parser[HTTPParser.kOnBody] = (b, start, len) => { messages[messages.length - 1].body += len !== undefined ? len : b.length; };
  parser[HTTPParser.kOnMessageComplete] = () => {
    messages[messages.length - 1].done = true;
    partialUrl = '';
  };
  parser[HTTPParser.kOnExecute] = () => {};
  const r = parser.execute(buf);
  const complete = messages.filter((m) => m.done);
  if (r instanceof Error) {
    parser.close();
    // After a request that closes the connection llhttp refuses further
    // bytes; a server answers the requests before and closes, as the gateway does.
    if (r.code === 'HPE_CLOSED_CONNECTION' && complete.length && !complete[complete.length - 1].keepAlive) {
      return { kind: 'A', messages: complete };
    }
    return { kind: 'R', code: r.code, reason: r.reason };
  }
  if (messages.some((m) => m.upgrade)) {
    parser.close();
    return { kind: 'U' };
  }
  const f = parser.finish();
  parser.close();
  if (f instanceof Error || messages.length === 0 || !messages[messages.length - 1].done) return { kind: 'I' };
  return { kind: 'A', messages };
}

module.exports = { llhttp };
