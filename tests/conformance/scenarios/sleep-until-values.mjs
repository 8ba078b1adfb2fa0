// sleepUntil with a function whose result is not a Date: Mastra reads it as `new Date(result)`,
// so an ISO-8601 string (with Z or with an offset) is parsed as a date and a number is epoch
// milliseconds. Each case aims 30 ms ahead; the note says whether the run waited until then and
// did not wait long (not the 56 years a number read as a duration would be).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const withOffset = (ms) => {  // the same instant written in +02:00
    const d = new Date(ms + 2 * 3600 * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:` +
      `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+02:00`;
  };
  const cases = {
    isoZ: (ms) => new Date(ms).toISOString(),
    isoOffset: withOffset,
    epochMs: (ms) => ms,
  };
  const done = createStep({ id: 'done', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => ({ kind: typeof inputData.at }) });
  for (const [name, make] of Object.entries(cases)) {
    const wf = createWorkflow({ id: `until-${name}`, inputSchema: z.any(), outputSchema: z.any() })
      .sleepUntil(async ({ inputData }) => inputData.at).then(done).commit();
    const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
    const started = Date.now();
    const target = started + 30;
    const result = await run.start({ inputData: { at: make(target) } });
    const ended = Date.now();
    log.note({ case: name, status: result.status, result: result.result, waited: ended >= target, quick: ended - started < 5000 });
  }
}
