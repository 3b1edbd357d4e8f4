import { randomInt } from 'node:crypto';

/**
 * Names for runs created without one, in the shape MLflow's server gives them
 * (`<adjective>-<noun>-<number>`, e.g. `brave-heron-412`), so that scripts and MLflow's UI that
 * expect every run to have a name find one. The words are tagfusion's own.
 */
const ADJECTIVES = [
  'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'dapper', 'eager', 'fancy',
  'gentle', 'glad', 'golden', 'honest', 'jolly', 'keen', 'kind', 'lively', 'lucky', 'merry',
  'mighty', 'nimble', 'noble', 'patient', 'proud', 'quick', 'quiet', 'rare', 'sharp', 'shy',
  'silent', 'smart', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'warm', 'wise', 'zesty',
];
const NOUNS = [
  'ant', 'badger', 'bear', 'bee', 'bison', 'carp', 'cat', 'crane', 'crow', 'deer',
  'dove', 'eel', 'elk', 'falcon', 'finch', 'fox', 'gecko', 'goat', 'hare', 'hawk',
  'heron', 'ibis', 'lark', 'lynx', 'mole', 'moth', 'newt', 'otter', 'owl', 'panda',
  'quail', 'seal', 'shrew', 'sloth', 'snail', 'squid', 'swan', 'toad', 'wolf', 'wren',
];

export function generatedRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
