/**
 * `charlab train`'s flags for the knobs, made from the knob registry (src/results/knobs.ts): one per
 * knob, named by its `flag`, described by its `describe`, defaulting to its default and checked by
 * its schema, so that train accepts exactly what an experiment's grid accepts.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { KNOBS, knobChoices, type KnobDef, type KnobValues } from '../results/knobs.js';

const PLACEHOLDER = { int: '<n>', real: '<x>', choice: '<name>' } as const;

const registry = KNOBS as readonly KnobDef[];

/** The flag's option: a fresh one per command. */
function knobOption(k: KnobDef): Option {
  const option = new Option(`--${k.flag} ${PLACEHOLDER[k.kind]}`, k.describe).default(k.default);
  return k.kind === 'choice'
    ? option.choices([...knobChoices(k)])
    : option.argParser((value) => knobArgument(k, value));
}

/**
 * A numeric knob's value on the command line: decimal digits for an integer knob ('1e3', '0x10' and
 * '16.0' are refused), a finite number for a real one, and then whatever the knob's schema asks.
 */
export function knobArgument(k: KnobDef, value: string): number {
  const n = Number(value);
  const written =
    k.kind === 'int'
      ? /^\s*-?\d+\s*$/.test(value) && Number.isSafeInteger(n)
      : value.trim() !== '' && Number.isFinite(n);
  const checked = k.schema.safeParse(written ? n : Number.NaN);
  if (checked.success) return n;
  const digits = k.kind === 'int' ? ' (decimal digits)' : '';
  throw new InvalidArgumentError(`${checked.error.issues[0].message}${digits}, got '${value}'`);
}

/** Adds a flag per knob to `cmd`, in registry order. */
export function addKnobFlags(cmd: Command): Command {
  for (const k of registry) cmd.addOption(knobOption(k));
  return cmd;
}

/** The option attribute commander stores a knob's flag under ("--clip-norm": clipNorm). */
export const knobAttribute = (k: KnobDef): string => new Option(`--${k.flag}`).attributeName();

/** The configuration the parsed options give. */
export function knobsFromOptions(opts: Record<string, unknown>): KnobValues {
  return Object.fromEntries(registry.map((k) => [k.key, opts[knobAttribute(k)]])) as KnobValues;
}

/** The knob flags given on the command line (not defaulted). */
export function knobFlagsGiven(cmd: Command): string[] {
  return registry.filter((k) => cmd.getOptionValueSource(knobAttribute(k)) === 'cli').map((k) => `--${k.flag}`);
}
