// hold.js: a node target for the real-program suite (internal/realprog).
//
// usage: node --max-old-space-size=1024 hold.js HELD_MIB LIFETIME_S
//
// Reads the secret, one line, from stdin and keeps it as a string on the
// V8 heap. Holds HELD_MIB arrays of 128Ki doubles (1 MiB each) on the
// heap, and keeps allocating short-lived objects. Prints "ready" on stdout
// once everything is in place, then runs until stdin closes or LIFETIME_S
// seconds have passed.
'use strict';

const heldMiB = Number(process.argv[2]);
const lifetimeS = Number(process.argv[3]);
const held = [];
let secret = null;
let input = '';

function fill() {
  for (let i = 0; i < heldMiB; i++) {
    const a = new Array(1 << 17);
    for (let j = 0; j < a.length; j++) {
      a[j] = i + j / a.length;
    }
    held.push(a);
  }
}

// churn replaces short-lived objects, so that scavenges keep running.
function churn() {
  const ring = new Array(4096);
  let n = 0;
  setInterval(() => {
    for (let k = 0; k < 4096; k++, n++) {
      ring[n % ring.length] = { n, text: 'object ' + n };
    }
  }, 5);
}

process.stdin.setEncoding('latin1');
process.stdin.on('data', (chunk) => {
  if (secret !== null) {
    return;
  }
  input += chunk;
  const nl = input.indexOf('\n');
  if (nl < 0) {
    return;
  }
  // A flat copy of the line, not a slice of the input.
  secret = Buffer.from(input.slice(0, nl), 'latin1').toString('latin1');
  fill();
  churn();
  process.stdout.write('ready\n');
});
process.stdin.on('end', () => process.exit(0));
setTimeout(() => process.exit(0), lifetimeS * 1000);
