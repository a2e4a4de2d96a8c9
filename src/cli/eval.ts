/** `charlab eval CKPT --corpus PATH`: the held-out bits per character of a saved model. */
import { Command, Option } from 'commander';
import { BACKENDS, type Backend } from '../backend/index.js';
import { modelFromCheckpoint } from '../checkpoint/checkpoint.js';
import { openCheckpoint } from './checkpointFile.js';
import { heldOutOf } from '../checkpoint/corpus.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { fraction } from './options.js';
import { readCorpus } from './sample.js';

interface EvalOptions {
  corpus: string;
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
    .option('--validation <f>', "held-out fraction at the end of the corpus (default: the run's)", fraction)
    .addOption(new Option('--backend <name>', 'backend that runs the model (default: the one that wrote the checkpoint)').choices([...BACKENDS]))
    .option('--json', 'print one JSON object ({valBpc, chars, …}) on stdout')
    .addHelpText(
      'after',
      '\nThe model reads the held-out text forward, its hidden state carried from character to character,\n' +
        'starting from the state it was saved in: on the run\'s own corpus and split this is the run\'s val_bpc.\n' +
        "Characters outside the model's vocabulary are an error that names them (exit 2).",
    )
    .action(async (path: string, opts: EvalOptions) => {
      const ck = openCheckpoint(path);
      const file = await readCorpus(opts.corpus);
      const validation = opts.validation ?? ck.corpus.validation;
      const { ids, trainEnd } = heldOutOf(ck, file.text, file.path, validation);
      const r = modelFromCheckpoint(ck, opts.backend).evaluate(ids, trainEnd, ids.length);
      const sameText = file.sha256 === ck.corpus.sha256;
      const out = { checkpoint: path, corpus: file.path, sameCorpus: sameText, validation, chars: r.chars, nats: r.nats, valBpc: r.bpc };
      if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${escapeForTerminal(`held-out bits/char   ${r.bpc.toFixed(3)}   (${r.chars} characters, the last ${validation} of ${file.path})`)}\n`);
    });
}
