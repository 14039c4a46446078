// Preloaded into a benchmarked process (node --require): writes its peak RSS (Linux VmHWM, MiB) to GLA_PEAK_RSS_FILE at exit.
const { readFileSync, writeFileSync } = require('node:fs');
process.on('exit', () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (m && process.env.GLA_PEAK_RSS_FILE) writeFileSync(process.env.GLA_PEAK_RSS_FILE, String(Number(m[1]) / 1024));
});
