// requestContextSchema on a workflow is checked when a run starts (a bad context rejects start()
// with "Request context validation failed for workflow '<id>'", before any step); on a step it
// is checked before the step runs (a bad context fails the step with "Step request context
// validation failed for step '<id>'"). The context itself is passed on unchanged.
export default async function ({ createWorkflow, createStep, z, mastraWith, log, RequestContext }) {
  const N = z.object({ n: z.number() });
  const calls = [];
  const guarded = createStep({ id: 'guarded', inputSchema: N, outputSchema: N,
    requestContextSchema: z.object({ role: z.enum(['admin']) }),
    execute: async ({ inputData, requestContext }) => { calls.push('guarded ' + requestContext.get('role')); return { n: inputData.n + 1 }; } });
  const open = createStep({ id: 'open', inputSchema: N, outputSchema: N,
    execute: async ({ inputData }) => { calls.push('open'); return inputData; } });
  const wf = createWorkflow({ id: 'rc-schema', inputSchema: N, outputSchema: N,
    requestContextSchema: z.object({ tenant: z.string(), limit: z.number().optional() }) })
    .then(open).then(guarded).commit();
  const m = mastraWith({ wf });
  const cases = [
    [['role', 'admin']],
    [['tenant', 7], ['role', 'admin']],
    [['tenant', 'acme'], ['limit', 'x'], ['role', 'admin']],
    [['tenant', 'acme'], ['role', 'guest']],
    [['tenant', 'acme'], ['role', 'admin']],
  ];
  for (const entries of cases) {
    const run = await m.getWorkflow('wf').createRun();
    try {
      await log.stream(run.stream({ inputData: { n: 1 }, requestContext: new RequestContext(entries) }));
    } catch (err) {
      log.error(err);
    }
    log.note(calls.splice(0));
  }
}
