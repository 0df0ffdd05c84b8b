// A Node test reporter: per test file, the summed duration of its top-level tests, slowest first, and the total.
// `node scripts/test.mjs --times FILE` writes it beside the spec output, to find what makes a suite slow.
// Top-level tests only: a nested test's time is already inside its parent's.
export default async function* fileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.nesting !== 0) continue;
    const file = event.data.file ?? '(unknown file)';
    perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  let total = 0;
  for (const [file, ms] of rows) {
    total += ms;
    yield `${(ms / 1000).toFixed(1)}\t${file}\n`;
  }
  yield `${(total / 1000).toFixed(1)}\ttotal (${rows.length} files)\n`;
}
