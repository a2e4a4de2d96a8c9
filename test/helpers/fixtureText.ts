/**
 * The tests' corpus: English-like text generated here, so that every test that only needs some text
 * (sweeps, merges, shards, halving, resumes, reliability) runs on any clone, without ../shared.
 * The tests that reproduce the published holmes and warpeace figures live in test/holmes/ and read
 * ../shared/corpora.
 *
 * The text is made by a small seeded grammar (sentences of narration and dialogue over a few hundred
 * words), lower-cased ASCII in lines of at most 72 characters like holmes.txt's cleaned lines, so a
 * model has something to learn at every order: words, spelling, punctuation, quotes and line breaks.
 * It is deterministic, and fixtureText(n) is the first n characters of fixtureText(m) for n < m.
 * It is nobody's writing, so nothing about it needs a licence.
 */

const NAMES = [
  'martha',
  'john',
  'the doctor',
  'the inspector',
  'the captain',
  'mrs. hale',
  'old thomas',
  'the clerk',
  'miss grey',
  'the boy',
  'my friend',
  'the stranger',
];
const NOUNS = [
  'door',
  'letter',
  'lamp',
  'window',
  'road',
  'garden',
  'table',
  'key',
  'clock',
  'river',
  'bridge',
  'house',
  'room',
  'coat',
  'hat',
  'carriage',
  'station',
  'train',
  'paper',
  'pipe',
  'fire',
  'stair',
  'hall',
  'box',
  'ring',
  'watch',
  'horse',
  'field',
  'village',
  'church',
  'bell',
  'gate',
  'wall',
  'candle',
  'book',
  'map',
  'note',
  'glass',
  'bottle',
  'chair',
  'street',
  'corner',
  'shop',
  'bank',
  'ship',
  'quay',
  'jacket',
  'kitchen',
];
const ADJECTIVES = [
  'old',
  'small',
  'dark',
  'cold',
  'narrow',
  'quiet',
  'heavy',
  'broken',
  'open',
  'locked',
  'empty',
  'wet',
  'long',
  'red',
  'grey',
  'strange',
  'little',
  'great',
  'pale',
  'bright',
  'worn',
  'low',
  'high',
  'distant',
  'curious',
  'silent',
  'simple',
  'singular',
  'puzzling',
];
const VERBS = [
  'opened',
  'closed',
  'found',
  'saw',
  'took',
  'left',
  'watched',
  'passed',
  'followed',
  'carried',
  'examined',
  'remembered',
  'noticed',
  'raised',
  'lowered',
  'turned',
  'crossed',
  'reached',
  'described',
  'mentioned',
  'studied',
  'dropped',
  'lifted',
  'locked',
  'searched',
];
const INTRANSITIVE = [
  'waited',
  'laughed',
  'listened',
  'hesitated',
  'nodded',
  'smiled',
  'sighed',
  'paused',
  'returned',
  'vanished',
  'spoke',
  'slept',
];
const PLACES = [
  'in the hall',
  'by the window',
  'at the station',
  'near the river',
  'on the stair',
  'in the garden',
  'at the corner',
  'behind the door',
  'under the bridge',
  'beside the fire',
];
const TIMES = [
  'that evening',
  'in the morning',
  'after a while',
  'at last',
  'for a moment',
  'once more',
  'before dawn',
  'the next day',
  "at nine o'clock",
  'in 1887',
];
const ADVERBS = [
  'slowly',
  'quickly',
  'quietly',
  'carefully',
  'suddenly',
  'gravely',
  'softly',
  'at once',
  'without a word',
];
const SAYING = ['said', 'asked', 'cried', 'answered', 'whispered', 'remarked', 'observed'];
const REMARKS = [
  'it is quite simple',
  'you have seen the letter',
  'there is no time to lose',
  'i have been waiting for you',
  'what do you make of it',
  'come in and shut the door',
  'the facts are few',
  'we must go at once',
  'that is very curious',
  'i know nothing about it',
  'look at the ring',
  'where is the key',
  'did you hear the bell',
  'it was not the clerk',
  'we shall see',
];

/** mulberry32: a tiny seeded generator (the tests' text must not depend on Math.random). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentences(seed: number): () => string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const thing = () => `the ${r() < 0.5 ? `${pick(ADJECTIVES)} ` : ''}${pick(NOUNS)}`;
  const clause = () => {
    const who = pick(NAMES);
    if (r() < 0.3) return `${who} ${pick(INTRANSITIVE)} ${r() < 0.5 ? pick(ADVERBS) : pick(PLACES)}`;
    return `${who} ${pick(VERBS)} ${thing()}${r() < 0.4 ? ` ${pick(PLACES)}` : ''}`;
  };
  return () => {
    const u = r();
    if (u < 0.25) return `"${pick(REMARKS)}${r() < 0.3 ? '?' : ','}" ${pick(SAYING)} ${pick(NAMES)}.`;
    if (u < 0.45) return `${pick(TIMES)}, ${clause()}; ${clause()}.`;
    if (u < 0.55) return `was it ${thing()} that ${clause()}?`;
    if (u < 0.6) return `${clause()}!`;
    return `${clause()}${r() < 0.4 ? `, and ${clause()}` : ''}.`;
  };
}

const cache = new Map<number, string>();

/** The first `chars` characters of the fixture text of `seed` (another seed: another text in the same style). */
export function fixtureText(chars: number, seed = 1): string {
  let text = cache.get(seed) ?? '';
  if (text.length < chars) {
    const next = sentences(seed);
    const lines: string[] = [];
    let line = '';
    let length = 0;
    while (length < chars + 80) {
      for (const word of next().split(' ')) {
        if (line.length + 1 + word.length > 72) {
          lines.push(line);
          length += line.length + 1;
          line = word;
        } else line = line === '' ? word : `${line} ${word}`;
      }
    }
    text = `${lines.join('\n')}\n`;
    cache.set(seed, text);
  }
  return text.slice(0, chars);
}

/**
 * The fixture as a corpus published in another form that charlab cleans (src/corpus/clean.ts, as
 * holmes is cleaned from cnus.txt): `raw` has capitals, indented lines with trailing spaces, empty
 * lines and characters outside printable ASCII; cleaning it gives exactly `text`, the first whole
 * lines of fixtureText(chars).
 */
export function publishedFixture(chars: number): { raw: Buffer; text: string } {
  const whole = fixtureText(chars);
  const text = whole.slice(0, whole.lastIndexOf('\n') + 1);
  const lines = text.slice(0, -1).split('\n');
  const raw = lines.map((line, i) => {
    let out = i % 3 === 0 ? line.charAt(0).toUpperCase() + line.slice(1) : line;
    if (i % 4 === 0) out = out.replace(' ', ' \u2014');
    if (i % 5 === 0) out = `    ${out}  `;
    if (i % 7 === 0) out = `\r\n${out}`;
    return out;
  });
  return { raw: Buffer.from(`\ufeff${raw.join('\r\n')}\r\n\r\n`, 'utf8'), text };
}
