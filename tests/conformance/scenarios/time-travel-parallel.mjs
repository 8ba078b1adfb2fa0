// Time travel on a new run to one branch of a 3-way parallel block with only inputData: the step
// before the block is filled in (payload {}, output = inputData) and never runs; the siblings are
// filled in as success with payload = inputData and output {}; only the target and the step after
// the block run.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const calls = [];
  const mk = (id, f) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { calls.push(id); return { n: f(inputData.n) }; } });
  const first = mk('first', (n) => n + 1);
  const p1 = mk('p1', (n) => n * 2);
  const p2 = mk('p2', (n) => n * 3);
  const p3 = mk('p3', (n) => n * 4);
  const last = createStep({ id: 'last', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => { calls.push('last'); return { seen: inputData }; } });
  const wf = createWorkflow({ id: 'travel-par', inputSchema: N, outputSchema: z.any() }).then(first).parallel([p1, p2, p3]).then(last).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  log.result(await run.timeTravel({ step: 'p2', inputData: { n: 5 } }));
  log.note({ calls });
}
