#!/usr/bin/env node
// Differential test of the gateway's HTTPRequestDecoder against llhttp (the
// parser inside Node.js), run by scripts/differential.sh.
//
//   node differential.js --runner PATH [--count N] [--seed S] [--show K] [--save FILE]
//
// Generates N requests from a seeded grammar (valid heads, Content-Length and
// chunked bodies, pipelining) and mutates about half of them; feeds each to
// llhttp (lenient flags off) and, through PATH (the HTTP1Differential
// executable, length-prefixed cases on stdin), to the gateway's decoder.
// Exit 1 if the gateway accepts a request llhttp rejects that no listed RFC
// rule explains, or if both accept but frame the bytes differently.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const { generate } = require('./generate.js');
const { llhttp } = require('./llhttp.js');
const { JUSTIFIED_REJECTIONS, JUSTIFIED_ACCEPTANCES, explainAcceptance } = require('./rfc.js');

function parseArgs(argv) {
  const args = { count: 20000, seed: 1, show: 3, runner: null, save: null };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args)) throw new Error(`unknown option ${argv[i]}`);
    args[key] = key === 'runner' || key === 'save' ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!args.runner) throw new Error('--runner PATH is required');
  return args;
}

/// Runs the Swift side on every case at once; one output line per case.
function gateway(runner, cases) {
  const frames = [];
  for (const c of cases) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(c.length);
    frames.push(len, c);
  }
  const r = spawnSync(runner, [], { input: Buffer.concat(frames), maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    process.stderr.write(r.stderr.toString());
    throw new Error(`runner exited with ${r.status}`);
  }
  const lines = r.stdout.toString().split('\n').filter((l) => l.length > 0);
  if (lines.length !== cases.length) throw new Error(`runner printed ${lines.length} lines for ${cases.length} cases`);
  return lines.map((line) => {
    const f = line.split('\t');
    const messages = f[1] === '' ? [] : f[1].split(';').map((m) => {
      const [span, method, target, version, keepAlive, body] = m.split(',');
      return {
        span: Number(span), method: Buffer.from(method, 'hex').toString('latin1'),
        url: Buffer.from(target, 'hex').toString('latin1'), version, keepAlive: keepAlive === '1', body: Number(body),
      };
    });
    switch (f[0]) {
      case 'A': case 'I': return { kind: f[0], messages };
      case 'R': return { kind: 'R', messages, status: Number(f[2]), reason: f[3] };
      default: throw new Error(`bad runner line ${line}`);
    }
  });
}

/// Same number of messages with the same body lengths.
function sameFraming(we, messages) {
  return we.messages.length === messages.length && we.messages.every((m, k) => messages[k].body === m.body);
}

/// Same framing, and every request line read the same way.
function sameMessages(we, messages) {
  return sameFraming(we, messages) && we.messages.every((m, k) => m.method === messages[k].method
    && m.url === messages[k].url && m.version === `HTTP/${messages[k].major}.${messages[k].minor}`);
}

function show(buf) {
  return JSON.stringify(buf.toString('latin1')).slice(0, 300);
}

