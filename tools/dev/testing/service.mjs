// A stand-in service for start.int-spec.ts: says it is up, and drains (briefly) on SIGTERM as the real
// ones do.
console.log(`up pid ${process.pid}`);
const keepAlive = setInterval(() => undefined, 60_000);
process.on('SIGTERM', () => {
  console.log(`draining pid ${process.pid}`);
  clearInterval(keepAlive);
  setTimeout(() => process.exit(0), 200);
});
