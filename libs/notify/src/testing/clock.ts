/** A clock whose sleeps pass at once and move its time on, keeping each wait for the test to check. */
export function fakeClock(startIso = '2026-01-15T12:00:00Z') {
  let t = Date.parse(startIso);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(t),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}