function main() {
  const args = parseArgs(process.argv);
  const cases = generate(args.count, args.seed);
  if (args.save) fs.writeFileSync(args.save, JSON.stringify(cases.map((c) => c.toString('latin1'))));
  const ours = gateway(args.runner, cases);

  const counts = {
    total: cases.length, bothAccept: 0, bothReject: 0, bothIncomplete: 0,
    upgrade: 0, weAcceptTheyReject: 0, weAcceptTheyRejectJustified: 0,
    weRejectTheyAccept: 0, framingDiffers: 0, incompleteVsComplete: 0, rejectVsIncomplete: 0,
    trailingLineEnds: 0,
  };
  const buckets = new Map(); // we reject, llhttp accepts: by our reason
  const justifiedAccepts = new Map(); // we accept, llhttp rejects, explained
  const waitVsReject = new Map(); // we wait for more bytes, llhttp already rejects: by llhttp's code
  const bad = []; // unexplained acceptances and framing disagreements
  const add = (map, key, c) => {
    const b = map.get(key) || { n: 0, examples: [] };
    b.n++;
    if (b.examples.length < args.show) b.examples.push(c);
    map.set(key, b);
  };

  cases.forEach((c, i) => {
    const we = ours[i];
    const they = llhttp(c);
    if (they.kind === 'U') {
      // llhttp hands the connection over after an upgrade head; only the head is comparable.
      counts.upgrade++;
      if (we.kind === 'R') add(buckets, we.reason, c);
      return;
    }
    if (we.kind === 'A' && they.kind === 'A') {
      counts.bothAccept++;
      const a = they.messages;
      if (!sameMessages(we, a)) {
        counts.framingDiffers++;
        bad.push({ what: 'both accept, different messages', c, we, they: JSON.stringify(a) });
      }
    } else if (we.kind === 'R' && they.kind === 'R') {
      counts.bothReject++;
    } else if (we.kind === 'I' && they.kind === 'I') {
      counts.bothIncomplete++;
    } else if (we.kind === 'A' && they.kind === 'R') {
      // Explained only if llhttp, given the request rewritten the way the
      // rule allows, accepts it and frames it as the gateway did.
      const why = explainAcceptance(c, we.messages, llhttp);
      if (why && why.verdict.kind === 'A' && sameFraming(we, why.verdict.messages)) {
        counts.weAcceptTheyRejectJustified++;
        why.applied.forEach((name) => add(justifiedAccepts, name, c));
      } else {
        counts.weAcceptTheyReject++;
        bad.push({ what: `we accept, llhttp rejects (${they.code}: ${they.reason})`, c, we });
      }
    } else if (we.kind === 'R' && they.kind === 'A') {
      counts.weRejectTheyAccept++;
      add(buckets, we.reason, c);
    } else if (we.kind === 'R' || they.kind === 'R') {
      // One rejects bytes the other is still waiting to see the end of.
      if (we.kind === 'R') counts.rejectVsIncomplete++;
      else add(waitVsReject, they.code, c);
    } else if ((we.kind === 'A' ? they : we).kind === 'I' && they.kind !== 'U'
      && sameFraming(we, they.kind === 'A' ? they.messages : we.messages)
      && /^[\r\n]*$/.test(c.subarray(we.messages.reduce((n, m) => n + m.span, 0)).toString('latin1'))) {
      // Same messages; only stray CR/LF after the last one are read differently
      // (one waits for the LF after a final CR, the other does not).
      counts.trailingLineEnds++;
    } else {
      counts.incompleteVsComplete++;
      bad.push({ what: `we ${we.kind === 'A' ? 'complete' : 'wait for more'}, llhttp ${they.kind === 'A' ? 'complete' : 'waits for more'}`, c, we, they: JSON.stringify(they) });
    }
  });

  console.log(`cases: ${counts.total} (seed ${args.seed})`);
  console.log(`  both accept:                  ${counts.bothAccept} (${counts.framingDiffers} framed differently)`);
  console.log(`  both reject:                  ${counts.bothReject}`);
  console.log(`  both incomplete:              ${counts.bothIncomplete}`);
  console.log(`  llhttp upgrade (head only):   ${counts.upgrade}`);
  const waiting = [...waitVsReject.values()].reduce((n, b) => n + b.n, 0);
  console.log(`  we reject, llhttp waits:      ${counts.rejectVsIncomplete}`);
  console.log(`  we wait, llhttp rejects:      ${waiting} (the gateway rejects once the head is complete, or the input was cut short)`);
  console.log(`  complete vs incomplete:       ${counts.incompleteVsComplete} (+${counts.trailingLineEnds} differing only in stray CR/LF after the last message)`);
  console.log(`  we accept, llhttp rejects:    ${counts.weAcceptTheyReject} unexplained, ${counts.weAcceptTheyRejectJustified} explained by RFC`);
  console.log(`  we reject, llhttp accepts:    ${counts.weRejectTheyAccept}`);
  if (justifiedAccepts.size) {
    console.log('\nwe accept, llhttp rejects — where RFC 9110/9112 is on our side:');
    for (const j of JUSTIFIED_ACCEPTANCES) {
      const b = justifiedAccepts.get(j.name);
      if (!b) continue;
      console.log(`  ${String(b.n).padStart(6)}  ${j.name} — ${j.rfc}`);
      b.examples.forEach((e) => console.log(`            e.g. ${show(e)}`));
    }
  }
  if (waitVsReject.size && args.show > 0) {
    console.log('\nwe wait for more bytes, llhttp already rejects — by llhttp\'s error:');
    for (const [code, b] of [...waitVsReject.entries()].sort((x, y) => y[1].n - x[1].n)) {
      console.log(`  ${String(b.n).padStart(6)}  ${code}`);
      b.examples.slice(0, 1).forEach((e) => console.log(`            e.g. ${show(e)}`));
    }
  }
  if (buckets.size) {
    console.log('\nwe reject, llhttp accepts — by our reason:');
    for (const [reason, b] of [...buckets.entries()].sort((x, y) => y[1].n - x[1].n)) {
      const rfc = JUSTIFIED_REJECTIONS[reason] || 'UNJUSTIFIED: no RFC rule listed for this reason';
      console.log(`  ${String(b.n).padStart(6)}  ${reason} — ${rfc}`);
      b.examples.forEach((e) => console.log(`            e.g. ${show(e)}`));
    }
  }
  const unjustified = [...buckets.keys()].filter((r) => !JUSTIFIED_REJECTIONS[r]);
  if (bad.length) {
    console.log(`\nDISAGREEMENTS (${bad.length}):`);
    bad.slice(0, 20).forEach((d) => {
      console.log(`  ${d.what}: ${show(d.c)}`);
      console.log(`      gateway: ${JSON.stringify(d.we)}${d.they ? `\n      llhttp: ${d.they}` : ''}`);
    });
  }
  if (unjustified.length) console.log(`\nrejections without an RFC rule: ${unjustified.join('; ')}`);
  const failed = counts.weAcceptTheyReject + counts.framingDiffers + counts.incompleteVsComplete > 0;
  console.log(failed ? '\nFAIL' : '\nOK: the gateway accepts nothing llhttp rejects, except where listed RFC rules say so');
  process.exit(failed ? 1 : 0);
}

main();
