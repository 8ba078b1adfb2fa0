// A branch whose two conditions both hold runs both steps; both suspend. A resume without a step
// is refused ("Multiple suspended steps found"); each branch is then resumed by id.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const R = z.object({ ok: z.boolean() });
  const mk = (id) => createStep({ id, inputSchema: N, outputSchema: z.object({ who: z.string() }), resumeSchema: R,
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ ask: id + ' ' + inputData.n });
      return { who: id + (resumeData.ok ? ' yes' : ' no') };
    } });
  const wf = createWorkflow({ id: 'branch-suspend', inputSchema: N, outputSchema: z.any() })
    .branch([
      [async ({ inputData }) => inputData.n > 0, mk('first')],
      [async ({ inputData }) => inputData.n < 10, mk('second')],
    ]).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const started = log.result(await run.start({ inputData: { n: 5 } }));
  log.note({ suspended: started.suspended });
  try { await run.resume({ resumeData: { ok: true } }); log.note('resumed without a step'); } catch (e) { log.error(e); }
  log.result(await run.resume({ step: 'second', resumeData: { ok: false } }));
  log.result(await run.resume({ step: 'first', resumeData: { ok: true } }));
}
