import fs from 'node:fs'

import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import ora, {type Ora} from 'ora'

import {BaseCommand} from '../../cli/base-command.js'
import {err, forStderr} from '../../cli/colour.js'
import * as f from '../../cli/flags.js'
import {EXIT, VcashError} from '../../core/errors.js'
import {toJunit} from '../../simulate/junit.js'
import {parsePayTo} from '../../simulate/pay-to.js'
import {type RunResult, ScenarioRunner, type StepResult} from '../../simulate/runner.js'
import {EXAMPLE_SCENARIO, parseScenario} from '../../simulate/scenario.js'

export type SimulateRunResult = RunResult | {written: string}

export default class SimulateRun extends BaseCommand {
  static override summary = 'Run a scenario of transfers, checks and expectations (for CI)'
  static override description = `Runs SCENARIO (YAML or JSON) step by step: transfers rendered in each wallet's real SMS layout, checks, duplicates, approve/reject, clock advances (expiry), and expected callbacks (the run hosts a catcher for the store's callback).

By default against an in-process server on a throw-away data dir — nothing to start, no network. With --server, against a running vcash. With --server and the --data-dir of that (local) server, the run makes a store of its own there (a copy of --store's settings, fresh tokens): configure steps, anti-spam and advance_clock touch that store only — never another store's settings, PENDING transfers or the server's clock — and at the end it is renamed "simulate (finished, safe to delete)" with its callback off and its tokens replaced. advance_clock needs a \`vcash serve --dev\`.

Exit code 0 only when every expectation held; 1 names the failing step, what it expected and what came back.`

  static override examples = [
    '<%= config.bin %> simulate run scenario.yaml',
    '<%= config.bin %> simulate run scenario.yaml --reporter junit --out junit.xml',
    '<%= config.bin %> simulate run scenario.yaml --server http://127.0.0.1:8080 --data-dir ./.vcash',
    '<%= config.bin %> simulate run scenario.yaml --server https://pay.example.com --store st_… --device-token vd_… --api-token vk_…',
    '<%= config.bin %> simulate run scenario.yaml --server https://staging.example.com --store st_… --device-token vd_… --api-token vk_… --pay-to vodafone_cash:01012345678',
    '<%= config.bin %> simulate run --example > scenario.yaml',
  ]

  static override args = {scenario: Args.string({description: 'Scenario file (.yaml, .yml or .json)'})}
  static override flags = {
    server: f.server,
    'data-dir': Flags.string({summary: 'With --server: the data dir of that (local) server; the run then uses a throwaway store of its own there (configure, advance_clock).', env: 'VCASH_DATA_DIR', helpValue: 'DIR'}),
    store: f.store,
    'device-token': Flags.string({summary: 'With --server: the store\'s device token (to send SMS).', env: 'VCASH_DEVICE_TOKEN'}),
    'api-token': Flags.string({summary: 'With --server: the store\'s API token (approve, reject, transaction state).', env: 'VCASH_API_TOKEN'}),
    'signing-secret': Flags.string({summary: 'With --server: the store\'s signing secret, to verify caught callbacks.', env: 'VCASH_SIGNING_SECRET'}),
    'pay-to': f.simulatePayTo,
    'catcher-port': Flags.integer({summary: 'Port for the run\'s callback catcher (point a remote store\'s callback at it).', min: 0, max: 65_535}),
    reporter: Flags.string({summary: 'Output format (besides --json).', options: ['human', 'junit'], default: 'human'}),
    out: Flags.string({summary: 'Write the report (or --example) to this file instead of stdout.', helpValue: 'FILE'}),
    example: Flags.boolean({summary: 'Print a commented starter scenario and exit.'}),
  }

  async run(): Promise<SimulateRunResult> {
    const {args, flags} = await this.parse(SimulateRun)
    if (flags.example) {
      if (flags.out) {
        if (fs.existsSync(flags.out)) throw new VcashError('file_exists', `${flags.out} already exists`, {suggestion: 'Choose another --out, or delete it first.'})
        fs.writeFileSync(flags.out, EXAMPLE_SCENARIO)
        this.note(`Wrote ${flags.out}. Run it with: vcash simulate run ${flags.out}`)
        return {written: flags.out}
      }
      if (!this.jsonEnabled()) process.stdout.write(EXAMPLE_SCENARIO)
      return {written: '-'}
    }
    if (!args.scenario) throw new VcashError('missing_argument', 'which scenario?', {suggestion: 'Pass a scenario file, or --example to get a starter.'})
    let text: string
    try {
      text = fs.readFileSync(args.scenario, 'utf8')
    } catch (error) {
      throw new VcashError('file_not_found', `cannot read ${args.scenario}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {exit: EXIT.input})
    }
    const payTo = flags['pay-to'] ? parsePayTo(flags['pay-to'], '--pay-to') : undefined
    const scenario = parseScenario(text, args.scenario)
    const human = !this.jsonEnabled() && flags.reporter === 'human'
    // Progress belongs on stderr; ora spins forever on a terminal that reports 0 columns.
    const spin: Ora | null = human && process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 ? ora({stream: process.stderr}) : null
    const runner = new ScenarioRunner({
      target: {server: flags.server, storeId: flags.store, deviceToken: flags['device-token'], apiToken: flags['api-token'], signingSecret: flags['signing-secret'], dataDir: flags['data-dir'], catcherPort: flags['catcher-port'], payTo},
      onStepStart: spin ? (s) => spin.start(`${String(s.index).padStart(2)} ${s.name}`) : undefined,
      onStep: human ? (s) => {
        spin?.stop()
        this.printStep(s)
      } : undefined,
    })
    const where = flags.server ?? scenario.target?.server
    if (human) this.note(err.bold(scenario.name) + err.dim(` (${scenario.steps.length} steps${where ? ` against ${where}` : ', in-process'})`))
    let result: RunResult
    try {
      result = await runner.run(scenario)
    } finally {
      spin?.stop()
    }
    // --json with --reporter junit --out: the JSON result on stdout and the report in the file.
    if (flags.reporter === 'junit' && (flags.out || !this.jsonEnabled())) {
      const xml = toJunit([{result, file: args.scenario}])
      if (flags.out) fs.writeFileSync(flags.out, xml)
      else process.stdout.write(xml)
      if (result.failure) this.note(result.failure)
    } else if (human) {
      if (result.failure) this.log(chalk.red(`✗ ${result.failure}`))
      else this.log(chalk.green(`✓ ${result.passed} steps passed`) + chalk.dim(` in ${result.duration_ms} ms`))
      if (result.throwaway_store) this.note(err.dim(`Ran on a store of its own, ${result.store_id}, now renamed "simulate (finished, safe to delete)".`))
    }
    if (!result.ok) process.exitCode = EXIT.failure
    return result
  }

  private printStep(s: StepResult): void {
    const c = err
    const mark = s.ok ? c.green('✓') : c.red('✗')
    const detail = s.ok ? (s.message.includes(s.actual) ? s.message : `${s.actual}${s.message ? `  ${s.message}` : ''}`) : `expected ${s.expected}, got ${s.actual}`
    process.stderr.write(forStderr(`${mark} ${String(s.index).padStart(2)} ${s.name}  ${c.dim(detail)}${!s.ok && s.message ? `\n     ${c.dim(s.message.replaceAll('\n', '\n     '))}` : ''}\n`))
  }
}
