/**
 * The dependency direction of architecture.md, checked by `npm test`:
 *   core ← sms ← app ← {notify, storage} ← server ← cli/commands
 * core is the pure domain; sms reads SMS; storage and notify are the ledger and the outbox
 * (they know core, not the use cases); app holds the use cases and the composition root; io
 * is the few file primitives (lock, durable write) that several layers share; agent is what
 * runs beside the phone and talks HTTP only.
 */
const LIB = '^src/(core|sms|app|notify|storage|server|agent|io|simulate|export)/'
const PROCESS_IO = '^(node:)?(fs|fs/promises|child_process|net|http|https|dgram|worker_threads)$'

module.exports = {
  forbidden: [
    {name: 'no-circular', severity: 'error', from: {}, to: {circular: true}},
    {name: 'library-not-cli', comment: 'Only commands and cli/ see oclif: commands are thin, the library is shared by every front end.', severity: 'error',
      from: {path: LIB}, to: {path: ['^src/commands/', '^src/cli/', '^src/hooks/', 'node_modules/@oclif/']}},
    {name: 'core-is-pure', comment: 'The domain has no I/O and depends on nothing of ours outside core/.', severity: 'error',
      from: {path: '^src/core/'}, to: {path: ['^src/(?!core/)', PROCESS_IO]}},
    {name: 'sms-on-core', comment: 'Reading an SMS needs the domain and nothing else.', severity: 'error',
      from: {path: '^src/sms/'}, to: {path: ['^src/(?!(core|sms)/)', PROCESS_IO]}},
    {name: 'io-on-core', comment: 'The file primitives know errors, nothing of the product.', severity: 'error',
      from: {path: '^src/io/'}, to: {path: '^src/(?!(core|io)/)'}},
    {name: 'storage-below-app', comment: 'Storage knows records, not the use cases, HTTP or notifications.', severity: 'error',
      from: {path: '^src/storage/'}, to: {path: '^src/(app|server|notify|agent|simulate|export|sms)/'}},
    {name: 'notify-below-app', comment: 'The outbox is built and delivered from records; it does not know the use cases or HTTP.', severity: 'error',
      from: {path: '^src/notify/'}, to: {path: '^src/(app|server|agent|simulate|export)/'}},
    {name: 'app-not-http', comment: 'Use cases are called by HTTP routes and commands alike; they know neither.', severity: 'error',
      from: {path: '^src/app/'}, to: {path: '^src/(server|agent|simulate|export)/'}},
    {name: 'app-through-interface', comment: 'Use cases see the Storage interface; only the composition root picks an engine.', severity: 'error',
      from: {path: '^src/app/(?!runtime\\.ts$)'}, to: {path: '^src/storage/(?!storage\\.ts$)'}},
    {name: 'server-not-agent', comment: 'The server does not depend on what runs beside the phone.', severity: 'error',
      from: {path: '^src/server/'}, to: {path: '^src/(agent|simulate|export)/'}},
    {name: 'agent-talks-http', comment: 'What runs beside the phone talks to vcash over HTTP only: never the ledger, the use cases or the server.', severity: 'error',
      from: {path: '^src/agent/'}, to: {path: '^src/(app|storage|server|notify|simulate|export)/'}},
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default']},
  },
}
