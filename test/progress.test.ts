// formatDuration: seconds → the runner's "1m05s" style, rounded once (no "1m60s"). Leaves out: the TTY progress bar.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration } from '../src/util/progress.ts';

test('formatDuration rounds once: 119.6 s is 2m00s, 59.6 s is 1m00s, hours keep minutes', () => {
  assert.is(formatDuration(12.4), '12s');
  assert.is(formatDuration(59.6), '1m00s');
  assert.is(formatDuration(65), '1m05s');
  assert.is(formatDuration(119.6), '2m00s');
  assert.is(formatDuration(3725), '1h02m');
  assert.is(formatDuration(-1), '?');
});

test.run();
