import { readFileSync, writeFileSync } from 'node:fs';
import { svgToPng } from '../src/plot/render.ts';
for (const [i, o] of [[process.argv[2], process.argv[3]]]) writeFileSync(o, (await svgToPng(readFileSync(i, 'utf8'), 2)).png);
