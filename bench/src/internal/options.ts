// Benchmark options from `--name value` / `--name=value` flags, then VIGIL_BENCH_<NAME> variables, then defaults.
// Never guesses: an unknown flag or a malformed number stops the benchmark with a message naming it.

export interface OptionSpec {
  description: string;
  default: number | string | boolean;
}

export type OptionValues<S extends Record<string, OptionSpec>> = { [K in keyof S]: S[K]['default'] extends number ? number : S[K]['default'] extends boolean ? boolean : string };

export function parseOptions<S extends Record<string, OptionSpec>>(specs: S, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): OptionValues<S> {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stderr.write(usage(specs));
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)}\n${usage(specs)}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (!spec) throw new Error(`unknown option --${name}\n${usage(specs)}`);
    if (eq > 0) raw.set(name, arg.slice(eq + 1));
    else if (typeof spec.default === 'boolean') raw.set(name, 'true');
    else {
      const value = argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      raw.set(name, value);
    }
  }
  const out: Record<string, number | string | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const envName = `VIGIL_BENCH_${name.toUpperCase().replace(/-/g, '_')}`;
    const text = raw.get(name) ?? env[envName];
    if (text === undefined || text === '') {
      out[name] = spec.default;
    } else if (typeof spec.default === 'number') {
      const value = Number(text);
      if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} (${envName}) must be a non-negative number, got ${JSON.stringify(text)}`);
      out[name] = value;
    } else if (typeof spec.default === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(text)) throw new Error(`--${name} (${envName}) must be true or false, got ${JSON.stringify(text)}`);
      out[name] = text === 'true' || text === '1';
    } else {
      out[name] = text;
    }
  }
  return out as OptionValues<S>;
}

export function usage(specs: Record<string, OptionSpec>): string {
  const rows = Object.entries(specs).map(([name, spec]) => [`--${name}`, `VIGIL_BENCH_${name.toUpperCase().replace(/-/g, '_')}`, `${spec.description} (default ${JSON.stringify(spec.default)})`]);
  const width0 = Math.max(...rows.map((r) => r[0]!.length));
  const width1 = Math.max(...rows.map((r) => r[1]!.length));
  return 'options (flag or environment variable):\n' + rows.map((r) => `  ${r[0]!.padEnd(width0)}  ${r[1]!.padEnd(width1)}  ${r[2]}`).join('\n') + '\n';
}
