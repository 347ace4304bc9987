/**
 * The dependency direction vcash keeps (architecture.md), checked by `npm test`. The layout
 * move to core/ sms/ app/ notify/ storage/ server/ cli/ is not done yet; these rules hold the
 * boundaries the current layout already has, so it cannot drift while it moves.
 */
module.exports = {
  forbidden: [
    {name: 'no-circular', severity: 'error', from: {}, to: {circular: true}},
    {name: 'lib-not-cli', comment: 'src/lib never sees oclif or the commands: commands are thin, the library is shared by every front end.', severity: 'error',
      from: {path: '^src/lib/'}, to: {path: ['^src/commands/', '^src/base-command', '^src/flags', '^src/hooks/', 'node_modules/@oclif/']}},
    {name: 'domain-is-pure', comment: 'The domain has no I/O: no storage, HTTP, notifications, files or processes.', severity: 'error',
      from: {path: '^src/lib/(money|phone|model|transactions|antispam|messages|text|since|rate-limit|store-config|views)\\.ts$'},
      to: {path: ['^src/lib/(storage|server|notify|simulate|export)/', '^src/lib/(runtime|service)\\.ts$', '^(node:)?(fs|child_process|net|http|https)$']}},
    {name: 'storage-below-app', comment: 'Storage knows records, not the service, HTTP or notifications.', severity: 'error',
      from: {path: '^src/lib/storage/'}, to: {path: ['^src/lib/(server|notify|simulate|export|sms)/', '^src/lib/(runtime|service)\\.ts$']}},
    {name: 'notify-not-server', comment: 'The outbox is delivered by the dispatcher; it does not know the HTTP server.', severity: 'error',
      from: {path: '^src/lib/notify/'}, to: {path: ['^src/lib/server/', '^src/lib/simulate/', '^src/lib/runtime\\.ts$']}},
    {name: 'agent-talks-http', comment: 'What runs beside the phone (sms/) talks to vcash over HTTP only: never the ledger or the service.', severity: 'error',
      from: {path: '^src/lib/sms/'}, to: {path: ['^src/lib/storage/', '^src/lib/service\\.ts$', '^src/lib/server/', '^src/lib/notify/']}},
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default']},
  },
}
