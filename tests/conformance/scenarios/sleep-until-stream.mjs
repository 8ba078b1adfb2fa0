// sleepUntil with a date 20 ms ahead between two steps, streamed: the event types (the waiting
// event, then the sleep's result) and the run result. The sleep node's id is random in Mastra
// (sleep_<uuid>), so only event types, the run's status and result, the outputs of the named
// steps and the number of sleep records are noted; the run ends after the date.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const dbl = createStep({ id: 'dbl', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
  const until = new Date(Date.now() + 20);
  const wf = createWorkflow({ id: 'sleepy-until', inputSchema: N, outputSchema: N })
    .then(inc).sleepUntil(until).then(dbl).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: { n: 1 } });
  const events = [];
  for await (const ev of out.fullStream) events.push(ev);
  const result = await out.result;
  log.note(events.map((e) => e.type));
  log.note({ status: result.status, result: result.result, inc: result.steps.inc.output, dbl: result.steps.dbl.output,
    sleeps: Object.keys(result.steps).filter((k) => k.startsWith('sleep')).length, waited: Date.now() >= until.getTime() });
}
