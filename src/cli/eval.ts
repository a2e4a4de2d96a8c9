/** `charlab eval CKPT --corpus PATH`: the held-out bits per character of a saved model. */
import { Command, Option } from 'commander';
import { BACKENDS, type Backend } from '../backend/index.js';
import { loadCheckpoint, modelFromCheckpoint } from '../checkpoint/checkpoint.js';
import { heldOutOf } from '../checkpoint/corpus.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { fraction, positiveInt } from './options.js';
import { readCorpus } from './sample.js';

interface EvalOptions {
  corpus: string;
  corpusChars?: number;
  evalChars?: number;
  validation?: number;
  backend?: Backend;
  json?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description("Score a checkpoint on a corpus's held-out tail, the README's way (held-out bits per character).")
    .argument('<checkpoint>', 'a .safetensors checkpoint written by train --save or a sweep')
    .requiredOption('--corpus <path>', 'UTF-8 text file, or a known corpus name (holmes)')
    .option('--corpus-chars <n>', "read only the corpus's first n characters (default: the run's corpus slice, if it read one)", positiveInt)
    .option('--validation <f>', "held-out fraction at the end of the corpus (default: the run's)", fraction)
    .option('--eval-chars <n>', "score only the first n held-out characters, as a run's curve scores do when they read a slice (default: all)", positiveInt)
    .addOption(new Option('--backend <name>', 'backend that runs the model (default: the one that wrote the checkpoint)').choices([...BACKENDS]))
    .option('--json', 'print one JSON object ({valBpc, chars, …}) on stdout')
    .addHelpText(
      'after',
      '\nThe model reads the held-out text forward, its hidden state carried from character to character,\n' +
        'starting from the state it was saved in: on the run\'s own corpus and split this is the run\'s val_bpc.\n' +
        "Characters outside the model's vocabulary are an error that names them (exit 2).",
    )
    .action(async (path: string, opts: EvalOptions) => {
      const ck = loadCheckpoint(path);
      const file = await readCorpus(opts.corpus, opts.corpusChars ?? ck.corpus.slice);
      const validation = opts.validation ?? ck.corpus.validation;
      const { ids, trainEnd } = heldOutOf(ck, file.text, file.path, validation);
      const end = opts.evalChars === undefined ? ids.length : Math.min(ids.length, trainEnd + opts.evalChars);
      const r = modelFromCheckpoint(ck, opts.backend).evaluate(ids, trainEnd, end);
      const sameText = file.sha256 === ck.corpus.sha256;
      const out = { checkpoint: path, corpus: file.path, sameCorpus: sameText, validation, chars: r.chars, nats: r.nats, valBpc: r.bpc };
      const which = end === ids.length ? `the last ${validation}` : `the first ${r.chars} of the last ${validation}`;
      const of = file.slice ? `the first ${file.slice.chars} characters of ${file.path}` : file.path;
      if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${escapeForTerminal(`held-out bits/char   ${r.bpc.toFixed(3)}   (${r.chars} characters, ${which} of ${of})`)}\n`);
    });
}
