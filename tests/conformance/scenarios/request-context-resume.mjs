// The request context across suspend/resume: a key a step writes before suspending is visible
// after resume; a key the caller passed at start survives a resume without a context; a resume
// with a new context overrides the keys it names and keeps the others.
export default async function ({ createWorkflow, createStep, z, mastraWith, log, RequestContext }) {
  const V = z.object({ value: z.string() });
  const ask = createStep({ id: 'ask', inputSchema: V, outputSchema: V, resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend, requestContext }) => {
      if (!resumeData) {
        requestContext.set('written', 'by-ask');
        return await suspend({});
      }
      return { value: inputData.value + ' tenant=' + requestContext.get('tenant') };
    } });
  const read = createStep({ id: 'read', inputSchema: V, outputSchema: z.object({ value: z.string(), tenant: z.string(), written: z.string(), user: z.string() }),
    execute: async ({ inputData, requestContext }) => ({ value: inputData.value, tenant: requestContext.get('tenant'),
      written: requestContext.get('written'), user: requestContext.get('user') }) });
  const wf = createWorkflow({ id: 'ctx-resume', inputSchema: V, outputSchema: z.any() }).then(ask).then(read).commit();
  const m = mastraWith({ wf });
  const start = () => { const rc = new RequestContext(); rc.set('tenant', 'acme'); rc.set('user', 'ann'); return rc; };

  const run1 = await m.getWorkflow('wf').createRun();
  await run1.start({ inputData: { value: 'a' }, requestContext: start() });
  log.result(await run1.resume({ resumeData: { ok: true } }));

  const run2 = await m.getWorkflow('wf').createRun();
  await run2.start({ inputData: { value: 'b' }, requestContext: start() });
  const fresh = new RequestContext();
  fresh.set('tenant', 'globex');
  log.result(await run2.resume({ resumeData: { ok: true }, requestContext: fresh }));
}
