/** `charlab eval CKPT --corpus PATH`: the held-out bits per character of a saved model. */
import { type Command, Option } from 'commander';
import { BACKEND_CHOICES, runnableHere, type BackendChoice } from '../backend/index.js';
import { modelFromCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { heldOutWarning } from '../corpus/index.js';
import { UsageError } from '../errors.js';
import { openCheckpoint } from './checkpointFile.js';
import { heldOutOf } from '../checkpoint/corpus.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { fraction, positiveInt } from './options.js';
import { checkpointCorpus } from './sample.js';

interface EvalOptions {
  corpus?: string;
  corpusChars?: number;
  evalChars?: number;
  validation?: number;
  backend?: BackendChoice;
  json?: boolean;
}

/** On the training text itself, the held-out range [start, n) must not reach into the text the model trained on, [0, trainEnd). */
function refuseOverlap(ck: Checkpoint, start: number, n: number, source: string, validation: number): void {
  const trained = ck.corpus.trainEnd;
  if (start >= trained) return;
  throw new UsageError(
    `--validation ${validation}: the held-out characters ${start}..${n} of ${source} overlap the text the model was trained on ` +
      `(characters 0..${trained}, the same text by sha256): ${trained - start} of them are training text, not held out. ` +
      `Use --validation ${ck.corpus.validation} (the run's split) or less`,
  );
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description("Score a checkpoint on a corpus's held-out tail as a run is scored (held-out bits per character).")
    .argument('<checkpoint>', 'a .safetensors checkpoint written by train --save or a sweep')
    .option(
      '--corpus <path>',
      "UTF-8 text file, or a known corpus name (holmes, warpeace); default: the checkpoint's recorded corpus",
    )
    .option(
      '--corpus-chars <n>',
      "read only the corpus's first n characters (default: the run's corpus slice, if it read one)",
      positiveInt,
    )
    .option('--validation <f>', "held-out fraction at the end of the corpus (default: the run's)", fraction)
    .option(
      '--eval-chars <n>',
      "score only the first n held-out characters, as a run's curve scores do when they read a slice (default: all)",
      positiveInt,
    )
    .addOption(
      new Option(
        '--backend <name>',
        'backend that runs the model (default: the one that wrote the checkpoint, or auto where that one is not built)',
      ).choices([...BACKEND_CHOICES]),
    )
    .option('--json', 'print one JSON object ({valBpc, chars, …}) on stdout')
    .addHelpText(
      'after',
      '\nThe model reads the held-out text forward, its hidden state carried from character to character,\n' +
        "starting from the state it was saved in: on the run's own corpus and split this is the run's val_bpc.\n" +
        "Characters outside the model's vocabulary are an error that names them (exit 2). On the run's own text\n" +
        '(same sha256) a --validation whose held-out range overlaps the training text is refused (exit 2): that text is not held out.',
    )
    .action(runEval);
}

async function runEval(path: string, opts: EvalOptions): Promise<void> {
  const ck = openCheckpoint(path);
  const file = await checkpointCorpus(ck, opts.corpus, opts.corpusChars ?? ck.corpus.slice);
  const validation = opts.validation ?? ck.corpus.validation;
  const { ids, trainEnd } = heldOutOf(ck, file.text, file.path, validation);
  const end = opts.evalChars === undefined ? ids.length : Math.min(ids.length, trainEnd + opts.evalChars);
  const sameText = file.sha256 === ck.corpus.sha256;
  if (sameText) refuseOverlap(ck, trainEnd, ids.length, file.path, validation);
  const warning = heldOutWarning(ids.length - trainEnd, `corpus ${file.path}`);
  if (warning) process.stderr.write(`${escapeForTerminal(warning)}\n`);
  const r = modelFromCheckpoint(ck, opts.backend ?? runnableHere(ck.backend)).evaluate(ids, trainEnd, end);
  const out = {
    checkpoint: path,
    corpus: file.path,
    sameCorpus: sameText,
    validation,
    chars: r.chars,
    nats: r.nats,
    valBpc: r.bpc,
  };
  const which = end === ids.length ? `the last ${validation}` : `the first ${r.chars} of the last ${validation}`;
  const of = file.slice ? `the first ${file.slice.chars} characters of ${file.path}` : file.path;
  if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else
    process.stdout.write(
      `${escapeForTerminal(`held-out bits/char   ${r.bpc.toFixed(3)}   (${r.chars} characters, ${which} of ${of})`)}\n`,
    );
}
